"""Visitation's list of referrals still to decide: its own region's, the nearest start deadline first."""

from __future__ import annotations

from tests.api.helpers import referral
from tests.conftest import LATE_OPENING

# Køge, in the region whose group 3 opens late (tests/conftest.py): a group-3 referral there is held.
KOEGE, REGION = "259", "region:1085"
GROUP3 = {"psychiatric_contact": "none", "municipal_substance_treatment": True}


async def test_visitation_lists_its_regions_undecided_referrals_by_deadline(http, pool):
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        held = (await c.post("/referrals", json=referral(municipality=KOEGE, facts=GROUP3))).json()
        waiting = (await c.post("/referrals", json=referral(municipality=KOEGE))).json()
        declined = (await c.post("/referrals", json=referral(municipality=KOEGE))).json()
        elsewhere = (await c.post("/referrals", json=referral())).json()  # Aarhus, region 1082
        assert (held["status"], waiting["status"]) == ("held_until_phase_in", "awaiting_visitation")
        r = await v.post(
            f"/referrals/{declined['referral_id']}/decision",
            json={"accept": False, "reason": "coordinated treatment suffices"},
        )
        assert r.status_code == 200, r.text

        r = await v.get("/referrals")
        assert r.status_code == 200, r.text
        rows = r.json()
        ids = [row["referral_id"] for row in rows]
        assert held["referral_id"] in ids and waiting["referral_id"] in ids
        assert declined["referral_id"] not in ids and elsewhere["referral_id"] not in ids
        assert {row["region"] for row in rows} == {"1085"}
        assert {row["status"] for row in rows} <= {"awaiting_visitation", "held_until_phase_in"}
        # The held one's deadline follows the group's opening, later than the waiting one's.
        assert ids.index(waiting["referral_id"]) < ids.index(held["referral_id"])
        deadlines = [row["start_deadline"] for row in rows if row["start_deadline"] is not None]
        assert deadlines == sorted(deadlines) and LATE_OPENING <= rows[ids.index(held["referral_id"])]["start_deadline"]
        # The same rows as each referral read on its own: one policy for both.
        one = (await v.get(f"/referrals/{waiting['referral_id']}")).json()
        assert rows[ids.index(waiting["referral_id"])] == one

        decided = [row["referral_id"] for row in (await v.get("/referrals", params={"status": "declined"})).json()]
        assert declined["referral_id"] in decided and waiting["referral_id"] not in decided
        assert (await v.get("/referrals", params={"status": "lost"})).status_code == 422

    # The read is in the access log, as a list read.
    assert (
        await pool.fetchval(
            """SELECT count(*) FROM access_log WHERE action = 'GET /referrals' AND object_kind = 'list'
             AND organisation = $1""",
            REGION,
        )
        >= 2
    )


async def test_only_visitation_lists_referrals(http):
    for role, org in (("clinician", REGION), ("municipality", "municipality:259"), ("ops", "ops:national")):
        async with http.as_(role, org) as c:
            r = await c.get("/referrals")
        assert r.status_code == 403 and r.json()["allowed"] == ["visitation"], (role, r.text)
