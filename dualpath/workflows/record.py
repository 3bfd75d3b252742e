"""Writing a workflow's domain events to its own stream, in the workflow's order.

Event ids are drawn with `workflow.uuid4()` before the activity runs, so a
retried append carries the same ids and the store recognises it instead of
doubling it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dualpath.activities.events import AppendEvents
    from dualpath.domain.events import Actor, DomainEvent
    from dualpath.eventstore import AppendResult, NewEvent

# An append takes milliseconds; a short limit means a worker that died mid-append
# delays its command by seconds, not half a minute.
APPEND_TIMEOUT = timedelta(seconds=10)
# PostgreSQL may be away for a while (a restart, a failover); keep trying for
# as long as it takes, backing off to one attempt every 10 s so work resumes
# soon after it returns.
APPEND_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


async def record(
    stream_id: str, expected_version: int, events: list[DomainEvent], actor: Actor
) -> AppendResult:
    request = AppendEvents(
        stream_id=stream_id,
        expected_version=expected_version,
        events=[
            NewEvent(
                event_id=workflow.uuid4(),
                type=e.type_name(),
                data=e.model_dump(mode="json"),
                metadata={"actor": actor.model_dump(), "workflow_id": workflow.info().workflow_id},
            )
            for e in events
        ],
    )
    return await workflow.execute_activity(
        "append_events",
        request,
        result_type=AppendResult,
        start_to_close_timeout=APPEND_TIMEOUT,
        retry_policy=APPEND_RETRY,
    )
