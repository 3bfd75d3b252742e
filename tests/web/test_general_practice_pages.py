"""A general practitioner on the staff pages: the referral form (as general practice) and the answers to the
practice's own referrals, in Danish; every other page refuses politely, in Danish."""

from __future__ import annotations

import re

from tests.api.helpers import cpr

from .helpers import csrf, signed_in, text

PRACTICE = "practice:123456"


def _form(token: str) -> dict:
    return {
        "csrf": token,
        "idem": "",
        "cpr": cpr(),
        "municipality": "751",
        "source": "general_practice",
        "received_on": "",
        "psychiatric_contact": "current",
        "municipal_substance_treatment": "ja",
        "mental_illness": "severe",
        "substance_problem": "ja",
        "reduced_functioning": "ja",
        "parallel_treatment_insufficient": "ja",
    }


async def _sent(http) -> set[str]:
    async with http.as_("gp", PRACTICE) as gp:
        return {a["referral_id"] for a in (await gp.get("/referrals/sent", params={"limit": 500})).json()}


async def test_a_gp_refers_on_the_form_and_reads_the_answers(api, http):
    before = await _sent(http)
    async with signed_in(api, "gp", PRACTICE) as c:
        r = await c.get("/arbejdsliste")
        assert (r.status_code, r.headers["location"]) == (303, "/mine-henvisninger")
        form_page = await c.get("/henvisning")
        assert form_page.status_code == 200
        assert re.findall(
            r'<option value="([a-z_]+)"', form_page.text.split('name="source"')[1].split("</select>")[0]
        ) == ["general_practice"]
        assert "Mine henvisninger" in form_page.text and "Arbejdsliste" not in form_page.text
        token = await csrf(c, "/henvisning")
        r = await c.post("/henvisning", data=_form(token))
        assert r.status_code == 200, text(r)[:400]
        assert "Afventer visitation" in text(r) and 'href="/mine-henvisninger"' in r.text
        assert "/henvisninger/" not in r.text  # the referral's own page is visitation's

    (newest,) = await _sent(http) - before
    async with http.as_("visitation", "region:1082") as vis:
        r = await vis.post(f"/referrals/{newest}/decision", json={"accept": False, "reason": "ikke kapacitet nu"})
        assert r.status_code == 200, r.text

    async with signed_in(api, "gp", PRACTICE) as c:
        r = await c.get("/mine-henvisninger")
        assert r.status_code == 200
        page = text(r)
        assert "Afvist" in page and "Begrundelse: ikke kapacitet nu" in page and newest[:8] in page
        for path in ("/forloeb", "/henvisninger/" + newest, "/forloeb/" + newest):
            refused = await c.get(path)
            assert refused.status_code == 403, path
            assert "Som praktiserende læge kan du henvise" in text(refused)
            assert "Ikke adgang for praktiserende læger" in text(refused)
