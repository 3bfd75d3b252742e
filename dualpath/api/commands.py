"""Turning a staff request into a workflow update, and its answer into HTTP.

An update's validator refuses an illegal command before anything is written;
the refusal comes back as 409 with the engine's reason and what is allowed.
After an accepted command the route waits until the read models have caught
up with it, so the caller's next read shows what they just did.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from dualpath.api.auth import Staff
from dualpath.api.deps import Resources, idempotency_scope
from dualpath.api.errors import ApiError
from dualpath.domain.events import Actor

REFUSALS = {"MoveRefused", "DecisionRefused", "CommandRefused"}


def actor(staff: Staff) -> Actor:
    return Actor(subject=staff.subject, role=staff.role.value, organisation=staff.org)


IDEMPOTENCY = uuid.UUID("0b7a3f7e-2a55-4f0e-9d0c-6a0f6c1d2e11")


def _update_id(handle: WorkflowHandle, update_fn: Any) -> str | None:
    """With an Idempotency-Key, the update id follows from it: Temporal answers a
    repeated update id with the first outcome instead of applying it again."""
    scope = idempotency_scope.get()
    if scope is None:
        return None
    name = getattr(update_fn, "__name__", str(update_fn))
    return str(uuid.uuid5(IDEMPOTENCY, f"{scope}|{handle.id}|{name}"))


async def update(res: Resources, handle: WorkflowHandle, update_fn: Any, command: Any) -> Any:
    try:
        result = await handle.execute_update(update_fn, command, id=_update_id(handle, update_fn))
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            # Refusals carry {"allowed": [...]} or {"open_tasks": [...]} as details.
            extra = dict(cause.details[0]) if cause.details else {}
            raise ApiError(409, "refused", cause.message, **extra) from None
        raise
    except RPCError as exc:
        # An update to a workflow that has finished answers NOT_FOUND with
        # "already completed": for staff that is a refused command, not a 404.
        if "completed" in exc.message:
            raise ApiError(409, "refused", "the process has ended: no further commands") from None
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", "no running process with that id") from None
        raise
    position = getattr(result, "position", None)
    if position is not None:
        await res.runner.wait_for(position, timeout=10)
    return result
