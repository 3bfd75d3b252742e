"""Screening instruments on the pathway page (issue #15 item 6): the section "Screening (AUDIT/DUDIT)" lists
the scores over time (date, instrument, total, zone in Danish) and records AUDIT and DUDIT through its forms;
an item left out is refused beside the form, naming the item; municipal staff see that a screening took place,
never its score, zone or answers, and get no form."""

from __future__ import annotations

from dualpath.domain import copenhagen
from dualpath.domain.screening import AUDIT, DUDIT
from tests.domain.test_screening import answers_totalling

from .helpers import REGION, csrf, shared_and_private, signed_in, text

TODAY = copenhagen.today()


def _items(inst, total: int) -> dict[str, str]:
    return {f"item_{i}": str(a) for i, a in answers_totalling(inst, total)}


async def test_screenings_recorded_on_the_page_are_listed_and_a_bad_one_refused(api, http):
    shared, _ = await shared_and_private(http)
    url = f"/forloeb/{shared}"
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(url)
        assert "Screening (AUDIT/DUDIT)" in page.text and "Ingen screeninger registreret." in text(page)
        assert f'action="{url}/screening-audit#screening"' in page.text
        assert f'action="{url}/screening-dudit#screening"' in page.text
        assert AUDIT.items[0].text_da in page.text and DUDIT.items[10].text_da in page.text
        token = await csrf(c, url)

        form = {"csrf": token, "idem": "s1", "instrument": "AUDIT", "screened_on": str(TODAY), **_items(AUDIT, 16)}
        r = await c.post(f"{url}/screening-audit", data=form)
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("?besked=screening#screening")
        page = await c.get(r.headers["location"])
        assert "Screeningen er registreret og scoret." in text(page)
        assert 'data-testid="screenings"' in page.text and "Zone III (16-19)" in text(page)

        form = {
            "csrf": token,
            "idem": "s2",
            "instrument": "DUDIT",
            "screened_on": str(TODAY),
            "cutoff_sex": "female",
            **_items(DUDIT, 2),
        }
        assert (await c.post(f"{url}/screening-dudit", data=form)).status_code == 303
        page = await c.get(url)
        assert "Stofrelaterede problemer (grænseværdi for kvinder)" in text(page)

        # An item left out: refused beside the form, naming the item; nothing recorded.
        bad = {"csrf": token, "idem": "s3", "instrument": "AUDIT", "screened_on": str(TODAY), **_items(AUDIT, 3)}
        del bad["item_7"]
        r = await c.post(f"{url}/screening-audit", data=bad)
        assert r.status_code == 422
        assert "AUDIT item 7 not answered" in text(r) and 'id="form-screening-audit"' in r.text
    async with http.as_("clinician", REGION) as c:
        listed = (await c.get(f"/pathways/{shared}/screenings")).json()
    assert sorted((s["instrument"], s["total"]) for s in listed) == [("AUDIT", 16), ("DUDIT", 2)]

    async with signed_in(api, "municipality", "municipality:751") as m:
        page = await m.get(url)
        assert page.status_code == 200
        assert 'data-testid="screenings"' in page.text and "Zone III" not in page.text
        assert "Stofrelaterede" not in page.text and 'id="form-screening-audit"' not in page.text
        assert "vises kun for regionens personale" in text(page)
