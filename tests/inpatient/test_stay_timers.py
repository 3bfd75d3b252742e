"""The stay on the time-skipping server: an overdue home visit escalates, a leave not followed up falls
overdue, and the longer-stay threshold is the setting."""

import contextlib
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from dualpath.activities.discharge import DischargeActivities
from dualpath.activities.events import EventActivities
from dualpath.activities.notifications import LocalRecorder, NotificationActivities
from dualpath.domain import copenhagen
from dualpath.domain.discharge import DischargeSettings
from dualpath.domain.events import Actor
from dualpath.settings import Settings
from dualpath.workflows import inpatient_stay as stay_wf
from dualpath.workflows import inpatient_stay_messages as stay_messages
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows.pathway_messages import AdmitCommand
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


@contextlib.asynccontextmanager
async def _worker(env, store, pool):
    """A worker of our own for the pathway and its stays; the task queue it serves."""
    queue = f"t-{uuid.uuid4()}"
    calendar = Settings(_env_file=None).working_day_calendar()
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[pathway_wf.PathwayWorkflow, stay_wf.InpatientStayWorkflow],
        activities=[
            EventActivities(store).append_events,
            NotificationActivities(LocalRecorder(pool)).send_notice,
            DischargeActivities(calendar, DischargeSettings()).discharge_advice,
        ],
    ):
        yield queue


async def _admitted(env, queue, days_ago: int = 0, **admit):
    """A pathway and its stay, admitted `days_ago` days before today: (pathway input, pathway, stay, today)."""
    inp = pathway_input(ACTOR)
    pathway = await env.client.start_workflow(
        pathway_wf.PathwayWorkflow.run,
        inp,
        id=pathway_wf.workflow_id(inp.state.pathway_id, inp.state.region),
        task_queue=queue,
    )
    today = copenhagen.today(await env.get_current_time())
    admitted = await pathway.execute_update(
        pathway_wf.PathwayWorkflow.admit,
        AdmitCommand(via="planned", ward="P3", admitted_on=today - timedelta(days=days_ago), actor=ACTOR, **admit),
    )
    stay = env.client.get_workflow_handle_for(stay_wf.InpatientStayWorkflow.run, admitted.stay_workflow_id)
    return inp, pathway, stay, today


async def _to_phase_4(stay):
    for to in (2, 3, 4):
        for t in [t for t in (await stay.query(stay_wf.InpatientStayWorkflow.view)).open_tasks if t.mandatory]:
            await stay.execute_update(
                stay_wf.InpatientStayWorkflow.complete_task,
                stay_wf.CompleteTaskCommand(task_id=t.task_id, outcome="not_possible", note="test", actor=ACTOR),
            )
        await stay.execute_update(
            stay_wf.InpatientStayWorkflow.move_phase, stay_wf.MovePhaseCommand(to=to, actor=ACTOR)
        )


async def test_an_overdue_home_visit_escalates_and_the_stay_ends_when_followed_up(time_env, store, pool):
    calendar = Settings(_env_file=None).working_day_calendar()
    async with _worker(time_env, store, pool) as queue:
        inp, pathway, stay, today = await _admitted(time_env, queue)
        await _to_phase_4(stay)
        result = await stay.execute_update(
            stay_wf.InpatientStayWorkflow.discharge,
            stay_wf.DischargeCommand(
                discharged_on=today,
                reason="in case today comes before days off",
                meeting_reason="in case the meeting task was left open",
                actor=ACTOR,
            ),
        )
        visit = next(t for t in result.follow_ups if t.kind == "home_visit")
        assert calendar.is_working_day(visit.due) and visit.due > today

        await time_env.sleep(
            copenhagen.midnight(visit.due + timedelta(days=1)) - await time_env.get_current_time() + timedelta(hours=1)
        )
        view = await stay.query(stay_wf.InpatientStayWorkflow.view)
        assert {t.kind for t in view.open_tasks if t.overdue} >= {"home_visit"}
        for t in view.open_tasks:
            await stay.execute_update(
                stay_wf.InpatientStayWorkflow.complete_task,
                stay_wf.CompleteTaskCommand(task_id=t.task_id, outcome="done", note="visited", actor=ACTOR),
            )
        assert (await stay.result()).status == "ended"
        assert (await pathway.query(pathway_wf.PathwayWorkflow.view)).level_of_care == "integrated_unstable"
        await pathway.terminate("test over")
    types = [e.type for e in await store.read_stream(stay_wf.stream_id(inp.state.pathway_id, 1))]
    assert "TaskOverdue" in types and types[-1] == "StayEnded"


async def test_a_longer_stay_is_judged_by_the_setting(time_env, store, pool):
    """The stay's meeting task at phase 4 follows `longer_admission_days` (spec §4 [setting]), not a fixed 7."""
    kinds = {}
    async with _worker(time_env, store, pool) as queue:
        for longer in (3, 7):
            _, pathway, stay, _ = await _admitted(time_env, queue, days_ago=5, longer_admission_days=longer)
            await _to_phase_4(stay)
            view = await stay.query(stay_wf.InpatientStayWorkflow.view)
            kinds[longer] = {t.kind for t in view.open_tasks} & {"network_meeting", "transition_conversation"}
            await pathway.terminate("test over")
            await stay.terminate("test over")
    assert kinds == {3: {"network_meeting"}, 7: {"transition_conversation"}}


async def test_a_leave_whose_outcome_is_not_recorded_falls_overdue_the_day_after_it_ends(time_env, store, pool):
    async with _worker(time_env, store, pool) as queue:
        inp, pathway, stay, today = await _admitted(time_env, queue)
        granted = await stay.execute_update(
            stay_wf.InpatientStayWorkflow.grant_leave,
            stay_messages.GrantLeaveCommand(from_date=today, to_date=today + timedelta(days=1), actor=ACTOR),
        )
        [ask] = [t for t in granted.stay.open_tasks if t.kind == "leave_outcome"]
        assert ask.due == today + timedelta(days=2)
        # The day it is due passes: overdue from the Copenhagen midnight after.
        await time_env.sleep(
            copenhagen.midnight(ask.due + timedelta(days=1)) - await time_env.get_current_time() + timedelta(hours=1)
        )
        view = await stay.query(stay_wf.InpatientStayWorkflow.view)
        assert [t.overdue for t in view.open_tasks if t.task_id == ask.task_id] == [True]
        done = await stay.execute_update(
            stay_wf.InpatientStayWorkflow.record_leave_outcome,
            stay_messages.LeaveOutcomeCommand(leave_id=granted.leave_id, went="as_planned", actor=ACTOR),
        )
        assert done.stay.leaves[0].went == "as_planned"
        assert ask.task_id not in {t.task_id for t in done.stay.open_tasks}
        await pathway.terminate("test over")
        await stay.terminate("test over")
    types = [e.type for e in await store.read_stream(stay_wf.stream_id(inp.state.pathway_id, 1))]
    assert types.index("LeaveGranted") < types.index("TaskOverdue") < types.index("LeaveEnded")
