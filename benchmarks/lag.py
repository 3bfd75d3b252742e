"""Projection lag: an event appended to the event store → its row visible in the read model.

A probe appends one `TaskOpened` to a stream of its own (`bench-lag-<uuid>`) with
`EventStore.append` — the same call the worker's activity makes — and polls `rm_tasks` for the
task every millisecond. The lag is measured from the append's return (its commit) to the first
poll that sees the row. The probe tasks belong to `ops:bench`, on no one's worklist.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date

import asyncpg

from dualpath.domain.events import TaskOpened
from dualpath.eventstore import EventStore, NewEvent


async def probe(store: EventStore, pool: asyncpg.Pool, timeout: float = 10.0) -> float:
    task_id = f"bench-lag-{uuid.uuid4()}"
    event = TaskOpened(
        task_id=task_id,
        kind="bench_probe",
        title="projection lag probe",
        phase=None,
        owner_role="bench",
        owner_org="ops:bench",
        due=date(2099, 1, 1),
        mandatory=False,
    )
    await store.append(
        f"bench-lag-{uuid.uuid4()}",
        [
            NewEvent(
                event_id=uuid.uuid4(),
                type=TaskOpened.type_name(),
                data=event.model_dump(mode="json"),
                metadata={"actor": {"subject": "bench", "role": "engine", "organisation": "ops:bench"}},
            )
        ],
        expected_version=0,
    )
    appended = time.perf_counter()
    deadline = appended + timeout
    async with pool.acquire() as conn:
        while True:
            if await conn.fetchval("SELECT 1 FROM rm_tasks WHERE task_id = $1", task_id):
                return time.perf_counter() - appended
            if time.perf_counter() > deadline:
                raise TimeoutError(f"projection lag probe: {task_id} not visible after {timeout} s")
            await asyncio.sleep(0.001)


async def probe_many(store: EventStore, pool: asyncpg.Pool, n: int, pause: float = 0.0) -> list[float]:
    lags = []
    for _ in range(n):
        lags.append(await probe(store, pool))
        if pause:
            await asyncio.sleep(pause)
    return lags


async def probe_until(
    store: EventStore, pool: asyncpg.Pool, stop: asyncio.Event, pause: float, limit: int
) -> list[float]:
    """Probe every `pause` seconds until `stop` is set (at most `limit` probes): lag under load."""
    lags: list[float] = []
    while not stop.is_set() and len(lags) < limit:
        lags.append(await probe(store, pool))
        try:
            await asyncio.wait_for(stop.wait(), pause)
        except TimeoutError:
            pass
    return lags
