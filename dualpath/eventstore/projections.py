"""Projections: turn events into read models, exactly once, in position order.

Exactly once rests on one transaction per batch that locks the projections' checkpoint rows,
reads the events after them, applies them and moves the checkpoints. Two batches of the same
projection (two runners, a stray `catch_up`, a `rebuild`) therefore queue on that row, and the
later one starts from where the earlier one left off. The advisory lock that `run` holds only
decides which process does the work; correctness does not depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

import asyncpg
import structlog

from dualpath.eventstore.store import CHANNEL, Connection, RecordedEvent, fetch_all, has_unsettled

log = structlog.get_logger("dualpath.projections")

# Errors that say the database is away, not that a projection failed on an event.
_DATABASE_GONE = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)

_PROJECTION_LOCK_CLASS = 0x6475_7002  # "dup\2", with hashtext(name)

# How soon to look again while committed events are held back behind an open transaction.
_SETTLE_FIRST_DELAY = 0.01
_SETTLE_MAX_DELAY = 1.0


class Projection(Protocol):
    # Read-only, so a projection may declare them narrower (`tables` as a tuple, say).
    @property
    def name(self) -> str: ...
    @property
    def tables(self) -> Sequence[str]: ...

    async def apply(self, conn: Connection, event: RecordedEvent) -> None: ...


async def checkpoint(conn_or_pool, name: str) -> int:
    position = await conn_or_pool.fetchval("SELECT position FROM projection_checkpoints WHERE name = $1", name)
    return position or 0


async def _ensure_checkpoints(conn_or_pool, names: Sequence[str]) -> None:
    await conn_or_pool.execute(
        "INSERT INTO projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", list(names)
    )


async def _lock_checkpoints(conn, names: Sequence[str]) -> list[int]:
    # Always checkpoint rows before read-model tables, and rows in name order: batches and
    # rebuilds then wait for each other instead of deadlocking.
    rows = await conn.fetch(
        "SELECT position FROM projection_checkpoints WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
        sorted(names),
    )
    return [r["position"] for r in rows]


async def _move_checkpoints(conn, names: Sequence[str], position: int) -> None:
    await conn.execute(
        "UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = ANY($1::text[])",
        list(names),
        position,
    )


def _quote(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
        channel: str = CHANNEL,
        poll_interval: float = 5.0,
    ):
        self._pool = pool
        self._dsn = dsn
        self._projections = list(projections)
        self._names = sorted({p.name for p in self._projections})
        self._batch_size = batch_size
        self._channel = channel
        self._poll_interval = poll_interval
        # Set (and replaced) whenever this runner commits a batch, so `wait_for` in the same
        # process re-reads the checkpoints at once instead of at its next poll.
        self._progressed = asyncio.Event()

    async def catch_up(self) -> int:
        """Apply everything readable now; returns events applied, summed over the projections.

        All projections together first: the events are read once and every read model and checkpoint
        moves in one commit (a staff command's events cost one transaction, not one per projection).
        Should a projection fail on an event, that batch rolls back and the projections go on one at
        a time, so the others are not held up by the one that fails."""
        await _ensure_checkpoints(self._pool, self._names)
        applied = 0
        try:
            while True:
                read, n = await self._batch(self._projections)
                applied += n
                if read < self._batch_size:
                    return applied
        except _DATABASE_GONE:
            raise  # the database, not a projection: nothing to single out
        except Exception:
            log.warning("a projection failed on a batch of all of them; applying them one by one", exc_info=True)
        failure: Exception | None = None
        for projection in self._projections:
            try:
                while True:
                    read, n = await self._batch([projection])
                    applied += n
                    if read < self._batch_size:
                        break
            except _DATABASE_GONE:
                raise
            except Exception as exc:  # this projection stops at the event it fails on; the rest go on
                failure = failure or exc
        if failure is not None:
            raise failure
        return applied

    async def _batch(self, projections: Sequence[Projection]) -> tuple[int, int]:
        """One batch for `projections`, in one transaction: the events past the furthest-behind of their
        checkpoints, each applied to those that have not had it; (events read, applications)."""
        names = sorted({p.name for p in projections})
        applied = 0
        async with self._pool.acquire() as conn, conn.transaction():
            # Read models are derived: the batch's rows and its checkpoints commit together, so a
            # crash can lose only whole batches, which are applied again from the checkpoints. The
            # commit need not wait for the WAL flush (the events themselves are written durably).
            await conn.execute("SET LOCAL synchronous_commit = off")
            positions = dict(zip(names, await _lock_checkpoints(conn, names), strict=True))
            events = await fetch_all(conn, min(positions.values()), self._batch_size)
            for projection in projections:
                after = positions[projection.name]
                for event in events:
                    if event.position > after:
                        await projection.apply(conn, event)
                        applied += 1
            if events:
                await conn.execute(
                    "UPDATE projection_checkpoints SET position = GREATEST(position, $2), updated_at = now() "
                    "WHERE name = ANY($1::text[])",
                    names,
                    events[-1].position,
                )
        if events:
            self._progressed.set()
            self._progressed = asyncio.Event()
        return len(events), applied

    async def run(self) -> None:
        """Keep the projections up to date until cancelled.

        The connection that listens and holds the projections' advisory locks is our own, not
        the pool's: a pool resets connections on release, which drops LISTEN and session locks.
        """
        listener = await asyncpg.connect(self._dsn)
        woken = asyncio.Event()
        listener.add_termination_listener(lambda _conn: woken.set())
        try:
            for name in self._names:  # sorted: runners with overlapping sets cannot deadlock
                await listener.execute("SELECT pg_advisory_lock($1, hashtext($2))", _PROJECTION_LOCK_CLASS, name)
            await listener.add_listener(self._channel, lambda *_: woken.set())
            settle_delay = _SETTLE_FIRST_DELAY
            while True:
                # Cleared before catching up, so a NOTIFY that arrives meanwhile is not lost.
                woken.clear()
                await self.catch_up()
                if listener.is_closed():
                    # Our locks went with the connection: another runner may be working now.
                    raise ConnectionError(f"projection runner for {self._names}: lost its connection")
                if await self._held_back():
                    timeout, settle_delay = settle_delay, min(settle_delay * 2, _SETTLE_MAX_DELAY)
                else:
                    timeout, settle_delay = self._poll_interval, _SETTLE_FIRST_DELAY
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout)
        finally:
            try:
                await asyncio.shield(listener.close(timeout=2))
            except BaseException:
                listener.terminate()

    async def _held_back(self) -> bool:
        lowest = await self._pool.fetchval(
            "SELECT min(position) FROM projection_checkpoints WHERE name = ANY($1::text[])", self._names
        )
        return lowest is not None and await has_unsettled(self._pool, lowest)

    async def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """True once every projection's checkpoint has reached `position`; False after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.005
        while True:
            progressed = self._progressed  # taken before reading, so no batch between is missed
            reached = await self._pool.fetchval(
                "SELECT count(*) FROM projection_checkpoints WHERE name = ANY($1::text[]) AND position >= $2",
                self._names,
                position,
            )
            if reached == len(self._names):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            # Woken when this process's runner commits a batch; polling covers a runner elsewhere.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progressed.wait(), min(delay, remaining))
            delay = min(delay * 2, 0.1)


async def rebuild(pool: asyncpg.Pool, projections: Sequence[Projection]) -> int:
    """Empty the projections' tables and apply every event again, in one transaction.

    Returns events applied, summed over the projections. Readers of the read models see the old
    contents until the new ones commit. While it runs, its transaction holds every event
    reader in the cluster back (see store.py), so run it when a pause of the projections is fine.
    """
    projections = list(projections)
    names = sorted({p.name for p in projections})
    tables = list(dict.fromkeys(t for p in projections for t in p.tables))
    async with pool.acquire() as conn, conn.transaction():
        await _ensure_checkpoints(conn, names)
        await _lock_checkpoints(conn, names)
        if tables:
            # RESTART IDENTITY: a rebuilt read model equals one built live from the start.
            await conn.execute(f"TRUNCATE {', '.join(_quote(t) for t in tables)} RESTART IDENTITY")
        applied = 0
        position = 0
        while events := await fetch_all(conn, position, 1000):
            for event in events:
                for projection in projections:
                    await projection.apply(conn, event)
            applied += len(events) * len(projections)
            position = events[-1].position
        await _move_checkpoints(conn, names, position)
    return applied
