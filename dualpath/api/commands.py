"""The one path of a staff command: from the route to its process (workflow) and back.

A route authorises the caller once (it finds the object in the read models, checks
that the caller may see it, and writes the look to the access log), then hands the
command to `run` (an update to a running process) or `start` (a new process). Both
bind the Idempotency-Key to the request first, and both answer only when the read
models have reached the events the command wrote, by their position in the event
store: the caller's next read, and the route's answer (read from the read models,
with no second look), shows what they just did.

An update's validator refuses an illegal command before anything is written;
the refusal comes back as 409 with the engine's reason and what is allowed.

A request waits for its command's outcome at most UPDATE_WAIT_SECONDS: the
command lives in Temporal, not in the request, so when the outcome is slow
(the worker restarting, PostgreSQL away while the workflow's append retries)
the caller gets 503 saying what is true rather than a connection held open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from dualpath import workflow_ids
from dualpath.api import idempotency
from dualpath.api.auth import Staff
from dualpath.api.deps import Resources
from dualpath.api.errors import RETRY_AFTER_SECONDS, ApiError, command_applied, unavailable
from dualpath.domain.events import Actor

REFUSALS = {"MoveRefused", "DecisionRefused", "CommandRefused"}
# The command's data was refused: by the workflow's own decoding of it (a command that did not come
# through the API's models), or when it could not be stored or computed (activities/invalid_data.py).
INVALID = {"InvalidData", "ValidationError"}


C = TypeVar("C", bound=BaseModel)


def actor(staff: Staff) -> Actor:
    return Actor(subject=staff.subject, role=staff.role.value, organisation=staff.org)


def make(command: type[C], staff: Staff, body: BaseModel | None = None, **fields: Any) -> C:
    """The workflow's command from the request: the body's fields (`fields` added or put in their
    place, e.g. a date defaulted to today) and the caller as its actor."""
    sent = body.model_dump() if body is not None else {}
    return command(**{**sent, **fields}, actor=actor(staff))


def _update_id(handle: WorkflowHandle, update_fn: Any) -> str | None:
    """With an Idempotency-Key, the update id follows from it: Temporal answers a
    repeated update id with the first outcome instead of applying it again."""
    name = getattr(update_fn, "__name__", str(update_fn))
    return idempotency.derived_id(f"update|{handle.id}|{name}")


# Longer than any healthy command takes (well under a second), shorter than
# the HTTP timeouts of the clients and proxies in front of us.
UPDATE_WAIT_SECONDS = 30.0


def _not_yet(accepted: bool, keyed: bool) -> ApiError:
    """503 for a command whose outcome did not come in time, saying precisely where it stands."""
    repeat = (
        "repeat the request with the same Idempotency-Key to get its outcome (it is applied at most once)"
        if keyed
        else "check before repeating it: without an Idempotency-Key a repeat is a new command"
    )
    if accepted:
        # Accepted means recorded in the workflow's history: its handler runs to the end,
        # and the append it waits on is retried until PostgreSQL takes it.
        return unavailable(
            "your command was accepted by its process (workflow) but is not recorded yet (the "
            "database or the worker is not answering right now); it will be applied as soon as it "
            f"can be recorded — {repeat}"
        )
    return unavailable(
        "your command reached the workflow engine but its process (workflow) has not taken it up "
        "yet (the worker is not answering right now); it may still be applied — " + repeat
    )


async def run(res: Resources, workflow_id: str, update_fn: Any, command: Any) -> Any:
    """Send `command` to the running process `workflow_id`, the caller authorised already; the
    workflow's result once the read models have reached what it wrote."""
    return await update(res, await workflow_ids.handle(res.temporal, workflow_id), update_fn, command)


async def update(
    res: Resources, handle: WorkflowHandle, update_fn: Any, command: Any, *, subject: str = "your command"
) -> Any:
    """`run` on a handle: bounded waits, the engine's refusals as 409/422, and the read models' catch-up."""
    update_id = _update_id(handle, update_fn)
    # The key is bound to this request before the command goes out (a reuse with another body: 422).
    await idempotency.claim(res.pool)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UPDATE_WAIT_SECONDS
    try:
        # In two steps, so that a 503 can say whether the workflow has the command.
        # A cancelled wait leaves the update in Temporal; the SDK may report the
        # cancel as WorkflowUpdateRPCTimeoutOrCancelledError rather than a timeout.
        try:
            pending = await asyncio.wait_for(
                handle.start_update(
                    update_fn,
                    *([] if command is None else [command]),
                    id=update_id,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                ),
                UPDATE_WAIT_SECONDS,
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _not_yet(accepted=False, keyed=update_id is not None) from None
        try:
            result = await asyncio.wait_for(pending.result(), max(deadline - loop.time(), 1.0))
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _not_yet(accepted=True, keyed=update_id is not None) from None
    except WorkflowUpdateFailedError as exc:
        raise _refused(exc) from None
    except RPCError as exc:
        # An update to a workflow that has finished answers NOT_FOUND ("already completed", or,
        # when it closes while the update is in flight, other wording). Every route has found the
        # object in the read models before it sends a command, so for staff this is a refused
        # command on a process that has ended, not a 404.
        if "completed" in exc.message or exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "refused", "the process has ended: no further commands") from None
        raise
    command_applied.set(True)
    position = getattr(result, "position", None)
    if position is not None and not await res.runner.wait_for(position, timeout=READ_MODEL_WAIT_SECONDS):
        raise _not_recorded(subject)
    return result


def _refused(exc: WorkflowUpdateFailedError) -> Exception:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
        # Refusals carry {"allowed": [...]} or {"open_tasks": [...]} as details.
        extra = dict(cause.details[0]) if cause.details else {}
        return ApiError(409, "refused", cause.message, **extra)
    if isinstance(cause, ApplicationError) and cause.type in INVALID:
        return ApiError(422, "invalid_input", cause.message)
    return exc


# How long an answer waits for the read models to reach what its command wrote: far longer
# than they take when healthy (milliseconds), and the command is durable meanwhile.
READ_MODEL_WAIT_SECONDS = 10.0


def _not_recorded(subject: str) -> ApiError:
    """503 for a command or a process whose events are durable but not yet in the read models."""
    return ApiError(
        503,
        "not_yet_recorded",
        f"{subject} was accepted and will appear in a moment; repeat with the same "
        "Idempotency-Key to get its answer, or look it up before repeating without one",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# The processes a route starts, by kind: the workflow id and the event stream of the object they keep.
Started = Literal["referral", "meeting", "transition", "campaign", "pathway"]
_IDS: dict[str, tuple[Callable[[str, str | None], str], Callable[[str], str]]] = {
    "referral": (workflow_ids.referral, workflow_ids.referral_stream),
    "meeting": (workflow_ids.meeting, workflow_ids.meeting_stream),
    "transition": (workflow_ids.transition, workflow_ids.transition_stream),
    "campaign": (workflow_ids.campaign, workflow_ids.campaign_stream),
    # A pathway started by the API itself: an acute admission that starts the integrated course.
    "pathway": (workflow_ids.pathway, workflow_ids.pathway_stream),
}


async def start(
    res: Resources, run_fn: Any, start_input: Any, kind: Started, object_id: str, region: str | None, summary: str
) -> None:
    """Start a new process (a referral, a transition, a meeting, a campaign) keeping the object `object_id`
    of `region`, and wait until the read models have reached its opening events. Its id follows from the
    Idempotency-Key where there is one, so a repeat (or a race of the same key) starts nothing and answers
    what the first one recorded."""
    workflow_id, stream_id = _IDS[kind]
    await idempotency.claim(res.pool)
    try:
        await res.temporal.start_workflow(
            run_fn,
            start_input,
            id=workflow_id(object_id, region),
            task_queue=res.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary,
        )
    except WorkflowAlreadyStartedError:
        pass  # the same key raced itself, or the first answer was lost
    await until_recorded(res, stream_id(object_id), kind, object_id)


async def until_recorded(res: Resources, stream_id: str, what: str, value: str) -> None:
    """Wait until a process just started has recorded its opening events and the read models have reached
    them, by position. Every process records its opening in one append (the started event and its first
    tasks together), so once its stream shows, the stream's last position covers them: a row that merely
    exists might still lack its tasks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_MODEL_WAIT_SECONDS
    delay = 0.005
    while not (events := await res.store.read_stream(stream_id)):
        if loop.time() >= deadline:
            raise _not_recorded(f"the {what} {value}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
    if not await res.runner.wait_for(events[-1].position, timeout=max(deadline - loop.time(), 1.0)):
        raise _not_recorded(f"the {what} {value}")


async def until_opened(res: Resources, handle: WorkflowHandle, opened_fn: Any, what: str, value: str) -> None:
    """Wait until a process started by another (a stay, by its pathway's admission) has recorded its
    opening events and the read models have reached them: its `opened` update answers with their
    position, and `update` waits for it (bounded; 503 saying where things stand)."""
    await update(res, handle, opened_fn, None, subject=f"the {what} {value}")
