"""Small helpers shared by the event-store tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager

from dualpath.eventstore import NewEvent, RecordedEvent
from dualpath.eventstore.store import _append_in_transaction


def new_events(n: int, type: str = "Tested", **data) -> list[NewEvent]:
    return [NewEvent(event_id=uuid.uuid4(), type=type, data={"i": i, **data}) for i in range(n)]


def new_stream(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def max_position(pool) -> int:
    return await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")


@asynccontextmanager
async def held_open(pool, stream, events, expected_version=None):
    """An append exactly as the store does it, whose transaction ends only when the block does."""
    async with pool.acquire() as conn, conn.transaction():
        yield await _append_in_transaction(conn, stream, events, expected_version)


class LogProjection:
    """Logs every event it is given, in the order given.

    The primary key on position refuses a second application of an event; `seq` records the
    order of application; `applied_by` tells which projection object did it. Rows go in before
    `fail_on` is checked, so a failing event leaves something for the rollback to remove.
    """

    def __init__(
        self,
        table: str,
        *,
        name: str | None = None,
        applied_by: str = "",
        fail_on: Callable[[RecordedEvent], bool] | None = None,
    ):
        self.table = table
        self.name = name or table
        self.tables = (table,)
        self.applied_by = applied_by
        self.fail_on = fail_on

    async def create_table(self, pool) -> None:
        await pool.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.table} (
                    seq        bigint GENERATED ALWAYS AS IDENTITY,
                    position   bigint PRIMARY KEY,
                    stream_id  text   NOT NULL,
                    version    int    NOT NULL,
                    applied_by text   NOT NULL
                )"""
        )

    async def apply(self, conn, event: RecordedEvent) -> None:
        await conn.execute(
            f"INSERT INTO {self.table} (position, stream_id, version, applied_by) VALUES ($1, $2, $3, $4)",
            event.position,
            event.stream_id,
            event.version,
            self.applied_by,
        )
        if self.fail_on is not None and self.fail_on(event):
            raise RuntimeError(f"projection bug at position {event.position}")

    async def rows(self, pool) -> list[tuple]:
        return [tuple(r) for r in await pool.fetch(f"SELECT * FROM {self.table} ORDER BY seq")]

    async def positions(self, pool, after: int = 0) -> list[int]:
        rows = await pool.fetch(f"SELECT position FROM {self.table} WHERE position > $1 ORDER BY seq", after)
        return [r["position"] for r in rows]
