"""Settings per region (issue #18 item 11), through the API on the real servers: region 1085 (conftest) holds
meetings within 2 working days, calls a stay of 3 days a longer one, and is closed on 1 December."""

from datetime import timedelta

from dualpath.domain import copenhagen
from tests.conftest import LATE_REGION

from .helpers import accepted_pathway

REGION = f"region:{LATE_REGION}"
KOEGE = "259"  # in region 1085
GROUP_2 = {"psychiatric_contact": "current", "municipal_substance_treatment": True}
PARTICIPANTS = [{"role": "behandler", "organisation": REGION}]


async def test_a_regions_own_meeting_days_and_closed_day_give_the_hold_by_date(http):
    own = await accepted_pathway(http, REGION, municipality=KOEGE, facts=GROUP_2)
    national = await accepted_pathway(http)
    # Monday 30 November 2026: two working days in 1085 skip its closed 1 December; five elsewhere.
    called = {"kind": "network_meeting", "participants": PARTICIPANTS, "called_on": "2026-11-30"}
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{own}/meetings", json=called)
    assert r.status_code == 201, r.text
    assert r.json()["hold_by"] == "2026-12-03"
    async with http.as_("clinician", "region:1082") as c:
        r = await c.post(
            f"/pathways/{national}/meetings",
            json={**called, "participants": [{"role": "behandler", "organisation": "region:1082"}]},
        )
    assert r.status_code == 201, r.text
    assert r.json()["hold_by"] == "2026-12-07"


async def test_a_regions_own_longer_stay_threshold_decides_the_discharge_meeting(http):
    own = await accepted_pathway(http, REGION, municipality=KOEGE, facts=GROUP_2)
    admitted_on = copenhagen.today() - timedelta(days=4)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            f"/pathways/{own}/admissions", json={"via": "planned", "ward": "S2", "admitted_on": str(admitted_on)}
        )
        assert r.status_code == 201, r.text
        stay = r.json()["stay_id"]
        plan = await c.post(
            f"/pathways/{own}/admissions/{stay}/discharge-plan",
            json={"planned_date": str(admitted_on + timedelta(days=4)), "keep_reason": "test: any day will do"},
        )
    assert plan.status_code == 200, plan.text
    # Four days: a longer stay in 1085 (3 days), a short one by the national 7.
    assert plan.json()["network_meeting_required"] is True
