"""The pathway workflow on its own: overdue tasks escalate by timer, and
continue-as-new keeps state, open tasks and in-flight commands."""

import asyncio
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from dualpath.activities.events import EventActivities
from dualpath.domain.events import Actor
from dualpath.workflows import pathway as wf
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


def _input() -> wf.PathwayInput:
    return pathway_input(ACTOR)


async def test_an_open_task_past_its_due_date_is_escalated(time_env, store):
    queue, inp = f"t-{uuid.uuid4()}", _input()
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[wf.PathwayWorkflow],
        activities=[EventActivities(store).append_events],
    ):
        handle = await time_env.client.start_workflow(
            wf.PathwayWorkflow.run, inp, id=wf.workflow_id(inp.state.pathway_id, inp.state.region), task_queue=queue
        )
        view = await handle.query(wf.PathwayWorkflow.view)
        contact = next(t for t in view.open_tasks if t.kind == "contact_person")  # due in 3 days
        await handle.execute_update(
            wf.PathwayWorkflow.complete_task,
            wf.CompleteTaskCommand(
                task_id=next(t.task_id for t in view.open_tasks if t.kind == "treatment_plan"),
                outcome="done",
                actor=ACTOR,
            ),
        )
        await time_env.sleep(timedelta(days=2))
        assert not any(t.overdue for t in (await handle.query(wf.PathwayWorkflow.view)).open_tasks)
        await time_env.sleep(timedelta(days=3))
        overdue = {t.kind for t in (await handle.query(wf.PathwayWorkflow.view)).open_tasks if t.overdue}
        assert overdue == {"contact_person"}
        await handle.terminate("test over")
    events = await store.read_stream(wf.stream_id(inp.state.pathway_id))
    escalated = [e for e in events if e.type == "TaskOverdue"]
    assert [e.data["task_id"] for e in escalated] == [contact.task_id]


async def test_continue_as_new_keeps_state_tasks_and_in_flight_commands(client, worker, settings, store):
    """The session's dev server suggests continue-as-new at 150 history events."""
    inp = _input()
    handle = await client.start_workflow(
        wf.PathwayWorkflow.run,
        inp,
        id=wf.workflow_id(inp.state.pathway_id, inp.state.region),
        task_queue=settings.task_queue,
    )
    first_run = handle.result_run_id
    states = ["given", "withdrawn"] * 30

    async def consent(state):
        return await handle.execute_update(
            wf.PathwayWorkflow.record_consent,
            wf.ConsentCommand(
                scope="inform_municipal_treatment", counterpart="751", state=state, form="oral", actor=ACTOR
            ),
        )

    # Sequential pairs keep given→withdrawn legal; the pairs race each other
    # with queries, so some commands are in flight across a run boundary.
    for i in range(0, len(states), 2):
        await consent(states[i])
        await asyncio.gather(consent(states[i + 1]), handle.query(wf.PathwayWorkflow.view))

    desc = await client.get_workflow_handle(handle.id).describe()
    assert desc.run_id != first_run, "the pathway never continued as new"
    view = await client.get_workflow_handle(handle.id).query(wf.PathwayWorkflow.view)
    assert view.phase == 1 and view.consents[0].state == "withdrawn"
    assert {t.kind for t in view.open_tasks} == {
        "contact_person",
        "consent_dialogue",
        "screening_diagnostics",
        "treatment_plan",
    }
    events = await store.read_stream(wf.stream_id(inp.state.pathway_id))
    assert [e.data["state"] for e in events if e.type == "ConsentRecorded"] == states
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    await client.get_workflow_handle(handle.id).terminate("test over")
