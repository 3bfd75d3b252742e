"""The coordinated course after integrated care (issue #18, item 9), over real HTTP on the real servers.

A declined referral and a planned closure to coordinated treatment each start a coordinated course: a
follow-up task for the municipality, a check-in date and an end date from the settings. The municipality
sees the course only when it is shared with it (its own referral, or the patient's consent to dialogue);
a relapse refers the patient back to visitation with a new referral that names the course, and the course
ends. (The timers themselves: tests/workflows/test_coordinated_course_timers.py.)
"""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from dualpath import workflow_ids
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.settings import Settings
from dualpath.workflows import coordinated_course as wf
from dualpath.workflows.coordinated_course_messages import RelapseCommand
from tests.poll import eventually

from .helpers import accepted_pathway, close_open_tasks, referral

REGION = "region:1082"
AARHUS = "municipality:751"
COURSES = "/coordinated-courses"


def _relapse_body(**overrides) -> dict:
    body = referral()
    return {
        "reason": "missed three appointments at the substance treatment centre; a crisis",
        "facts": body["facts"],
        "criteria": body["criteria"],
        **overrides,
    }


async def _declined(http, source: str = "municipality") -> str:
    async with http.as_("municipality", AARHUS) as m, http.as_("visitation", REGION) as v:
        r = await m.post("/referrals", json=referral(source=source))
        assert r.status_code == 201, r.text
        referral_id = r.json()["referral_id"]
        d = await v.post(
            f"/referrals/{referral_id}/decision", json={"accept": False, "reason": "parallel treatment suffices now"}
        )
        assert d.status_code == 200 and d.json()["status"] == "declined", d.text
        return referral_id


async def _course_after(c, origin_id: str) -> dict:
    r = await c.get(COURSES, params={"origin_id": origin_id})
    assert r.status_code == 200, r.text
    [course] = r.json()
    return course


async def test_a_declined_referral_is_followed_by_the_municipality_and_a_relapse_refers_back(http):
    referral_id = await _declined(http)
    today = copenhagen.today()
    async with (
        http.as_("visitation", REGION) as v,
        http.as_("municipality", AARHUS) as m,
        http.as_("municipality", "municipality:101") as other,
        http.as_("clinician", "region:1084") as other_region,
        http.as_("ops", "ops:platform") as ops,
    ):
        course = await _course_after(v, referral_id)  # the decline's answer waited for it: no polling
        course_id = course["course_id"]
        assert (course["origin"], course["region"], course["municipality"], course["status"]) == (
            "declined_referral",
            "1082",
            "751",
            "active",
        )
        assert (course["started_on"], course["check_in_on"], course["ends_on"]) == (
            str(today),
            str(today + timedelta(days=90)),
            str(today + timedelta(days=180)),
        )
        assert course["shared_with_municipality"] is True  # the municipality referred the patient itself
        assert "patient_id" not in course

        # The municipality's own: the course, and its follow-up task on the municipality's worklist.
        assert (await _course_after(m, referral_id))["course_id"] == course_id
        seen = await m.get(f"{COURSES}/{course_id}")
        assert seen.status_code == 200, seen.text
        [task] = seen.json()["tasks"]
        assert (task["kind"], task["owner_role"], task["owner_org"], task["due"], task["state"]) == (
            "coordinated_follow_up",
            "municipality",
            AARHUS,
            str(today + timedelta(days=14)),
            "open",
        )
        worklist = (await m.get("/worklist", params={"kind": "coordinated_follow_up", "limit": 500})).json()
        assert task["task_id"] in {t["task_id"] for t in worklist}
        # Nobody else's.
        assert (await other.get(f"{COURSES}/{course_id}")).status_code == 404
        assert (await other.get(COURSES, params={"origin_id": referral_id})).json() == []
        assert (await other_region.get(f"{COURSES}/{course_id}")).status_code == 404
        assert (await ops.get(f"{COURSES}/{course_id}")).status_code == 200  # process state

        # The task is completed by the municipality that owns it, not by the region nor ops.
        done = f"{COURSES}/{course_id}/tasks/{task['task_id']}/complete"
        assert (await v.post(done, json={"outcome": "done"})).status_code == 403
        assert (await ops.post(done, json={"outcome": "done"})).status_code == 403
        bad = await m.post(done, json={"outcome": "maybe"})
        assert bad.status_code == 422, bad.text
        r = await m.post(done, json={"outcome": "done", "note": "first conversation held"})
        assert r.status_code == 200, r.text
        assert [t["state"] for t in r.json()["tasks"]] == ["done"]

        # A relapse: back to visitation through the referral's own path, the history kept on both sides.
        refused = await m.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body(reason="   "))
        assert refused.status_code in (409, 422) and "reason" in refused.text, refused.text
        assert (await ops.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body())).status_code == 403
        r = await m.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body())
        assert r.status_code == 201, r.text
        new_referral = r.json()["referral"]
        assert new_referral["status"] == "awaiting_visitation" and new_referral["group"] == 2
        assert new_referral["start_deadline"] == str(today + timedelta(days=14))
        relapsed = r.json()["course"]
        assert (relapsed["status"], relapsed["relapse_referral_id"], relapsed["relapsed_on"]) == (
            "relapsed",
            new_referral["referral_id"],
            str(today),
        )
        got = await v.get(f"/referrals/{new_referral['referral_id']}")
        assert got.status_code == 200 and got.json()["from_coordinated_course"] == course_id, got.text
        assert got.json()["source"] == "municipality"
        again = await m.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body())
        assert again.status_code == 409 and "relapsed" in again.json()["message"], again.text
        # Visitation decides the referral back as any other.
        accepted = await v.post(f"/referrals/{new_referral['referral_id']}/decision", json={"accept": True})
        assert accepted.status_code == 200 and accepted.json()["pathway_id"], accepted.text


async def test_a_relapse_recorded_on_the_course_whose_referral_was_not_started_starts_it_when_repeated(http, client):
    """The course records the relapse with the referral's id drawn beforehand; should the referral's start be
    lost after that, repeating the request starts the very referral the course names (nothing half-applied)."""
    referral_id = await _declined(http)
    async with http.as_("municipality", AARHUS) as m, http.as_("visitation", REGION) as v:
        course_id = (await _course_after(m, referral_id))["course_id"]
        drawn = "0b7c1a52-52a7-4d4f-9a51-" + course_id[-12:]
        handle = client.get_workflow_handle(workflow_ids.coordinated(course_id, "1082"))
        await handle.execute_update(
            wf.CoordinatedCourseWorkflow.relapse,
            RelapseCommand(
                referral_id=drawn, reason="worse", actor=Actor(subject="m", role="municipality", organisation=AARHUS)
            ),
        )
        await eventually(
            lambda: m.get(f"{COURSES}/{course_id}"), lambda r: r.json()["status"] == "relapsed", what="the relapse"
        )
        assert (await v.get(f"/referrals/{drawn}")).status_code == 404  # not started
        r = await m.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body())
        assert r.status_code == 201, r.text
        assert r.json()["referral"]["referral_id"] == drawn
        got = await v.get(f"/referrals/{drawn}")
        assert got.status_code == 200 and got.json()["from_coordinated_course"] == course_id, got.text
        again = await m.post(f"{COURSES}/{course_id}/relapse", json=_relapse_body())
        assert again.status_code == 409, again.text


async def test_a_course_not_shared_with_the_municipality_is_followed_by_the_region_alone(http):
    referral_id = await _declined(http, source="general_practice")
    async with http.as_("visitation", REGION) as v, http.as_("municipality", AARHUS) as m:
        course = await _course_after(v, referral_id)
        assert course["shared_with_municipality"] is False
        [task] = (await v.get(f"{COURSES}/{course['course_id']}")).json()["tasks"]
        assert (task["owner_role"], task["owner_org"]) == ("visitation", REGION)
        assert (await m.get(f"{COURSES}/{course['course_id']}")).status_code == 404
        assert (await m.get(COURSES, params={"origin_id": referral_id})).json() == []


async def _closed_to_coordinated(c, pathway_id: str, *, withdraw_consent: bool = False) -> None:
    for to in (3, 4):
        await close_open_tasks(c, pathway_id)  # phase 1's records the dialogue consent with Aarhus
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": to, "reason": "stable"})
        assert r.status_code == 200, r.text
    await close_open_tasks(c, pathway_id)
    if withdraw_consent:
        withdrawn = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "withdrawn", "form": "oral"},
        )
        assert withdrawn.status_code == 200, withdrawn.text
    assert (await c.get(COURSES, params={"origin_id": pathway_id})).json() == []
    r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "transition_coordinated"})
    assert r.status_code == 200 and r.json()["level_of_care"] == "coordinated", r.text


async def test_a_planned_closure_to_coordinated_treatment_starts_the_course_shared_on_consent(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c, http.as_("municipality", AARHUS) as m:
        await _closed_to_coordinated(c, pathway_id)
        course = await _course_after(c, pathway_id)  # the end's answer waited for it: no polling
        assert (course["origin"], course["pathway_id"], course["shared_with_municipality"], course["status"]) == (
            "planned_closure",
            pathway_id,
            True,
            "active",
        )
        seen = await m.get(f"{COURSES}/{course['course_id']}")
        assert seen.status_code == 200, seen.text
        assert [(t["kind"], t["owner_org"]) for t in seen.json()["tasks"]] == [("coordinated_follow_up", AARHUS)]


async def test_a_planned_closure_without_consent_is_followed_by_the_region_alone(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c, http.as_("municipality", AARHUS) as m:
        await _closed_to_coordinated(c, pathway_id, withdraw_consent=True)
        course = await _course_after(c, pathway_id)
        assert course["shared_with_municipality"] is False
        [task] = (await c.get(f"{COURSES}/{course['course_id']}")).json()["tasks"]
        assert (task["owner_role"], task["owner_org"]) == ("visitation", REGION)
        assert (await m.get(f"{COURSES}/{course['course_id']}")).status_code == 404
        assert (await m.get(COURSES, params={"origin_id": pathway_id})).json() == []


async def test_an_unplanned_end_starts_no_course(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away", "reason": "to Norway"})
        assert r.status_code == 200, r.text
        assert (await c.get(COURSES, params={"origin_id": pathway_id})).json() == []


def test_the_check_in_must_fall_within_the_follow_up_period():
    with pytest.raises(ValidationError, match="COORDINATED_CHECK_IN_DAYS"):
        Settings(_env_file=None, coordinated_follow_up_days=60, coordinated_check_in_days=60)
    ok = Settings(_env_file=None, coordinated_follow_up_days=60, coordinated_check_in_days=30)
    assert (ok.coordinated_follow_up_days, ok.coordinated_check_in_days, ok.coordinated_task_days) == (60, 30, 14)
