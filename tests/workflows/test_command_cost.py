"""What one staff command costs in Temporal: one workflow task, the append as a local activity
inside it, no due-date timer restarted when the next due date stays, and only the search
attributes it changed (issue #14). Read off the pathway's real history on the dev server."""

import asyncio

from temporalio.api.enums.v1 import EventType

from dualpath import search_attributes as sa
from dualpath.domain.events import Actor
from dualpath.workflows import pathway as wf
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


async def _events_after(handle, count: int):
    history = await handle.fetch_history()
    return [e for e in history.events[count:]]


async def _started(handle) -> int:
    """The history's length once the pathway's first workflow task is done (its due-date timer set)."""
    for _ in range(200):
        events = (await handle.fetch_history()).events
        if any(e.event_type == EventType.EVENT_TYPE_TIMER_STARTED for e in events):
            return len(events)
        await asyncio.sleep(0.05)
    raise AssertionError("the pathway never set its due-date timer")


async def _pathway(client, settings):
    """A new pathway on the session's worker, and its view."""
    inp = pathway_input(ACTOR)
    handle = await client.start_workflow(
        wf.PathwayWorkflow.run,
        inp,
        id=wf.workflow_id(inp.state.pathway_id, inp.state.region),
        task_queue=settings.task_queue,
    )
    return handle, await handle.query(wf.PathwayWorkflow.view)


async def test_a_command_is_one_workflow_task_with_no_timer_restarted(client, worker, settings):
    handle, view = await _pathway(client, settings)
    first_due = min(t.due for t in view.open_tasks)
    # A task due after the first one: closing it leaves the next due date where it was.
    later = next(t for t in view.open_tasks if t.due > first_due and t.kind != "consent_dialogue")
    before = await _started(handle)

    await handle.execute_update(
        wf.PathwayWorkflow.complete_task, wf.CompleteTaskCommand(task_id=later.task_id, outcome="done", actor=ACTOR)
    )

    types = [e.event_type for e in await _events_after(handle, before)]
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 1, types
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in types, "the append ran as a normal activity"
    assert EventType.EVENT_TYPE_MARKER_RECORDED in types, "no local activity recorded the append"
    assert EventType.EVENT_TYPE_TIMER_STARTED not in types and EventType.EVENT_TYPE_TIMER_CANCELED not in types
    # Closing a task that was not late changes none of the published attributes.
    assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES not in types
    await handle.terminate("test over")


async def test_a_command_that_moves_the_next_due_date_restarts_the_timer_and_publishes_it(client, worker, settings):
    handle, view = await _pathway(client, settings)
    first_due = min(t.due for t in view.open_tasks)
    firsts = [t for t in view.open_tasks if t.due == first_due]
    assert all(t.kind != "consent_dialogue" for t in firsts)  # closed by recording the consent instead
    before = await _started(handle)
    for task in firsts:
        await handle.execute_update(
            wf.PathwayWorkflow.complete_task, wf.CompleteTaskCommand(task_id=task.task_id, outcome="done", actor=ACTOR)
        )

    events = await _events_after(handle, before)
    types = [e.event_type for e in events]
    assert EventType.EVENT_TYPE_TIMER_CANCELED in types and EventType.EVENT_TYPE_TIMER_STARTED in types
    upserts = [e for e in events if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]
    assert len(upserts) == 1
    fields = upserts[0].upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    assert set(fields) == {sa.NEXT_DUE.name}
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.NEXT_DUE).date() > first_due
    await handle.terminate("test over")
