"""The event store: append-only events, migrations, projections into read models."""

from dualpath.eventstore.migrate import MigrationError, migrate, pending
from dualpath.eventstore.projections import Projection, ProjectionRunner, checkpoint, rebuild
from dualpath.eventstore.store import (
    AppendResult,
    EventIdConflict,
    EventStore,
    NewEvent,
    RecordedEvent,
    WrongExpectedVersion,
)

__all__ = [
    "AppendResult",
    "EventIdConflict",
    "EventStore",
    "MigrationError",
    "NewEvent",
    "Projection",
    "ProjectionRunner",
    "RecordedEvent",
    "WrongExpectedVersion",
    "checkpoint",
    "migrate",
    "pending",
    "rebuild",
]
