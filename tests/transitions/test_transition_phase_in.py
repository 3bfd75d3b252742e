"""A transition into integrated care for a target group not yet open in the region (issue #18 item 8): it is
completed, and its pathway is held until the group opens, as a referral is (conftest: group 3 opens in region
1085 on LATE_OPENING). The release itself runs on the time-skipping server (test_transition_timers.py)."""

from tests.conftest import LATE_OPENING, LATE_REGION

from .support import TODAY, assessment, start, step, to_integrated

KOEGE = "259"  # in region 1085


async def test_a_transition_into_a_group_not_yet_open_completes_and_is_held_until_it_opens(http, pool):
    region = f"region:{LATE_REGION}"
    async with http.as_("municipality", f"municipality:{KOEGE}") as mun, http.as_("clinician", region) as cli:
        body = to_integrated(municipality=KOEGE, dialogue_consent="refused", psychiatric_contact="none")
        created = await start(mun, body)
        tid = created["transition_id"]
        await step(cli, tid, "assessment", assessment(answer=None))
        talk = {"held_on": TODAY, "summary": "talked", "motivational_work": "MI", "patient_agrees": True}
        await step(cli, tid, "patient-talk", talk)
        t = await step(cli, tid, "complete")
        assert (t["state"], t["outcome"], t["closure"], t["pathway_id"]) == ("completed", "transition", "held", None)
        assert t["held_until"] == LATE_OPENING and t["group"] == 3
    # No pathway started (nor claimed) before the opening day.
    patient = await pool.fetchval("SELECT patient_id FROM rm_transitions WHERE transition_id = $1", tid)
    assert await pool.fetchval("SELECT count(*) FROM pathway_claims WHERE patient_id = $1", patient) == 0
