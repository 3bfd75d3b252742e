"""A CPR number is no oracle: no answer tells a caller that a pathway or a transition exists,
or which, unless they may see it; and the worklist follows consent as the pathway does."""

from __future__ import annotations

from tests.api.helpers import accepted_pathway, cpr, referral
from tests.transitions.support import assessment, to_integrated

REGION, MUNICIPALITY = "region:1082", "municipality:751"


async def test_only_roles_that_refer_may_refer(http):
    async with http.as_("ops", "ops:national") as ops:
        r = await ops.post("/referrals", json=referral())
    assert r.status_code == 403 and set(r.json()["allowed"]) == {"clinician", "visitation", "municipality", "gp"}, (
        r.text
    )


async def test_a_referral_for_a_patient_in_a_pathway_says_so_only_to_who_may_see_it(http):
    number = cpr()
    pathway_id = await accepted_pathway(http, cpr=number)
    fresh = referral()
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("clinician", REGION) as cli:
        unknown = (await mun.post("/referrals", json=fresh)).json()
        known = (await mun.post("/referrals", json=referral(cpr=number))).json()
        # Without consent the municipality cannot tell the two apart: same status, deadline, reasons.
        assert pathway_id not in str(known)
        assert {k: v for k, v in known.items() if k != "referral_id"} == {
            k: v for k, v in unknown.items() if k != "referral_id"
        }
        assert known["status"] == "awaiting_visitation" and known["pathway_id"] is None
        # The region's clinician may see the pathway: the referral joins it, and says so.
        region = (await cli.post("/referrals", json=referral(cpr=number))).json()
        assert (region["status"], region["pathway_id"]) == ("attached", pathway_id)
        # A repeat with its Idempotency-Key answers alike, never with more.
        key = {"Idempotency-Key": f"oracle-{number}"}
        first = (await mun.post("/referrals", json=referral(cpr=number), headers=key)).json()
        again = await mun.post("/referrals", json=referral(cpr=number), headers=key)
        assert again.status_code in (200, 201) and pathway_id not in again.text and again.json() == first


async def test_a_transition_refused_for_an_unseen_pathway_names_nothing(http):
    number = cpr()
    pathway_id = await accepted_pathway(http, cpr=number)  # in region 1082
    # The patient now lives in Copenhagen (101, region 1084), whose staff cannot see the 1082 pathway.
    body = to_integrated(cpr=number, municipality="101")
    async with http.as_("clinician", "region:1084") as other, http.as_("municipality", "municipality:101") as mun:
        for c in (other, mun):
            r = await c.post("/transitions", json=body)
            assert r.status_code == 409, r.text
            assert pathway_id not in r.text and "integrated treatment already" not in r.text, r.text


async def test_withdrawn_consent_takes_the_transitions_tasks_off_the_municipal_worklist(http):
    pathway_id = await accepted_pathway(http)
    consent = {"scope": "dialogue", "counterpart": "751", "form": "written"}
    async with http.as_("clinician", REGION) as cli, http.as_("municipality", MUNICIPALITY) as mun:
        assert (
            await cli.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "given"})
        ).status_code == 200
        r = await cli.post(
            "/transitions", json={"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "stable"}
        )
        assert r.status_code == 201, r.text
        tid = r.json()["transition_id"]
        r = await cli.post(f"/transitions/{tid}/assessment", json=assessment(answer="we propose coordinated"))
        assert r.status_code == 200, r.text
        r = await cli.post(
            f"/transitions/{tid}/tasks",
            json={"title": "call the substance worker", "owner": "municipality", "involves_patient": False},
        )
        assert r.status_code == 201, r.text

        async def municipal_tasks() -> set[str]:
            rows = (await mun.get("/worklist", params={"limit": 500})).json()
            return {t["task_id"] for t in rows if t["referral_id"] == tid}

        assert await municipal_tasks(), "the municipality's task on the transition should be on its worklist"
        r = await cli.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "withdrawn"})
        assert r.status_code == 200, r.text
        assert await municipal_tasks() == set()
