"""Joint plans made and revised on their own route, over real HTTP on the real servers (issue #18 item 7):
structured content (who does what on each side, the crisis plan, the next review), versions per pathway and
kind shared with the plans made at meetings, and a revision of anything but the latest refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from dualpath.activities.events import EventActivities
from dualpath.activities.joint_plans import JointPlanActivities
from dualpath.contracts.events import NewEvent
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.domain.joint_plans import JointPlanRefused, check_revision
from dualpath.domain.meeting_events import JointPlanRecorded
from dualpath.domain.meetings import Participant
from dualpath.eventstore import rebuild
from dualpath.readmodels.meetings import MeetingsProjection
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows.pathway_joint_plans import JointPlanCommand
from tests.api.helpers import accepted_pathway
from tests.pathways import pathway_input
from tests.poll import eventually

REGION, MUNICIPALITY = "region:1082", "municipality:751"
TODAY = copenhagen.today()
AGREED = [{"role": "psychiatrist", "organisation": REGION}, {"role": "mentor", "organisation": MUNICIPALITY}]
ACTIONS = [
    {"party": "region", "who": "kontaktperson", "what": "ugentlig samtale i ambulatoriet", "by": None},
    {"party": "municipality", "who": "rusmiddelcenter", "what": "opstartsmøde", "by": str(TODAY + timedelta(days=7))},
    {"party": "patient", "who": "patienten", "what": "møder op til samtalerne", "by": None},
]
CRISIS = {"warning_signs": "stopper med at spise", "what_to_do": "ring til akutteamet", "whom_to_call": "akutteam"}


def _plan(kind: str = "koordinationsplan", **overrides) -> dict:
    return {
        "kind": kind,
        "summary": "who does what after discharge",
        "agreed_by": AGREED,
        "actions": ACTIONS,
        "crisis_plan": CRISIS,
        "next_review": str(TODAY + timedelta(days=28)),
        **overrides,
    }


async def _types(store, pathway_id: str) -> list[str]:
    return [e.type for e in await store.read_stream(pathway_wf.stream_id(pathway_id))]


async def test_a_plan_is_made_revised_and_a_stale_revision_is_refused_with_the_current_version(http, store, pool):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        url = f"/pathways/{pathway_id}/joint-plans"
        empty = await c.get(f"{url}/koordinationsplan")
        assert empty.status_code == 200 and empty.json() == {"kind": "koordinationsplan", "latest": None, "history": []}

        r = await c.post(url, json=_plan())
        assert r.status_code == 201, r.text
        first = r.json()["latest"]
        assert first["version"] == 1 and first["meeting_id"] is None and first["revises"] is None
        assert [(a["party"], a["who"], a["what"]) for a in first["actions"]] == [
            (a["party"], a["who"], a["what"]) for a in ACTIONS
        ]
        assert first["actions"][1]["by"] == str(TODAY + timedelta(days=7))
        assert first["crisis_plan"] == CRISIS and first["next_review"] == str(TODAY + timedelta(days=28))

        # A second "first" version would overwrite the one just made.
        r = await c.post(url, json=_plan(summary="someone else's first"))
        assert r.status_code == 409, r.text
        assert "current version is 1" in r.json()["message"] and r.json()["allowed"] == ["revises: 1"]

        r = await c.post(url, json=_plan(revises=1, summary="revised", actions=ACTIONS[:1], crisis_plan=None))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["latest"]["version"] == 2 and body["latest"]["revises"] == 1
        assert body["latest"]["summary"] == "revised" and body["latest"]["crisis_plan"] is None
        assert [p["version"] for p in body["history"]] == [2, 1]

        # Someone who read version 1 and revises it now is told the plan moved on.
        r = await c.post(url, json=_plan(revises=1, summary="stale"))
        assert r.status_code == 409, r.text
        assert "current version is 2, not 1" in r.json()["message"] and r.json()["allowed"] == ["revises: 2"]
        r = await c.post(url, json=_plan(kind="udskrivningsaftale", revises=1))
        assert r.status_code == 409 and "no udskrivningsaftale on this pathway yet" in r.json()["message"], r.text

        # Kinds are versioned apart.
        r = await c.post(url, json=_plan(kind="udskrivningsaftale"))
        assert r.status_code == 201 and r.json()["latest"]["version"] == 1, r.text
        listed = (await c.get(url)).json()
    assert [(p["kind"], p["version"]) for p in listed] == [
        ("udskrivningsaftale", 1),
        ("koordinationsplan", 2),
        ("koordinationsplan", 1),
    ]
    # Recorded by the pathway's own workflow, in its stream; the refusals wrote nothing.
    assert (await _types(store, pathway_id)).count("JointPlanRecorded") == 3

    before = await pool.fetch(
        "SELECT kind, version, revises, actions, crisis_plan, next_review FROM rm_joint_plans "
        "WHERE pathway_id = $1 ORDER BY kind, version",
        pathway_id,
    )
    await rebuild(pool, [MeetingsProjection()])
    after = await pool.fetch(
        "SELECT kind, version, revises, actions, crisis_plan, next_review FROM rm_joint_plans "
        "WHERE pathway_id = $1 ORDER BY kind, version",
        pathway_id,
    )
    assert [tuple(r) for r in after] == [tuple(r) for r in before] and len(before) == 3


async def test_two_revisions_of_the_same_version_at_once_one_is_refused(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION, subject="first") as a, http.as_("clinician", REGION, subject="b") as b:
        url = f"/pathways/{pathway_id}/joint-plans"
        assert (await a.post(url, json=_plan())).status_code == 201
        answers = await asyncio.gather(
            a.post(url, json=_plan(revises=1, summary="a's revision")),
            b.post(url, json=_plan(revises=1, summary="b's revision")),
        )
        latest = (await a.get(f"{url}/koordinationsplan")).json()
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 409)
    assert "current version is 2, not 1" in refused.json()["message"]
    assert [p["version"] for p in latest["history"]] == [2, 1]
    assert (await _types(store, pathway_id)).count("JointPlanRecorded") == 2


async def test_plans_made_at_meetings_and_on_their_own_share_one_numbering(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        m = await c.post(
            f"/pathways/{pathway_id}/meetings",
            json={"kind": "network_meeting", "participants": AGREED, "called_on": str(TODAY)},
        )
        assert m.status_code == 201, m.text
        meeting_id = m.json()["meeting_id"]
        # The meeting's plan takes the structured content too.
        h = await c.post(
            f"/pathways/{pathway_id}/meetings/{meeting_id}/held",
            json={"held_on": str(TODAY), "outcome": "agreed", "joint_plan": _plan()},
        )
        assert h.status_code == 200, h.text
        url = f"/pathways/{pathway_id}/joint-plans"
        at_meeting = (await c.get(f"{url}/koordinationsplan")).json()["latest"]
        assert at_meeting["version"] == 1 and at_meeting["meeting_id"] == meeting_id
        assert len(at_meeting["actions"]) == 3 and at_meeting["crisis_plan"] == CRISIS

        r = await c.post(url, json=_plan(summary="not knowing of the meeting's"))
        assert r.status_code == 409 and "current version is 1" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(revises=1, summary="after the meeting"))
        assert r.status_code == 201, r.text
        assert r.json()["latest"]["version"] == 2 and r.json()["latest"]["meeting_id"] is None


async def test_a_plan_recorded_before_structured_content_still_reads(http, store):
    """An event as meetings recorded it before (a summary and who agreed, nothing more) is read with the
    structured fields empty, and a revision builds on it."""
    pathway_id = await accepted_pathway(http)
    old = {
        "meeting_id": str(uuid.uuid4()),
        "pathway_id": pathway_id,
        "kind": "koordinerende_indsatsplan",
        "summary": "the old plan",
        "agreed_by": [{"role": "psychiatrist", "organisation": REGION, "name_or_function": None}],
    }
    assert JointPlanRecorded.model_validate(old).actions == []
    await store.append(
        f"meeting-{old['meeting_id']}",
        [NewEvent(event_id=uuid.uuid4(), type="JointPlanRecorded", data=old)],
        expected_version=0,
    )
    async with http.as_("clinician", REGION) as c:
        url = f"/pathways/{pathway_id}/joint-plans/koordinerende_indsatsplan"
        got = await eventually(lambda: c.get(url), lambda r: r.json()["latest"] is not None, what="the old plan")
        latest = got.json()["latest"]
        assert latest["summary"] == "the old plan" and latest["version"] == 1
        assert latest["actions"] == [] and latest["crisis_plan"] is None and latest["next_review"] is None
        r = await c.post(f"/pathways/{pathway_id}/joint-plans", json=_plan(kind="koordinerende_indsatsplan", revises=1))
        assert r.status_code == 201 and r.json()["latest"]["version"] == 2, r.text


async def test_bad_content_is_refused_saying_what_is_allowed_and_writes_nothing(http, store):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/joint-plans"
    async with http.as_("clinician", REGION) as c:
        r = await c.post(url, json=_plan(next_review=str(TODAY - timedelta(days=1))))
        assert r.status_code == 409 and "is in the past" in r.json()["message"], r.text
        assert r.json()["allowed"] == [f"next_review from {TODAY} to {TODAY + timedelta(days=731)}"]
        r = await c.post(url, json=_plan(next_review=str(TODAY + timedelta(days=800))))
        assert r.status_code == 409 and "more than two years ahead" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(actions=[]))
        assert r.status_code == 409 and "at least one action" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(crisis_plan={"warning_signs": " "}))
        assert r.status_code == 409 and "crisis plan is empty" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(agreed_by=[]))
        assert r.status_code == 409 and "who agreed" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(summary="  "))
        assert r.status_code == 409 and "needs a summary" in r.json()["message"], r.text
        r = await c.post(url, json=_plan(actions=[{"party": "neighbour", "who": "x", "what": "y"}]))
        assert r.status_code == 422, r.text
        assert "'region', 'municipality', 'patient', 'relative' or 'other'" in r.text
        r = await c.post(url, json=_plan(actions=[{"party": "region", "who": "", "what": "y"}]))
        assert r.status_code == 422, r.text
        r = await c.post(url, json=_plan(crisis_plan={"warning_signs": "x" * 2001}))
        assert r.status_code == 422, r.text
        r = await c.post(url, json=_plan(revises=0))
        assert r.status_code == 422, r.text
        r = await c.post(url, json=_plan(kind="behandlingsplan"))
        assert r.status_code == 422, r.text
        r = await c.get(f"{url}/behandlingsplan")
        assert r.status_code == 422, r.text
    assert "JointPlanRecorded" not in await _types(store, pathway_id)


async def test_only_the_regions_clinicians_make_plans_and_the_municipality_reads_them_on_consent(http):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/joint-plans"
    async with (
        http.as_("clinician", REGION) as c,
        http.as_("visitation", REGION) as v,
        http.as_("municipality", MUNICIPALITY) as mun,
        http.as_("clinician", "region:1084") as other,
        http.as_("ops", "ops:national") as ops,
    ):
        assert (await mun.get(f"{url}/koordinationsplan")).status_code == 404  # no consent yet
        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text
        assert (await c.post(url, json=_plan())).status_code == 201

        r = await v.post(url, json=_plan(revises=1))
        assert r.status_code == 403 and r.json()["allowed"] == ["clinician"], r.text
        r = await mun.post(url, json=_plan(revises=1))
        assert r.status_code == 403, r.text
        r = await other.post(url, json=_plan(revises=1))
        assert r.status_code == 404, r.text
        assert (await other.get(f"{url}/koordinationsplan")).status_code == 404

        # The shared record: the municipality reads the structured plan; ops reads none of its content.
        shared = (await mun.get(f"{url}/koordinationsplan")).json()["latest"]
        assert shared["summary"] and len(shared["actions"]) == 3 and shared["crisis_plan"] == CRISIS
        assert shared["next_review"] == str(TODAY + timedelta(days=28))
        hidden = (await ops.get(f"{url}/koordinationsplan")).json()["latest"]
        assert hidden["version"] == 1
        assert hidden["summary"] is None and hidden["actions"] == [] and hidden["crisis_plan"] is None
        assert hidden["next_review"] is None

        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away", "reason": "moved"})
        assert r.status_code == 200, r.text
        r = await c.post(url, json=_plan(revises=1))
        assert r.status_code == 409 and "has ended" in r.json()["message"], r.text


def test_the_revision_rule_names_the_current_version():
    check_revision("koordinationsplan", None, 0)
    check_revision("koordinationsplan", 3, 3)
    for revises, current, words in ((None, 2, "revises: 2"), (1, 2, "current version is 2, not 1"), (1, 0, "yet")):
        try:
            check_revision("koordinationsplan", revises, current)
        except JointPlanRefused as exc:
            assert words in str(exc)
        else:
            raise AssertionError(f"revises={revises} of current {current} was let through")


async def test_a_next_review_opens_a_task_due_that_day_which_the_next_revision_answers(http):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/joint-plans"
    review = "joint_plan_review:koordinationsplan"

    async def reviews(c) -> list[dict]:
        tasks = (await c.get(f"/pathways/{pathway_id}")).json()["tasks"]
        return sorted((t for t in tasks if t["kind"] == review), key=lambda t: t["due"])

    async with http.as_("clinician", REGION) as c:
        assert (await c.post(url, json=_plan(next_review=str(TODAY + timedelta(days=28))))).status_code == 201
        [first] = await reviews(c)
        assert (first["state"], first["due"], first["mandatory"]) == ("open", str(TODAY + timedelta(days=28)), False)
        assert "koordinationsplan (version 1)" in first["title"] and first["owner_org"] == REGION

        r = await c.post(url, json=_plan(revises=1, next_review=str(TODAY + timedelta(days=60))))
        assert r.status_code == 201, r.text
        answered, second = await reviews(c)
        assert answered["task_id"] == first["task_id"] and answered["state"] == "done"
        assert (second["state"], second["due"]) == ("open", str(TODAY + timedelta(days=60)))
        assert "version 2" in second["title"]

        # Another kind's plan leaves this kind's review alone; a revision without a next review opens none.
        assert (await c.post(url, json=_plan(kind="udskrivningsaftale", next_review=None))).status_code == 201
        assert [t["state"] for t in await reviews(c)] == ["done", "open"]
        assert (await c.post(url, json=_plan(revises=2, next_review=None))).status_code == 201
        assert [t["state"] for t in await reviews(c)] == ["done", "done"]


async def test_the_review_task_falls_late_the_day_after_its_next_review(time_env, store, pool):
    """On the time-skipping server: the review task is due on the next review date (a Saturday here, so the
    weekend is crossed) and escalated from the Copenhagen midnight after it, like any task."""
    actor = Actor(subject="t", role="clinician", organisation=REGION)
    queue = f"t-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[pathway_wf.PathwayWorkflow],
        activities=[EventActivities(store).append_events, JointPlanActivities(pool).joint_plan_version],
    ):
        inp = pathway_input(actor)
        handle = await time_env.client.start_workflow(
            pathway_wf.PathwayWorkflow.run,
            inp,
            id=pathway_wf.workflow_id(inp.state.pathway_id, inp.state.region),
            task_queue=queue,
        )
        for t in (await handle.query(pathway_wf.PathwayWorkflow.view)).open_tasks:
            await handle.execute_update(
                pathway_wf.PathwayWorkflow.complete_task,
                pathway_wf.CompleteTaskCommand(task_id=t.task_id, outcome="not_possible", note="test", actor=actor),
            )
        today = copenhagen.today(await time_env.get_current_time())
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        plan = JointPlanCommand(
            kind="koordinationsplan",
            summary="s",
            agreed_by=[Participant(role="psychiatrist", organisation=REGION)],
            actions=[{"party": "region", "who": "kontaktperson", "what": "samtale"}],
            next_review=saturday,
            actor=actor,
        )
        result = await handle.execute_update(pathway_wf.PathwayWorkflow.record_joint_plan, plan)
        [task] = [t for t in result.pathway.open_tasks if t.kind == "joint_plan_review:koordinationsplan"]
        assert task.due == saturday and not task.overdue

        async def at(day, hours=1):
            await time_env.sleep(copenhagen.midnight(day) + timedelta(hours=hours) - await time_env.get_current_time())

        await at(saturday)  # its own day: in time
        view = await handle.query(pathway_wf.PathwayWorkflow.view)
        assert not next(t for t in view.open_tasks if t.task_id == task.task_id).overdue
        await at(saturday + timedelta(days=1))  # the day after: late
        view = await handle.query(pathway_wf.PathwayWorkflow.view)
        assert next(t for t in view.open_tasks if t.task_id == task.task_id).overdue
        await handle.terminate("test over")
    events = await store.read_stream(pathway_wf.stream_id(inp.state.pathway_id))
    assert [e.data["due"] for e in events if e.type == "TaskOverdue" and e.data["task_id"] == task.task_id] == [
        str(saturday)
    ]
