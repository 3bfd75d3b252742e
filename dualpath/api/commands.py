"""Turning a staff request into a workflow update, and its answer into HTTP.

An update's validator refuses an illegal command before anything is written;
the refusal comes back as 409 with the engine's reason and what is allowed.
After an accepted command the route waits until the read models have caught
up with it, so the caller's next read shows what they just did.

A request waits for its command's outcome at most UPDATE_WAIT_SECONDS: the
command lives in Temporal, not in the request, so when the outcome is slow
(the worker restarting, PostgreSQL away while the workflow's append retries)
the caller gets 503 saying what is true rather than a connection held open.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from dualpath.api.auth import Staff
from dualpath.api import idempotency
from dualpath.api.deps import Resources
from dualpath.api.errors import ApiError, command_applied, unavailable
from dualpath.domain.events import Actor

REFUSALS = {"MoveRefused", "DecisionRefused", "CommandRefused"}
# The command's data was refused: by the workflow's own decoding of it (a command that did not come
# through the API's models), or when it could not be stored or computed (activities/invalid_data.py).
INVALID = {"InvalidData", "ValidationError"}


def actor(staff: Staff) -> Actor:
    return Actor(subject=staff.subject, role=staff.role.value, organisation=staff.org)


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
    repeat = ("repeat the request with the same Idempotency-Key to get its outcome (it is applied at most once)"
              if keyed else "check before repeating it: without an Idempotency-Key a repeat is a new command")
    if accepted:
        # Accepted means recorded in the workflow's history: its handler runs to the end,
        # and the append it waits on is retried until PostgreSQL takes it.
        return unavailable("your command was accepted by its process (workflow) but is not recorded yet (the "
                           "database or the worker is not answering right now); it will be applied as soon as it "
                           f"can be recorded — {repeat}")
    return unavailable("your command reached the workflow engine but its process (workflow) has not taken it up "
                       "yet (the worker is not answering right now); it may still be applied — " + repeat)


async def update(res: Resources, handle: WorkflowHandle, update_fn: Any, command: Any) -> Any:
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
                handle.start_update(update_fn, *([] if command is None else [command]), id=update_id,
                                    wait_for_stage=WorkflowUpdateStage.ACCEPTED),
                UPDATE_WAIT_SECONDS)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _not_yet(accepted=False, keyed=update_id is not None) from None
        try:
            result = await asyncio.wait_for(pending.result(), max(deadline - loop.time(), 1.0))
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise _not_yet(accepted=True, keyed=update_id is not None) from None
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            # Refusals carry {"allowed": [...]} or {"open_tasks": [...]} as details.
            extra = dict(cause.details[0]) if cause.details else {}
            raise ApiError(409, "refused", cause.message, **extra) from None
        if isinstance(cause, ApplicationError) and cause.type in INVALID:
            raise ApiError(422, "invalid_input", cause.message) from None
        raise
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
    if position is not None:
        await res.runner.wait_for(position, timeout=10)
    return result


def _not_recorded(what: str, value: str) -> ApiError:
    """503 for a process whose start is durable but not yet in the read models."""
    return ApiError(
        503, "not_yet_recorded",
        f"the {what} {value} was accepted and will appear in a moment; repeat with the same "
        "Idempotency-Key to get its answer, or look it up before repeating without one",
        headers={"Retry-After": "5"},
    )


async def until_opened(res: Resources, handle: WorkflowHandle, opened_fn: Any, what: str, value: str) -> None:
    """Wait until a process just started has recorded its opening events and the read models have
    reached them (by position: a row that merely exists may still lack what came with it). The
    process's `opened` update answers with that position; `update` waits for it, bounded, and
    answers 503 saying where things stand when it does not come in time."""
    opened = await update(res, handle, opened_fn, None)
    if not await res.runner.wait_for(opened.position, timeout=1):
        raise _not_recorded(what, value)


async def until_listed(res: Resources, table: str, key: str, value: str, what: str) -> None:
    """Wait until a process just started has reached the read models.

    Its start is durable already; if the read model lags (a slow or restarting
    worker), say so with 503 rather than answer with an id the next read
    cannot find.
    """
    from dualpath.readmodels.queries import wait_for_row

    if not await wait_for_row(res.pool, table, key, value):
        raise _not_recorded(what, value)
