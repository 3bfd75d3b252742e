"""The meeting before discharge (issue #18 item 1): a network meeting after a longer stay, a conversation about
the transition after a short one; the plan decides which, the held discharge meeting closes the stay's task, and
a discharge without it is refused unless the reason is recorded."""

from datetime import timedelta

from dualpath.domain import copenhagen
from dualpath.workflows import inpatient_stay as stay_wf

from ..api.helpers import accepted_pathway
from ..poll import eventually
from .test_admissions import REGION, _admit, _to_phase_4

PARTICIPANTS = [
    {"role": "clinician", "organisation": REGION},
    {"role": "case_worker", "organisation": "municipality:751"},
]


async def _stay(c, pathway_id, stay_id):
    return next(s for s in (await c.get(f"/pathways/{pathway_id}/admissions")).json() if s["stay_id"] == stay_id)


def _open(stay, kind):
    return [t for t in stay["tasks"] if t["kind"] == kind and t["state"] == "open"]


async def test_the_discharge_meeting_closes_the_stays_task_and_the_discharge_records_it(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-10-05")
        await _to_phase_4(c, pathway_id, stay["stay_id"])
        [task] = _open(await _stay(c, pathway_id, stay["stay_id"]), "network_meeting")
        # Completing it by hand is refused: it is completed by holding the meeting.
        r = await c.post(f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete", json={"outcome": "done"})
        assert r.status_code == 409 and "meetings" in r.json()["message"]
        r = await c.post(
            f"/pathways/{pathway_id}/meetings",
            json={"kind": "network_meeting", "stay_id": stay["stay_id"], "participants": PARTICIPANTS},
        )
        assert r.status_code == 201, r.text
        meeting = r.json()
        assert (meeting["occasion"], meeting["stay_id"]) == ("discharge", stay["stay_id"])
        r = await c.post(
            f"/pathways/{pathway_id}/meetings/{meeting['meeting_id']}/held",
            json={"held_on": str(copenhagen.today()), "outcome": "home visit agreed with the municipality"},
        )
        assert r.status_code == 200, r.text

        async def closed():
            s = await _stay(c, pathway_id, stay["stay_id"])
            return next(t for t in s["tasks"] if t["task_id"] == task["task_id"])["state"] == "done"

        await eventually(closed, what="the stay's network_meeting task closed by the held meeting")
        # Wednesday 21 October 2026: a working day follows; no reason is needed.
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge", json={"discharged_on": "2026-10-21"}
        )
        assert r.status_code == 200, r.text
        shown = r.json()["stay"]
        assert (shown["required_meeting"], shown["meeting_held"], shown["meeting_not_held_reason"]) == (
            "network_meeting",
            True,
            None,
        )
    [discharged] = [
        e for e in await store.read_stream(stay_wf.stream_id(pathway_id, 1)) if e.type == "PatientDischarged"
    ]
    assert discharged.data["required_meeting"] == "network_meeting" and discharged.data["meeting_held"] is True


async def test_a_discharge_without_its_meeting_is_refused_unless_the_reason_is_recorded(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-10-05")
        await _to_phase_4(c, pathway_id, stay["stay_id"])
        [task] = _open(await _stay(c, pathway_id, stay["stay_id"]), "network_meeting")
        base = f"/pathways/{pathway_id}/admissions/{stay['stay_id']}"
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-10-21"})
        assert r.status_code == 409, r.text
        assert "network meeting" in r.json()["message"] and "meeting_reason" in r.json()["message"]
        assert (await _stay(c, pathway_id, stay["stay_id"]))["status"] == "admitted"  # nothing half-applied
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-10-21", "meeting_reason": "   "})
        assert r.status_code == 409
        why = "the patient left against advice; the municipality was told by phone"
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-10-21", "meeting_reason": why})
        assert r.status_code == 200, r.text
        shown = r.json()["stay"]
        assert (shown["required_meeting"], shown["meeting_held"], shown["meeting_not_held_reason"]) == (
            "network_meeting",
            False,
            why,
        )
    events = await store.read_stream(stay_wf.stream_id(pathway_id, 1))
    [closed] = [e.data for e in events if e.type == "TaskCompleted" and e.data["task_id"] == task["task_id"]]
    assert (closed["outcome"], closed["note"]) == ("not_possible", why)


async def test_a_meeting_task_closed_as_not_possible_carries_its_reason_to_the_discharge(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-10-05")
        await _to_phase_4(c, pathway_id, stay["stay_id"])
        [task] = _open(await _stay(c, pathway_id, stay["stay_id"]), "network_meeting")
        r = await c.post(
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete",
            json={"outcome": "not_possible", "note": "the patient declined any meeting"},
        )
        assert r.status_code == 200, r.text
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge", json={"discharged_on": "2026-10-21"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["stay"]["meeting_not_held_reason"] == "the patient declined any meeting"


async def test_the_plan_judges_the_length_and_opens_the_meeting_it_calls_for(http):
    today = copenhagen.today()
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, str(today - timedelta(days=2)))
        await _to_phase_4(c, pathway_id, stay["stay_id"])

        async def planned_for(days_on: int) -> tuple[dict, dict]:
            r = await c.post(
                f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge-plan",
                json={
                    "planned_date": str(today + timedelta(days=days_on)),
                    "keep_reason": "whatever the calendar says",
                },
            )
            assert r.status_code == 200, r.text
            return r.json(), await _stay(c, pathway_id, stay["stay_id"])

        # Two days in, phase 4 expects a short stay: the conversation about the transition.
        shown = await _stay(c, pathway_id, stay["stay_id"])
        assert _open(shown, "transition_conversation") and not _open(shown, "network_meeting")
        # The plan for three weeks on makes it a longer stay: a network meeting instead.
        plan, shown = await planned_for(19)
        assert plan["network_meeting_required"]
        assert _open(shown, "network_meeting") and not _open(shown, "transition_conversation")
        cancelled = [t for t in shown["tasks"] if t["kind"] == "transition_conversation"]
        assert [t["state"] for t in cancelled] == ["cancelled"]
        # Planned again for the day after tomorrow: back to a short stay, and its conversation.
        plan, shown = await planned_for(2)
        assert plan["transition_conversation_required"]
        assert _open(shown, "transition_conversation") and not _open(shown, "network_meeting")


async def test_a_discharge_meeting_names_an_admitted_stay_of_the_pathway(http):
    pathway_id = await accepted_pathway(http)
    other_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        other = await _admit(c, other_id, "2026-10-05")
        meeting = {"kind": "network_meeting", "participants": PARTICIPANTS}
        r = await c.post(f"/pathways/{pathway_id}/meetings", json={**meeting, "occasion": "discharge"})
        assert r.status_code == 422 and "stay_id" in r.json()["message"]
        r = await c.post(
            f"/pathways/{pathway_id}/meetings", json={**meeting, "occasion": "phase_4", "stay_id": other["stay_id"]}
        )
        assert r.status_code == 422
        r = await c.post(f"/pathways/{pathway_id}/meetings", json={**meeting, "stay_id": other["stay_id"]})
        assert r.status_code == 404  # another pathway's stay is not found here
        r = await c.post(f"/pathways/{pathway_id}/meetings", json={**meeting, "occasion": "holiday"})
        assert r.status_code == 422
        r = await c.post(f"/pathways/{pathway_id}/meetings", json={**meeting, "occasion": "phase_4"})
        assert r.status_code == 201 and r.json()["occasion"] == "phase_4" and r.json()["stay_id"] is None
