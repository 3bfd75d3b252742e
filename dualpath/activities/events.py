"""Appending domain events: the only door from a workflow into the event store."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dualpath.activities.invalid_data import activity_defn, invalid_data
from dualpath.contracts.events import AppendEvents, AppendResult
from dualpath.domain import validation
from dualpath.eventstore import EventIdConflict, EventStore, WrongExpectedVersion

log = structlog.get_logger("dualpath.activities")


@dataclass(frozen=True)
class EventActivities:
    store: EventStore

    @activity_defn("append_events", "the command's events cannot be recorded")
    async def append_events(self, request: AppendEvents) -> AppendResult:
        # Text PostgreSQL can never store is refused here, before it reaches the database (whose
        # error, and log, would quote the text around it); other data errors come back from it.
        for event in request.events:
            for part, value in (("data", event.data), ("metadata", event.metadata)):
                for path, why in validation.problems(value, text=validation.unstorable, dates=False):
                    field = ".".join(str(p) for p in (event.type, part, *path))
                    raise invalid_data("the command's events cannot be recorded", f"{field}: {why}")
        try:
            result = await self.store.append(request.stream_id, request.events, request.expected_version)
        except (WrongExpectedVersion, EventIdConflict) as exc:
            # The workflow is the stream's only writer and event ids are fixed
            # before the first attempt, so a clash is a bug, not a race that a
            # retry could heal: fail loudly instead of retrying forever.
            raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from exc
        # Ids and event types only: event data is clinical and stays out of logs.
        log.info(
            "events appended",
            stream_id=request.stream_id,
            workflow_id=activity.info().workflow_id,
            types=[e.type for e in request.events],
            last_position=result.last_position,
            attempt=activity.info().attempt,
        )
        return result
