"""Contract tests for projections: checkpoints, NOTIFY wake-ups, rebuild, one runner at a time."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from dualpath.eventstore import ProjectionRunner, checkpoint, rebuild
from tests.eventstore.support import LogProjection, held_open, max_position, new_events, new_stream
from tests.poll import eventually


async def all_positions(pool, after: int = 0) -> list[int]:
    rows = await pool.fetch("SELECT position FROM events WHERE position > $1 ORDER BY position", after)
    return [r["position"] for r in rows]


@contextlib.asynccontextmanager
async def running(runner: ProjectionRunner):
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_catch_up_applies_every_event_once_in_order(es_store, es_pool, es_dsn, log_projection):
    for _ in range(5):
        await es_store.append(new_stream(), new_events(3), expected_version=0)
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], batch_size=7)

    everything = await all_positions(es_pool)
    assert await runner.catch_up() == len(everything)
    assert await projection.positions(es_pool) == everything
    assert await checkpoint(es_pool, projection.name) == everything[-1]
    assert await runner.catch_up() == 0

    result = await es_store.append(new_stream(), new_events(2), expected_version=0)
    assert await runner.catch_up() == 2
    assert await checkpoint(es_pool, projection.name) == result.last_position


async def test_concurrent_catch_ups_of_one_projection_apply_each_event_once(es_store, es_pool, es_dsn, log_projection):
    await es_store.append(new_stream(), new_events(20), expected_version=0)
    projection = await log_projection()  # its primary key refuses a second application
    runners = [ProjectionRunner(es_pool, es_dsn, [projection], batch_size=3) for _ in range(4)]
    applied = await asyncio.gather(*(r.catch_up() for r in runners))
    everything = await all_positions(es_pool)
    assert sum(applied) == len(everything)
    assert await projection.positions(es_pool) == everything


async def test_a_failing_batch_leaves_neither_rows_nor_checkpoint(es_store, es_pool, es_dsn, log_projection):
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], batch_size=5)
    await runner.catch_up()
    before = await checkpoint(es_pool, projection.name)

    stream = new_stream()
    await es_store.append(stream, new_events(12), expected_version=0)
    events = await es_store.read_stream(stream)
    bad = events[7]  # the third event of the second batch
    projection.fail_on = lambda e: e.event_id == bad.event_id

    with pytest.raises(RuntimeError, match="projection bug"):
        await runner.catch_up()
    assert await checkpoint(es_pool, projection.name) == events[4].position
    assert await projection.positions(es_pool, after=before) == [e.position for e in events[:5]]

    projection.fail_on = None
    assert await runner.catch_up() == 7
    assert await projection.positions(es_pool, after=before) == [e.position for e in events]
    assert await checkpoint(es_pool, projection.name) == events[-1].position


async def test_a_projection_that_fails_does_not_hold_up_the_others(es_store, es_pool, es_dsn, log_projection):
    """The projections catch up together, in one transaction; one failing on an event rolls that back,
    and the others are then applied on their own, past it."""
    failing, healthy = await log_projection(), await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [failing, healthy], batch_size=50)
    await runner.catch_up()
    before = await checkpoint(es_pool, healthy.name)
    stream = new_stream()
    await es_store.append(stream, new_events(6), expected_version=0)
    events = await es_store.read_stream(stream)
    failing.fail_on = lambda e: e.event_id == events[3].event_id

    with pytest.raises(RuntimeError, match="projection bug"):
        await runner.catch_up()
    assert await healthy.positions(es_pool, after=before) == [e.position for e in events]
    assert await checkpoint(es_pool, healthy.name) == events[-1].position
    # Its batch rolled back whole: neither rows nor checkpoint past where it was.
    assert await failing.positions(es_pool, after=before) == []
    assert await checkpoint(es_pool, failing.name) == before

    failing.fail_on = None
    assert await runner.catch_up() == len(events)  # the failing one's, once each
    assert await failing.positions(es_pool, after=before) == [e.position for e in events]


async def test_a_running_runner_wakes_on_notify(es_store, es_pool, es_dsn, log_projection):
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], poll_interval=30)
    async with running(runner):
        assert await runner.wait_for(await max_position(es_pool))  # its first catch-up
        for _ in range(3):
            loop = asyncio.get_running_loop()
            started = loop.time()
            result = await es_store.append(new_stream(), new_events(1), expected_version=0)
            assert await runner.wait_for(result.last_position, timeout=3)
            assert loop.time() - started < 1.0


async def test_a_runner_does_not_wait_for_a_notify_that_never_comes(es_store, es_pool, es_dsn, log_projection):
    # An event committed behind an open append is held back; when that append rolls back, no
    # NOTIFY follows, and the event must still arrive long before the next poll.
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], poll_interval=30)
    async with running(runner):
        assert await runner.wait_for(await max_position(es_pool))
        with contextlib.suppress(LookupError):
            async with held_open(es_pool, new_stream("doomed"), new_events(1)):
                behind = await es_store.append(new_stream(), new_events(1), expected_version=0)
                assert not await runner.wait_for(behind.last_position, timeout=0.1)
                raise LookupError("roll the append back")
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await runner.wait_for(behind.last_position, timeout=3)
        assert loop.time() - started < 1.5


async def test_wait_for_gives_up_after_the_timeout(es_pool, es_dsn, log_projection):
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection])
    await runner.catch_up()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert not await runner.wait_for(await max_position(es_pool) + 1, timeout=0.2)
    assert 0.2 <= loop.time() - started < 1.0
    assert await runner.wait_for(await max_position(es_pool), timeout=0.2)


async def test_rebuild_gives_the_live_read_model(es_store, es_pool, es_dsn, log_projection):
    for _ in range(4):
        await es_store.append(new_stream(), new_events(5), expected_version=0)
    projection = await log_projection()
    runner = ProjectionRunner(es_pool, es_dsn, [projection], batch_size=11)
    await runner.catch_up()
    live = await projection.rows(es_pool)

    # Damage the read model; a rebuild must not care what was there.
    await es_pool.execute(f"DELETE FROM {projection.table} WHERE position = $1", live[3][1])
    await es_pool.execute(
        f"INSERT INTO {projection.table} (position, stream_id, version, applied_by) VALUES (-1, 'junk', 1, '')"
    )

    everything = await all_positions(es_pool)
    assert await rebuild(es_pool, [projection]) == len(everything)
    assert await projection.rows(es_pool) == live
    assert await checkpoint(es_pool, projection.name) == everything[-1]

    # The live runner carries on from the rebuilt checkpoint.
    await es_store.append(new_stream(), new_events(2), expected_version=0)
    assert await runner.catch_up() == 2
    assert await projection.positions(es_pool) == await all_positions(es_pool)


async def test_only_one_runner_works_on_a_projection(es_store, es_pool, es_dsn, log_projection):
    one = await log_projection(applied_by="one")
    two = LogProjection(one.table, name=one.name, applied_by="two")  # same name, same table
    first = ProjectionRunner(es_pool, es_dsn, [one], poll_interval=0.05)
    second = ProjectionRunner(es_pool, es_dsn, [two], poll_interval=0.05)

    async def waiters() -> int:
        return await es_pool.fetchval(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
        )

    async def one_waiting():
        return await waiters() == 1

    async def none_waiting():
        return await waiters() == 0

    async with running(first) as first_task:
        assert await first.wait_for(await max_position(es_pool))
        async with running(second):
            await eventually(one_waiting, what="one runner waiting for the lock")
            for _ in range(3):
                result = await es_store.append(new_stream(), new_events(2), expected_version=0)
                assert await first.wait_for(result.last_position)
            await asyncio.sleep(0.2)  # several of the second runner's poll intervals
            assert {row[4] for row in await one.rows(es_pool)} == {"one"}

            first_task.cancel()  # the first runner stops: the second takes over
            with contextlib.suppress(asyncio.CancelledError):
                await first_task
            result = await es_store.append(new_stream(), new_events(1), expected_version=0)
            assert await second.wait_for(result.last_position)
            assert (await one.rows(es_pool))[-1][1:] == (result.last_position, result.stream_id, 1, "two")

            # A runner stopped while it waits gives up its place in the queue.
            third = ProjectionRunner(es_pool, es_dsn, [LogProjection(one.table, name=one.name)])
            async with running(third):
                await eventually(one_waiting, what="one runner waiting for the lock")
            await eventually(none_waiting, what="no runner waiting for the lock")
