"""A failure caused by the data, not by the moment, is never retried.

Temporal retries a failed activity; for an append that is right while PostgreSQL is away (a restart, a
failover: the fault suite depends on it), and wrong when PostgreSQL refuses the data itself — text it
cannot store, a value out of range — or a calendar computation overflows: every retry fails the same
way, the command never gets its answer, every later command on that workflow waits behind it, and
PostgreSQL writes the surrounding text to its log each time. So an activity wrapped in
`refuse_invalid_data` turns such an error into a non-retryable `ApplicationError` of type
`InvalidData`; the workflow refuses the command with it (workflows/kit.py) and goes on.

Which errors are the data's: PostgreSQL's classes 22 (data exception: untranslatable characters,
invalid text representation, numeric value out of range, datetime overflow, …) and 54 (program limit
exceeded: a value too large); in Python, ValueError (UnicodeError, asyncpg's refused query arguments,
pydantic's ValidationError among them) and ArithmeticError (OverflowError). Everything else — a
connection refused or lost, a server shutting down, a timeout — is retried as before.

The failure's message names the kind of error, never its text: PostgreSQL's message quotes the data
(it may be clinical), so it stays out of the workflow's history and the logs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dualpath.contracts.activities import INVALID_DATA

_DATA_CLASSES = ("22", "54")

log = structlog.get_logger("dualpath.activities")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def is_data_error(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        return str(getattr(exc, "sqlstate", "") or "")[:2] in _DATA_CLASSES
    return isinstance(exc, (ValueError, ArithmeticError))


def invalid_data(what: str, reason: str) -> ApplicationError:
    return ApplicationError(
        f"{what}: {reason}; nothing was recorded, and repeating the same data would fail the same way",
        type=INVALID_DATA,
        non_retryable=True,
    )


def refuse_invalid_data(what: str) -> Callable[[F], F]:
    """Wrap an activity: a data error becomes a non-retryable `InvalidData` failure (see the module's docstring).

    `what` says what could not be done, e.g. "the command's events cannot be recorded"."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        async def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except ApplicationError:
                raise  # the activity decided already
            except Exception as exc:
                if not is_data_error(exc):
                    raise
                sqlstate = getattr(exc, "sqlstate", None)
                kind = type(exc).__name__ + (f", SQLSTATE {sqlstate}" if sqlstate else "")
                info = activity.info()
                # The kind only: the error's own message may quote the data.
                log.warning(
                    "activity refused its data",
                    activity=info.activity_type,
                    workflow_id=info.workflow_id,
                    kind=kind,
                    attempt=info.attempt,
                )
                raise invalid_data(what, f"the data was refused ({kind})") from None

        return run  # type: ignore[return-value]

    return wrap


def activity_defn(name: str, what: str) -> Callable[[F], F]:
    """Declare an activity named `name` whose data errors refuse the command that caused them
    (`refuse_invalid_data(what)`): every activity here is one."""

    def wrap(fn: F) -> F:
        return activity.defn(name=name)(refuse_invalid_data(what)(fn))

    return wrap
