"""Due dates on the time-skipping server: a late step escalates, and the next step starts afresh."""

import contextlib
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from dualpath import search_attributes as sa
from dualpath.activities.events import EventActivities
from dualpath.activities.meetings import MeetingActivities
from dualpath.activities.pathway_claims import PathwayClaims
from dualpath.activities.transitions import TransitionActivities
from dualpath.domain import copenhagen
from dualpath.domain import transition as rules
from dualpath.domain.events import Actor
from dualpath.workflows import transition as wf
from dualpath.workflows.pathway import PathwayWorkflow
from dualpath.workflows.pathway import workflow_id as pathway_workflow_id
from tests.poll import eventually

REGION = Actor(subject="t", role="visitation", organisation="region:1082")
MUNICIPALITY = Actor(subject="m", role="municipality", organisation="municipality:751")


@contextlib.asynccontextmanager
async def _running(env, store, activities=(), **overrides):
    """A worker of our own and a transition reported today; terminated before the worker stops
    (a workflow left waiting on timers would stall later time-skipping tests)."""
    queue = f"t-{uuid.uuid4()}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[wf.TransitionWorkflow, PathwayWorkflow],
        activities=[
            EventActivities(store).append_events,
            MeetingActivities().working_day_deadline,
            TransitionActivities(store).pathway_ended,
            *activities,
        ],
    )
    inp = wf.TransitionInput(
        **{
            "transition_id": str(uuid.uuid4()),
            "direction": "to_integrated",
            "branch": "dialogue",
            "patient_id": str(uuid.uuid4()),
            "region": "1082",
            "municipality": "751",
            "reported_by": "municipality",
            "signs": ["missed_attendance"],
            "dialogue_consent": "given",
            "group": 2,
            "catalogue_version": "v1",
            "reported_on": copenhagen.today(await env.get_current_time()),
            "due_days": rules.step_due_days({"assessment": 2}),
            "actor": MUNICIPALITY,
            **overrides,
        }
    )
    async with worker:
        handle = await env.client.start_workflow(
            wf.TransitionWorkflow.run, inp, id=wf.workflow_id(inp.transition_id, inp.region), task_queue=queue
        )
        try:
            yield inp, handle
        finally:
            with contextlib.suppress(Exception):
                await handle.terminate("test over")


async def _step_started(handle):
    # The calendar activity runs in real time: poll without skipping time.
    return await eventually(
        lambda: handle.query(wf.TransitionWorkflow.view),
        lambda view: view.step_due is not None,
        what="the first step started",
    )


async def _sleep_until(env, at):
    await env.sleep(at - await env.get_current_time())


async def test_a_late_assessment_escalates_and_the_next_step_starts_in_time(time_env, store):
    async with _running(time_env, store) as (inp, handle):
        view = await _step_started(handle)
        assert view.current_step == "assessment" and not view.overdue
        due = view.step_due
        assert 2 <= (due - inp.reported_on).days <= 6  # two working days, a weekend or a holiday between
        # Midday on the due date is still in time.
        await _sleep_until(time_env, copenhagen.midnight(due) + timedelta(hours=12))
        assert not (await handle.query(wf.TransitionWorkflow.view)).overdue
        await _sleep_until(time_env, copenhagen.midnight(due + timedelta(days=1)) + timedelta(hours=1))
        view = await handle.query(wf.TransitionWorkflow.view)
        assert view.overdue and view.current_step == "assessment"
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.OVERDUE) is True and attrs.get(sa.PHASE) == "reported"
        assert attrs.get(sa.PATHWAY_KIND) == "transition"
        assert attrs.get(sa.NEXT_DUE) == copenhagen.midnight(due + timedelta(days=1))

        result = await handle.execute_update(
            wf.TransitionWorkflow.assess,
            wf.AssessCommand(
                assessment="worse; in the target group",
                recommends_transition=True,
                answer_to_municipality="we agree it is time",
                actor=REGION,
            ),
        )
        assert result.transition.state == "assessed" and result.transition.current_step == "agreement"
        assert not result.transition.overdue and result.transition.step_due > due
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.OVERDUE) is False and attrs.get(sa.PHASE) == "assessed"
    events = await store.read_stream(wf.stream_id(inp.transition_id))
    types = [e.type for e in events]
    assert types == [
        "TransitionReported",
        "TransitionStepStarted",
        "TaskOpened",
        "TransitionStepOverdue",
        "TaskOverdue",
        "TransitionAssessed",
        "TaskCompleted",
        "TransitionStepStarted",
        "TaskOpened",
    ]
    late = events[3]
    assert late.data == {"transition_id": inp.transition_id, "step": "assessment", "due": due.isoformat()}
    assert late.metadata["actor"]["role"] == "engine"
    assert events[4].data["task_id"] == events[2].data["task_id"] == events[1].data["task_id"]
    opened = events[8].data
    assert opened["owner_org"] == "municipality:751" and opened["owner_role"] == "municipality"
    assert opened["referral_id"] == inp.transition_id and opened["kind"] == "transition_agreement"


async def test_a_step_taken_on_time_never_escalates(time_env, store):
    async with _running(time_env, store, branch="no_consent", dialogue_consent="refused") as (inp, handle):
        view = await _step_started(handle)
        await handle.execute_update(
            wf.TransitionWorkflow.assess,
            wf.AssessCommand(assessment="psychiatry alone", recommends_transition=True, actor=REGION),
        )
        view = await handle.query(wf.TransitionWorkflow.view)
        assert view.state == "assessed_alone" and view.current_step == "patient_talk"
        # Past the assessment's old due date: nothing late, the talk has ten working days.
        await time_env.sleep(timedelta(days=6))
        view = await handle.query(wf.TransitionWorkflow.view)
        assert not view.overdue and view.current_step == "patient_talk"
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.transition_id))]
    assert "TransitionStepOverdue" not in types and "TaskOverdue" not in types


async def test_a_transition_into_a_group_not_yet_open_is_held_and_starts_its_pathway_on_the_opening_day(
    time_env, store, pool
):
    """Phase-in (issue #18 item 8): the transition completes, the pathway waits for its group to open."""
    today = copenhagen.today(await time_env.get_current_time())
    opens_on = today + timedelta(days=10)
    claims = PathwayClaims(pool).claim_pathway
    async with _running(
        time_env, store, branch="no_consent", dialogue_consent="refused", opens_on=opens_on, activities=[claims]
    ) as (inp, handle):
        await _step_started(handle)
        await handle.execute_update(
            wf.TransitionWorkflow.assess, wf.AssessCommand(assessment="worse", recommends_transition=True, actor=REGION)
        )
        await handle.execute_update(
            wf.TransitionWorkflow.record_patient_talk,
            wf.PatientTalkCommand(
                held_on=today, summary="talked", motivational_work="MI", patient_agrees=True, actor=REGION
            ),
        )
        done = await handle.execute_update(wf.TransitionWorkflow.complete, wf.CompleteCommand(actor=REGION))
        assert (done.transition.state, done.transition.closure, done.transition.pathway_id) == (
            "completed",
            "held",
            None,
        )
        # The day before the opening: still held.
        await _sleep_until(time_env, copenhagen.midnight(opens_on) - timedelta(hours=1))
        assert (await handle.query(wf.TransitionWorkflow.view)).closure == "held"
        await _sleep_until(time_env, copenhagen.midnight(opens_on) + timedelta(hours=1))
        view = await eventually(
            lambda: handle.query(wf.TransitionWorkflow.view), lambda v: v.closure == "started", what="released"
        )
        assert view.pathway_id is not None
        pathway = time_env.client.get_workflow_handle(pathway_workflow_id(view.pathway_id, inp.region))
        assert (await pathway.query(PathwayWorkflow.view)).status == "active"
        await pathway.terminate("test over")
    events = await store.read_stream(wf.stream_id(inp.transition_id))
    [completed] = [e.data for e in events if e.type == "TransitionCompleted"]
    assert (completed["closure"], completed["held_until"], completed["pathway_id"]) == ("held", str(opens_on), None)
    [released] = [e.data for e in events if e.type == "TransitionReleased"]
    assert released == {
        "transition_id": inp.transition_id,
        "pathway_id": view.pathway_id,
        "released_on": str(opens_on),
        "note": None,
    }
