"""At most one active pathway per patient, over real HTTP against the real Temporal server: two referrals
of one patient accepted at the same moment start one pathway; the other is refused (409) without naming
it, and can be accepted once that pathway has ended."""

import asyncio

from tests.poll import eventually

from .helpers import cpr, referral

REGION = "region:1082"


async def test_two_referrals_of_one_patient_accepted_at_once_start_one_pathway(http, pool):
    number = cpr()
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        referrals = []
        for _ in range(2):
            r = await c.post("/referrals", json=referral(cpr=number))
            assert r.status_code == 201 and r.json()["status"] == "awaiting_visitation", r.text
            referrals.append(r.json()["referral_id"])
        answers = await asyncio.gather(
            *[v.post(f"/referrals/{rid}/decision", json={"accept": True}) for rid in referrals]
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        won, lost = sorted(answers, key=lambda a: a.status_code)
        pathway_id = won.json()["pathway_id"]
        assert "already has an active integrated pathway" in lost.json()["message"], lost.text
        assert pathway_id not in lost.text
        patient = await pool.fetchval("SELECT patient_id FROM rm_pathways WHERE pathway_id = $1", pathway_id)
        assert await pool.fetchval("SELECT count(*) FROM rm_pathways WHERE patient_id = $1", patient) == 1
        assert await pool.fetchval("SELECT pathway_id FROM pathway_claims WHERE patient_id = $1", patient) == pathway_id
        # The loser still waits for visitation.
        waiting = next(rid for rid, a in zip(referrals, answers) if a.status_code == 409)
        assert (await c.get(f"/referrals/{waiting}")).json()["status"] == "awaiting_visitation"

        # Once the pathway has ended, the patient may start a pathway again.
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "other", "reason": "moved abroad"})
        assert r.status_code == 200, r.text
        await eventually(
            lambda: pool.fetchval("SELECT NOT EXISTS (SELECT 1 FROM pathway_claims WHERE patient_id = $1)", patient),
            what="the ended pathway gives back its claim",
        )
        again = await v.post(f"/referrals/{waiting}/decision", json={"accept": True})
        assert again.status_code == 200, again.text
        assert again.json()["pathway_id"] not in (None, pathway_id)
    assert (
        await pool.fetchval("SELECT count(*) FROM rm_pathways WHERE patient_id = $1 AND status = 'active'", patient)
        == 1
    )


async def test_another_regions_visitation_learns_nothing_of_which_pathway(http, pool):
    number = cpr()
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        r = await c.post("/referrals", json=referral(cpr=number))
        d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
        assert d.status_code == 200, d.text
        pathway_id = d.json()["pathway_id"]
    # The patient is referred again in another region (Copenhagen, 101 → region 1084), whose staff cannot see it.
    async with http.as_("clinician", "region:1084") as c, http.as_("visitation", "region:1084") as v:
        r = await c.post("/referrals", json=referral(cpr=number, municipality="101"))
        assert r.status_code == 201 and r.json()["status"] == "awaiting_visitation", r.text
        d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
        assert d.status_code == 409 and pathway_id not in d.text, d.text
        assert "already has an active integrated pathway" in d.json()["message"]
