"""The §82c clock on the pathway, on the time-skipping server (issue #18, item 3).

A pathway from a referral carries the referral's receipt and start deadline. Three days before the
deadline, without a first treatment contact, it opens a task for its clinicians; when the deadline passes
it escalates (an event, the task overdue, the Overdue search attribute); recording the contact closes the
task. A contact recorded before the warning stops the clock: nothing is warned or escalated.
"""

import uuid
from datetime import date, timedelta

from temporalio.worker import Replayer, Worker

from dualpath import search_attributes as sa
from dualpath import temporal_client
from dualpath.activities.events import EventActivities
from dualpath.domain import copenhagen, first_contact
from dualpath.domain.events import Actor
from dualpath.worker import WORKFLOWS
from dualpath.workflows import pathway as wf
from dualpath.workflows.pathway_messages import FirstContactCommand
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


async def _today(env) -> date:
    return copenhagen.today(await env.get_current_time())


async def _start(env, queue: str, received: date):
    inp = pathway_input(ACTOR, received_on=received, start_deadline=received + timedelta(days=14))
    handle = await env.client.start_workflow(
        wf.PathwayWorkflow.run, inp, id=wf.workflow_id(inp.state.pathway_id, inp.state.region), task_queue=queue
    )
    # Phase 1's own tasks closed, so that only the clock makes the pathway overdue.
    for t in (await handle.query(wf.PathwayWorkflow.view)).open_tasks:
        await handle.execute_update(
            wf.PathwayWorkflow.complete_task,
            wf.CompleteTaskCommand(task_id=t.task_id, outcome="not_possible", note="test", actor=ACTOR),
        )
    return inp, handle


async def _at(env, day: date, hours: int = 1) -> None:
    """Skip time to `hours` past the Copenhagen midnight that begins `day`."""
    await env.sleep(copenhagen.midnight(day) + timedelta(hours=hours) - await env.get_current_time())


def _deadline_tasks(view: wf.PathwayView) -> list:
    return [t for t in view.open_tasks if t.kind == first_contact.TASK]


async def test_the_pathway_warns_with_a_task_then_escalates_and_the_contact_closes_it(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    received = await _today(time_env)
    deadline = received + timedelta(days=14)
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[wf.PathwayWorkflow],
        activities=[EventActivities(store).append_events],
    ):
        inp, handle = await _start(time_env, queue, received)
        await _at(time_env, deadline - timedelta(days=4))  # four days left: no warning yet
        view = await handle.query(wf.PathwayWorkflow.view)
        assert not _deadline_tasks(view) and view.start_deadline == deadline

        await _at(time_env, deadline - timedelta(days=3))  # three days left: the warning, as a task
        [task] = _deadline_tasks(await handle.query(wf.PathwayWorkflow.view))
        assert (task.owner_role, task.owner_org, task.due, task.phase, task.mandatory) == (
            "clinician",
            "region:1082",
            deadline,
            1,
            True,
        )
        assert not task.overdue
        described = await handle.describe()
        assert described.typed_search_attributes.get(sa.OVERDUE) is False

        await _at(time_env, deadline)  # the deadline's own day: still in time
        assert not _deadline_tasks(await handle.query(wf.PathwayWorkflow.view))[0].overdue
        await _at(time_env, deadline + timedelta(days=1))  # the day after: escalated
        [task] = _deadline_tasks(await handle.query(wf.PathwayWorkflow.view))
        assert task.overdue
        assert (await handle.describe()).typed_search_attributes.get(sa.OVERDUE) is True

        late = deadline + timedelta(days=1)
        result = await handle.execute_update(
            wf.PathwayWorkflow.record_first_contact, FirstContactCommand(contact_on=late, actor=ACTOR)
        )
        assert result.pathway.first_contact_on == late and not _deadline_tasks(result.pathway)
        # (The Overdue attribute cleared by the contact is seen on the dev server: tests/api/test_first_contact.py;
        # this server cannot describe a workflow whose NextDue was unset.)
        await handle.terminate("test over")
        # The clock's history (behind its patch) replays on the current code.
        await Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter()).replay_workflow(
            await handle.fetch_history()
        )
    events = await store.read_stream(wf.stream_id(inp.state.pathway_id))
    clock = [
        (e.type, e.data.get("kind") or e.data.get("start_deadline") or e.data.get("outcome"))
        for e in events
        if e.type in ("FirstContactDeadlineApproaching", "FirstContactDeadlinePassed", "FirstTreatmentContact")
        or (e.type == "TaskOpened" and e.data["kind"] == first_contact.TASK)
        or (e.type in ("TaskOverdue", "TaskCompleted") and e.data["task_id"] == task.task_id)
    ]
    assert clock == [
        ("FirstContactDeadlineApproaching", str(deadline)),
        ("TaskOpened", first_contact.TASK),
        ("TaskOverdue", None),
        ("FirstContactDeadlinePassed", str(deadline)),
        ("FirstTreatmentContact", str(deadline)),
        ("TaskCompleted", "done"),
    ]
    [contact] = [e.data for e in events if e.type == "FirstTreatmentContact"]
    assert contact["within_deadline"] is False and contact["contact_on"] == str(late)
    assert [e.metadata["actor"]["role"] for e in events if e.type == "FirstContactDeadlinePassed"] == ["engine"]


async def test_a_first_contact_before_the_warning_stops_the_clock(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    received = await _today(time_env)
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[wf.PathwayWorkflow],
        activities=[EventActivities(store).append_events],
    ):
        inp, handle = await _start(time_env, queue, received)
        await _at(time_env, received + timedelta(days=2))
        await handle.execute_update(
            wf.PathwayWorkflow.record_first_contact,
            FirstContactCommand(contact_on=received + timedelta(days=2), actor=ACTOR),
        )
        await _at(time_env, received + timedelta(days=20))
        view = await handle.query(wf.PathwayWorkflow.view)
        assert not _deadline_tasks(view) and view.first_contact_on == received + timedelta(days=2)
        await handle.terminate("test over")
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.state.pathway_id))]
    assert "FirstTreatmentContact" in types
    assert not {"FirstContactDeadlineApproaching", "FirstContactDeadlinePassed"} & set(types)


async def test_a_pathway_without_a_deadline_keeps_no_clock(time_env, store):
    """Started by a transition or a campaign (no referral): no deadline, no warning, but a first contact."""
    queue = f"t-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[wf.PathwayWorkflow],
        activities=[EventActivities(store).append_events],
    ):
        inp = pathway_input(ACTOR)
        handle = await time_env.client.start_workflow(
            wf.PathwayWorkflow.run, inp, id=wf.workflow_id(inp.state.pathway_id, inp.state.region), task_queue=queue
        )
        today = await _today(time_env)
        await _at(time_env, today + timedelta(days=30))
        assert not _deadline_tasks(await handle.query(wf.PathwayWorkflow.view))
        result = await handle.execute_update(
            wf.PathwayWorkflow.record_first_contact,
            FirstContactCommand(contact_on=today + timedelta(days=30), actor=ACTOR),
        )
        assert result.pathway.first_contact_on == today + timedelta(days=30)
        await handle.terminate("test over")
    events = await store.read_stream(wf.stream_id(inp.state.pathway_id))
    [contact] = [e.data for e in events if e.type == "FirstTreatmentContact"]
    assert contact["start_deadline"] is None and contact["within_deadline"] is None
    assert not [e for e in events if e.type.startswith("FirstContactDeadline")]
