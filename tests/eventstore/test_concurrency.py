"""The trap: an append that takes a lower position but commits later must never be skipped.

Each test also runs a naive tail (`position > cursor`, nothing else) beside the real one and
asserts that the naive tail *did* skip, so the dangerous interleaving is known to have happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from dualpath.eventstore import ProjectionRunner
from tests.eventstore.support import held_open, max_position, new_events, new_stream
from tests.poll import eventually

NAIVE = "SELECT position FROM events WHERE position > $1 ORDER BY position LIMIT $2"


async def test_reader_waits_for_a_late_commit_with_a_lower_position(es_store, es_pool):
    start = await max_position(es_pool)
    slow = new_events(2)
    async with held_open(es_pool, new_stream("slow"), slow) as low:
        # Other writers are not blocked by the open transaction ...
        high = await asyncio.wait_for(es_store.append(new_stream("fast"), new_events(1), None), 5)
        assert high.last_position > low.last_position
        # ... and a naive tail would now read past it for good ...
        assert [r["position"] for r in await es_pool.fetch(NAIVE, start, 100)] == [high.last_position]
        # ... while the store holds back everything behind the open transaction.
        assert await es_store.read_all(start) == []

    async def everything_readable():
        return len(await es_store.read_all(start)) == 3

    await eventually(everything_readable, what="the late commit and the one after it readable")
    read = await es_store.read_all(start)
    assert [e.event_id for e in read[:2]] == [e.event_id for e in slow]
    assert read[2].position == high.last_position


async def test_concurrent_writers_with_late_commits_lose_nothing(es_store, es_pool, es_dsn, log_projection):
    start = await max_position(es_pool)
    prefix = new_stream("cc")
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], batch_size=37, poll_interval=30)
    runner_task = asyncio.create_task(runner.run())
    stop = asyncio.Event()
    store_seen, naive_seen, lows = [], [], []

    async def tail_store():
        after = start
        while not stop.is_set():
            page = await es_store.read_all(after, limit=25)
            store_seen.extend(page)
            after = page[-1].position if page else after
            await asyncio.sleep(0.001)

    async def tail_naive():
        after = start
        async with es_pool.acquire() as conn:
            while not stop.is_set():
                page = [r["position"] for r in await conn.fetch(NAIVE, after, 25)]
                naive_seen.extend(page)
                after = page[-1] if page else after
                await asyncio.sleep(0.001)

    async def late_commit(w):
        async with held_open(es_pool, f"{prefix}-slow-{w}", new_events(2)) as low:
            high = await asyncio.wait_for(es_store.append(f"{prefix}-fast-{w}", new_events(1), None), 5)

            async def naive_passed_it():  # its cursor is beyond `low`, which is still invisible
                return bool(naive_seen) and naive_seen[-1] >= high.last_position

            await eventually(naive_passed_it, every=0.002, what="the naive tail past the late commit")
            lows.append(low)
            await asyncio.sleep(random.random() * 0.01)

    async def writer(w):
        own, version = f"{prefix}-own-{w}", 0
        for i in range(50):
            n = 1 + (i + w) % 3
            if i % 3 == 0:
                await es_store.append(f"{prefix}-shared-{i % 4}", new_events(n), expected_version=None)
            else:
                version = (await es_store.append(own, new_events(n), expected_version=version)).last_version
            if i % 10 == 3:
                await late_commit(w)

    tails = [asyncio.create_task(tail_store()), asyncio.create_task(tail_naive())]
    try:
        await asyncio.gather(*(writer(w) for w in range(8)))
        expected = await es_pool.fetch(
            "SELECT position, event_id FROM events WHERE position > $1 AND stream_id LIKE $2 ORDER BY position",
            start,
            f"{prefix}-%",
        )

        async def store_caught_up():
            return len(store_seen) >= len(expected)

        await eventually(store_caught_up, what="the store's tail caught up")
        assert await runner.wait_for(expected[-1]["position"], timeout=10)
    finally:
        stop.set()
        await asyncio.gather(*tails)
        runner_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner_task

    # The store's tail: every event exactly once, in position order.
    assert [e.event_id for e in store_seen] == [r["event_id"] for r in expected]
    # The projection (driven by NOTIFY and re-polls only: poll_interval=30): the same.
    assert await projection.positions(es_pool, after=start) == [r["position"] for r in expected]
    # The trap was really there: the naive tail lost every late commit.
    late_positions = {low.last_position for low in lows}
    assert len(late_positions) == 40
    assert late_positions <= {r["position"] for r in expected} - set(naive_seen)
    # What the reading rule rests on: positions never go back in transaction-id order.
    backwards = await es_pool.fetchval(
        """SELECT count(*) FROM (
               SELECT tx_id < lag(tx_id) OVER (ORDER BY position) AS back FROM events WHERE position > $1
           ) AS t WHERE back""",
        start,
    )
    assert backwards == 0
