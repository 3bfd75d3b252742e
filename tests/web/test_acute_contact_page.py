"""Contacts at the acute function on the pathway page (issue #18 item 4): recorded through the page's form,
listed with their outcome in Danish, a bad form refused beside the form; municipal staff read the contact
(not psychiatry's note) and get no form."""

from __future__ import annotations

from datetime import timedelta

from dualpath.domain import copenhagen
from tests.api.helpers import referral

from .helpers import REGION, csrf, shared_and_private, signed_in, text

TODAY = copenhagen.today()


async def test_an_acute_contact_recorded_on_the_page_is_listed_and_a_bad_one_refused(api, http):
    shared, _ = await shared_and_private(http)
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(f"/forloeb/{shared}")
        assert "Kontakter i akutfunktionen" in page.text and f'action="/forloeb/{shared}/akut#akut"' in page.text
        assert "Ingen kontakter i akutfunktionen" in text(page)
        token = await csrf(c, f"/forloeb/{shared}")

        when = TODAY - timedelta(days=2)
        form = {"csrf": token, "idem": "a1", "contact_on": str(when), "outcome": "sent_home", "note": ""}
        r = await c.post(f"/forloeb/{shared}/akut", data=form)
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("?besked=akut#akut")
        page = await c.get(r.headers["location"])
        assert "Kontakten i akutfunktionen er registreret." in text(page)
        assert 'data-testid="acute-contacts"' in page.text and "Sendt hjem" in text(page)

        # Referred on without saying to whom: refused beside the form, with what was typed kept.
        bad = {"csrf": token, "idem": "a2", "contact_on": str(TODAY), "outcome": "referred", "note": ""}
        r = await c.post(f"/forloeb/{shared}/akut", data=bad)
        assert r.status_code == 409
        assert "to whom" in text(r) and 'id="form-acute"' in r.text

        good = {**bad, "idem": "a3", "note": "CLIN-henvist til ambulatoriet"}
        assert (await c.post(f"/forloeb/{shared}/akut", data=good)).status_code == 303

    async with signed_in(api, "municipality", "municipality:751") as m:
        page = await m.get(f"/forloeb/{shared}")
        assert page.status_code == 200
        assert "Henvist videre" in text(page) and "Sendt hjem" in text(page)
        assert "CLIN-" not in page.text and 'id="form-acute"' not in page.text


async def test_visitation_accepts_into_an_inpatient_course_on_the_referral_page(api, http):
    async with http.as_("clinician", REGION) as c:
        ref = (await c.post("/referrals", json=referral(source="acute_function"))).json()
    page_url = f"/henvisninger/{ref['referral_id']}"
    async with signed_in(api, "visitation", REGION) as v:
        page = await v.get(page_url)
        assert 'name="ward"' in page.text and 'name="admitted_on"' in page.text
        token = await csrf(v, page_url)
        form = {"csrf": token, "idem": "d0", "decision": "accept", "setting": "inpatient", "ward": "", "reason": ""}
        # Without the ward: refused beside the form, saying the admission is needed.
        r = await v.post(f"{page_url}/visitation", data=form)
        assert r.status_code == 409 and "needs the admission" in text(r)
        form = {**form, "idem": "d1", "ward": "Afsnit P3", "via": "acute_function", "admitted_on": str(TODAY)}
        r = await v.post(f"{page_url}/visitation", data=form)
        assert r.status_code == 303, r.text
        pathway_id = r.headers["location"].split("/forloeb/")[1].split("?")[0]
    async with http.as_("clinician", REGION) as c:
        [stay] = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
    assert (stay["ward"], stay["via"], stay["admitted_on"]) == ("Afsnit P3", "acute_function", str(TODAY))
