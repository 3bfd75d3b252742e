"""An overdue home visit escalates by timer (time-skipping server)."""

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
from dualpath.workflows import pathway as pathway_wf
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


async def test_an_overdue_home_visit_escalates_and_the_stay_ends_when_followed_up(time_env, store, pool):
    queue = f"t-{uuid.uuid4()}"
    calendar = Settings(_env_file=None).working_day_calendar()
    inp = pathway_input(ACTOR)
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[pathway_wf.PathwayWorkflow, stay_wf.InpatientStayWorkflow],
        activities=[
            EventActivities(store).append_events,
            NotificationActivities(LocalRecorder(pool)).send_notice,
            DischargeActivities(calendar, DischargeSettings()).discharge_advice,
        ],
    ):
        pathway = await time_env.client.start_workflow(
            pathway_wf.PathwayWorkflow.run,
            inp,
            id=pathway_wf.workflow_id(inp.state.pathway_id, inp.state.region),
            task_queue=queue,
        )
        today = copenhagen.today(await time_env.get_current_time())
        admitted = await pathway.execute_update(
            pathway_wf.PathwayWorkflow.admit,
            pathway_wf.AdmitCommand(via="planned", ward="P3", admitted_on=today, actor=ACTOR),
        )
        stay = time_env.client.get_workflow_handle_for(stay_wf.InpatientStayWorkflow.run, admitted.stay_workflow_id)
        for to in (2, 3, 4):
            for t in [t for t in (await stay.query(stay_wf.InpatientStayWorkflow.view)).open_tasks if t.mandatory]:
                await stay.execute_update(
                    stay_wf.InpatientStayWorkflow.complete_task,
                    stay_wf.CompleteTaskCommand(task_id=t.task_id, outcome="not_possible", note="test", actor=ACTOR),
                )
            await stay.execute_update(
                stay_wf.InpatientStayWorkflow.move_phase, stay_wf.MovePhaseCommand(to=to, actor=ACTOR)
            )
        result = await stay.execute_update(
            stay_wf.InpatientStayWorkflow.discharge,
            stay_wf.DischargeCommand(discharged_on=today, reason="in case today comes before days off", actor=ACTOR),
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
