"""The discharge meeting on the pathway page: called for the stay, its occasion shown, and a discharge without it
refused until the reason is given, which the stay then shows."""

from tests.api.helpers import accepted_pathway
from tests.inpatient.test_admissions import _admit, _to_phase_4

from .helpers import REGION, csrf, signed_in, text


async def test_a_discharge_meeting_called_on_the_page_and_a_discharge_without_it_shows_its_reason(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        stay = await _admit(a, pathway_id, "2026-10-05")
        await _to_phase_4(a, pathway_id, stay["stay_id"])
        page = await c.get(f"/forloeb/{pathway_id}")
        assert 'name="occasion"' in page.text and f'value="{stay["stay_id"]}"' in page.text
        token = await csrf(c, f"/forloeb/{pathway_id}")
        r = await c.post(
            f"/forloeb/{pathway_id}/moeder",
            data={
                "csrf": token,
                "idem": "m1",
                "kind": "network_meeting",
                "stay_id": stay["stay_id"],
                "participants": f"behandler, {REGION}\nsagsbehandler, municipality:751",
                "called_on": "2026-10-19",
            },
        )
        assert r.status_code == 303, r.text
        [meeting] = (await a.get(f"/pathways/{pathway_id}/meetings")).json()
        assert (meeting["occasion"], meeting["stay_id"]) == ("discharge", stay["stay_id"])
        assert "Udskrivelse fra indlæggelse" in text(await c.get(f"/forloeb/{pathway_id}"))

        # Called, not held: the discharge is refused, and the page says why and keeps the input.
        discharge = f"/forloeb/{pathway_id}/indlaeggelser/{stay['stay_id']}/udskrivelse"
        refused = await c.post(discharge, data={"csrf": token, "idem": "d1", "discharged_on": "2026-10-21"})
        assert refused.status_code == 409 and "network meeting" in text(refused)
        why = "patienten udeblev fra mødet"
        r = await c.post(
            discharge, data={"csrf": token, "idem": "d2", "discharged_on": "2026-10-21", "meeting_reason": why}
        )
        assert r.status_code == 303, r.text
        shown = text(await c.get(f"/forloeb/{pathway_id}"))
    assert "Netværksmøde (længere indlæggelse)" in shown and f"Ikke afholdt · {why}" in shown


async def test_leave_is_granted_and_its_outcome_recorded_on_the_page(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        stay = await _admit(a, pathway_id, "2026-11-16")
        token = await csrf(c, f"/forloeb/{pathway_id}")
        base = f"/forloeb/{pathway_id}/indlaeggelser/{stay['stay_id']}/orlov"
        backwards = {"csrf": token, "idem": "o1", "kind": "orlov", "from_date": "2026-11-22", "to_date": "2026-11-20"}
        refused = await c.post(base, data=backwards)
        assert refused.status_code == 409 and "before it starts" in text(refused)
        leave = {**backwards, "idem": "o2", "from_date": "2026-11-20", "to_date": "2026-11-22"}
        r = await c.post(base, data=leave)
        assert r.status_code == 303, r.text
        page = text(await c.get(r.headers["location"]))
        assert "Orloven er registreret" in page and "ikke registreret, hvordan den gik" in page
        [granted] = next(s for s in (await a.get(f"/pathways/{pathway_id}/admissions")).json())["leaves"]
        r = await c.post(
            f"{base}/{granted['leave_id']}/forloeb",
            data={"csrf": token, "idem": "o3", "went": "not_returned", "note": "kom tilbage mandag med politiet"},
        )
        assert r.status_code == 303, r.text
        page = text(await c.get(r.headers["location"]))
    assert "Patienten vendte ikke tilbage · kom tilbage mandag med politiet" in page
