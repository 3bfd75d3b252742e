"""Writing a workflow's domain events to its own stream, in the workflow's order.

Event ids are drawn with `workflow.uuid4()` before the activity runs, so a
retried append carries the same ids and the store recognises it instead of
doubling it.

An append is retried for as long as PostgreSQL is away, but never when the
data itself is refused (activities/invalid_data.py): then `record` raises an
`ApplicationError` of type `InvalidData`, which refuses the command that
caused it (an update handler's ApplicationError fails that update only) and
the workflow goes on taking commands. A handler must leave its state as it
was when `record` raises: record first and change the state after, or put
back what it changed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath.contracts.activities import INVALID_DATA
    from dualpath.contracts.events import AppendEvents, AppendResult, NewEvent
    from dualpath.domain.events import Actor, DomainEvent

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
    return await refusing(workflow.execute_activity(
        "append_events",
        request,
        result_type=AppendResult,
        start_to_close_timeout=APPEND_TIMEOUT,
        retry_policy=APPEND_RETRY,
    ))


T = TypeVar("T")


async def refusing(activity: Awaitable[T]) -> T:
    """Await an activity; if it failed on the command's data (or refused it), refuse the command."""
    try:
        return await activity
    except ActivityError as err:
        refused = refusal(err)
        if refused is None:
            raise
        raise refused from None


# Activity failures that refuse the command which caused them rather than fail the workflow.
REFUSING = (INVALID_DATA, "CommandRefused")


def refusal(err: ActivityError) -> ApplicationError | None:
    """The command's refusal when an activity failed on its data (or refused it), else None.

    Raised from an update handler it fails that update only, with the activity's reason and type;
    the API answers it like a validator's refusal."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in REFUSING:
        return ApplicationError(cause.message, type=cause.type)
    return None
