"""The event store: one append-only table of events, read by stream or by global position.

Why reading by position is safe here
------------------------------------
A position is taken when a row is inserted but becomes visible when its transaction commits.
If transaction A takes position 10, B takes 11 and commits first, a reader that reads 11 and
remembers "I am at 11" never sees 10. Two rules together close that gap without serialising
whole appends:

1. Readers only return *settled* rows: `tx_id < pg_snapshot_xmin(pg_current_snapshot())`.
   Every transaction id below the snapshot's xmin has finished, so every row it wrote is
   already visible (or rolled back for good); nothing new can ever appear with such a tx_id.

2. Positions follow transaction ids. Rule 1 alone is not enough: A could take position 10 but
   get its transaction id *after* B, so B (position 11, lower id) is settled while A still runs,
   and A's row 10 would appear behind a reader already at 11. So `append` takes its
   transaction id and its positions together inside one short critical section (a session
   advisory lock taken and released within the INSERT statement, see `_INSERT`): for two
   appends, lower transaction id <=> lower positions.

Together: a row held back by rule 1 has a tx_id >= xmin, which is above the tx_id of every row
returned, so by rule 2 its position is above every returned position. What a reader returns is
always a prefix of the final order, and `position > checkpoint` can never skip.
(tests/eventstore/test_concurrency.py: with the critical section removed, its tail does lose
events under 8 concurrent writers.)

The lock covers one INSERT, not the commit: appends still commit (and fsync) in parallel, and a
slow transaction does not stop other writers; it only holds readers back until it finishes.
That is the cost: any transaction holding a transaction id anywhere in the cluster (snapshot
xmin is cluster-wide) delays readers, never writers, until it ends.

Rule 2 assumes events are only written by `append`, in a transaction of its own, so that the
INSERT is where the transaction gets its id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg
import pydantic_core
from asyncpg.pool import PoolConnectionProxy

from dualpath.contracts.events import AppendResult, NewEvent, RecordedEvent

CHANNEL = "dualpath_events"

# A connection of our own or one lent by a pool (`pool.acquire()` lends a proxy of it).
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy

# Advisory lock keys. The bigint one is the positions' critical section; per-stream locks use
# the two-int form (another key space in pg_locks) with the stream's hash.
_POSITIONS_LOCK = 0x6475_616C_7061_7468  # "dualpath"
_STREAM_LOCK_CLASS = 0x6475_7301  # "dus\1"

_RACE_ATTEMPTS = 3


class WrongExpectedVersion(Exception):
    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(f"stream {stream_id!r}: expected version {expected}, actual version {actual}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventIdConflict(Exception):
    """An event id was reused for something other than a retry of the very same append."""


class _Raced(Exception):
    """Another transaction inserted one of our keys between our check and our insert."""


_COLUMNS = "position, event_id, stream_id, version, type, data::text AS data, metadata::text AS metadata, recorded_at"
_SETTLED = "tx_id < pg_snapshot_xmin(pg_current_snapshot())"


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    # jsonb is read as text so a jsonb codec someone sets on the pool cannot change what we get.
    return RecordedEvent(
        position=row["position"],
        event_id=row["event_id"],
        stream_id=row["stream_id"],
        version=row["version"],
        type=row["type"],
        data=json.loads(row["data"]),
        metadata=json.loads(row["metadata"]),
        recorded_at=row["recorded_at"],
    )


async def fetch_all(conn, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
    """`read_all` on a given connection or pool (a projection reads inside its own transaction)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE position > $1 AND {_SETTLED} ORDER BY position LIMIT $2",
        after_position,
        limit,
    )
    return [_recorded(r) for r in rows]


async def has_unsettled(conn, after_position: int) -> bool:
    """Committed events after `after_position` that readers still hold back.

    They become readable when an older transaction ends; if that one rolls back or is not an
    append, no NOTIFY will say so, so a subscriber has to look again by itself.
    """
    return await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM events WHERE position > $1 AND NOT ({_SETTLED}))", after_position
    )


_LOOKUP = """
SELECT cur.version AS current, pg_current_xact_id_if_assigned() IS NULL AS fresh,
       m.ord, m.stream_id, m.version, m.position, m.same
FROM (SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1) AS cur
LEFT JOIN (
    SELECT g.ord, e.stream_id, e.version, e.position,
           (e.type = g.type AND e.data = g.data::jsonb AND e.metadata = g.metadata::jsonb) AS same
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])
         WITH ORDINALITY AS g(event_id, type, data, metadata, ord)
    JOIN events AS e ON e.event_id = g.event_id
) AS m ON true
ORDER BY m.ord
"""

# The critical section of rule 2, in one statement so it lasts one INSERT and no round trip:
# `cs` is scanned before any row is built, so the lock is held when the transaction id and the
# positions are taken (nextval and pg_current_xact_id() sit above the join in the plan), and
# count() drains the INSERT before the unlock runs. ON CONFLICT DO NOTHING keeps a clash from
# aborting the statement with the lock held; a short count tells us to retry instead.
_INSERT = """
WITH cs AS MATERIALIZED (SELECT pg_advisory_lock($1::bigint)),
ins AS (
    INSERT INTO events (event_id, stream_id, version, type, data, metadata)
    SELECT g.event_id, $2, $3 + g.ord, g.type, g.data::jsonb, g.metadata::jsonb
    FROM cs, unnest($4::uuid[], $5::text[], $6::text[], $7::text[])
         WITH ORDINALITY AS g(event_id, type, data, metadata, ord)
    ORDER BY g.ord
    ON CONFLICT DO NOTHING
    RETURNING position
)
SELECT count(*) AS inserted, max(position) AS last_position,
       pg_advisory_unlock($1::bigint) AS unlocked,
       pg_notify($8, coalesce(max(position), 0)::text) AS notified
FROM ins
"""


def _json(value: dict[str, Any]) -> str:
    return pydantic_core.to_json(value).decode()


def _validate(stream_id: str, events: Sequence[NewEvent]) -> list[NewEvent]:
    events = list(events)
    if not events:
        raise ValueError(f"append to stream {stream_id!r}: no events given")
    if not stream_id:
        raise ValueError("append: the stream id is empty")
    if len({e.event_id for e in events}) != len(events):
        raise ValueError(f"append to stream {stream_id!r}: the same event id is given twice")
    if any(not e.type for e in events):
        raise ValueError(f"append to stream {stream_id!r}: an event has an empty type")
    return events


def _replayed(stream_id: str, events: list[NewEvent], stored: list[asyncpg.Record]) -> AppendResult:
    """The result of an append that was already done, or EventIdConflict if it was not this one."""
    if len(stored) < len(events):
        raise EventIdConflict(
            f"stream {stream_id!r}: {len(stored)} of the {len(events)} event ids are already stored; "
            "a retry must send exactly the events of the first attempt"
        )
    for event, row in zip(events, stored):
        if row["stream_id"] != stream_id:
            raise EventIdConflict(
                f"event {event.event_id} is already stored in stream {row['stream_id']!r}, not {stream_id!r}"
            )
        if not row["same"]:
            raise EventIdConflict(
                f"event {event.event_id} is already stored in stream {stream_id!r} with another type, data or metadata"
            )
    first = stored[0]["version"]
    versions = [row["version"] for row in stored]
    if versions != list(range(first, first + len(stored))):
        raise EventIdConflict(
            f"stream {stream_id!r}: these event ids are stored at versions {versions}, "
            "not consecutively in the order given"
        )
    return AppendResult(
        stream_id=stream_id, first_version=first, last_version=versions[-1], last_position=stored[-1]["position"]
    )


async def _append_in_transaction(
    conn, stream_id: str, events: list[NewEvent], expected_version: int | None
) -> AppendResult:
    """The append itself; the caller owns the (fresh) transaction."""
    # Writers of one stream queue here rather than inside the positions' critical section, and
    # the version read below is exact because the previous writer has committed.
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _STREAM_LOCK_CLASS, stream_id)
    ids = [e.event_id for e in events]
    types = [e.type for e in events]
    data = [_json(e.data) for e in events]
    metadata = [_json(e.metadata) for e in events]

    rows = await conn.fetch(_LOOKUP, stream_id, ids, types, data, metadata)
    if not rows[0]["fresh"]:
        # Rule 2 (module docstring) needs the transaction id to be taken by our INSERT.
        raise RuntimeError("append must run in a transaction of its own that has written nothing yet")
    current = rows[0]["current"]
    stored = [r for r in rows if r["ord"] is not None]
    if stored:
        return _replayed(stream_id, events, stored)
    if expected_version is not None and expected_version != current:
        raise WrongExpectedVersion(stream_id, expected_version, current)

    row = await conn.fetchrow(_INSERT, _POSITIONS_LOCK, stream_id, current, ids, types, data, metadata, CHANNEL)
    if row["inserted"] != len(events):
        raise _Raced()
    return AppendResult(
        stream_id=stream_id,
        first_version=current + 1,
        last_version=current + len(events),
        last_position=row["last_position"],
    )


class EventStore:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def append(self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None) -> AppendResult:
        """Append `events` to the stream; expected_version is how many events it holds now (None: any).

        Sending the same event ids again (a retried activity) returns the first result and writes
        nothing, whatever expected_version says.
        """
        events = _validate(stream_id, events)
        for _ in range(_RACE_ATTEMPTS):
            async with self._pool.acquire() as conn:
                try:
                    async with conn.transaction():
                        return await _append_in_transaction(conn, stream_id, events, expected_version)
                except _Raced:
                    # Someone stored one of our event ids meanwhile; looking again tells a
                    # concurrent retry of this append (no-op) from a real conflict.
                    continue
                except (WrongExpectedVersion, EventIdConflict):
                    raise  # refused before the critical section
                except BaseException:
                    await _leave_critical_section(conn)
                    raise
        raise EventIdConflict(
            f"stream {stream_id!r}: the append kept clashing with concurrent writers of the same event ids"
        )

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version",
            stream_id,
            from_version,
        )
        return [_recorded(r) for r in rows]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events after `after_position` in position order, never past one that may still commit."""
        return await fetch_all(self._pool, after_position, limit)

    async def stream_version(self, stream_id: str) -> int:
        return await self._pool.fetchval("SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id)


async def _leave_critical_section(conn) -> None:
    # The positions' lock is session-level, so a statement that failed while holding it (a
    # cancel, a value jsonb refuses) leaves it held after the rollback, and every append in
    # every process would wait. A store connection holds no other advisory lock (asyncpg's
    # default pool reset does the same); if the connection is unusable, ending the session
    # ends the lock.
    try:
        await conn.execute("SELECT pg_advisory_unlock_all()")
    except BaseException:
        conn.terminate()
