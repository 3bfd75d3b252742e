"""Contract tests for EventStore: append, read, versions, idempotency, append-only."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from dualpath.eventstore import EventIdConflict, EventStore, NewEvent, WrongExpectedVersion
from tests.eventstore.support import max_position, new_events, new_stream


async def test_append_then_read_stream(es_store):
    stream = new_stream()
    events = [
        NewEvent(
            event_id=uuid.uuid4(),
            type="ReferralReceived",
            data={"n": 1, "nested": {"a": [1, 2]}},
            metadata={"actor": "staff-1"},
        ),
        NewEvent(event_id=uuid.uuid4(), type="ReferralReleased", data={"n": 2}),
        NewEvent(event_id=uuid.uuid4(), type="ReferralAccepted", data={"n": 3, "text": "æøå"}),
    ]
    result = await es_store.append(stream, events, expected_version=0)

    assert (result.stream_id, result.first_version, result.last_version) == (stream, 1, 3)
    read = await es_store.read_stream(stream)
    assert [e.event_id for e in read] == [e.event_id for e in events]
    assert [e.version for e in read] == [1, 2, 3]
    assert [(e.type, e.data, e.metadata) for e in read] == [(e.type, e.data, e.metadata) for e in events]
    assert all(e.stream_id == stream and e.recorded_at.tzinfo is not None for e in read)
    positions = [e.position for e in read]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert result.last_position == positions[-1]
    assert [e.version for e in await es_store.read_stream(stream, from_version=2)] == [2, 3]
    assert await es_store.read_stream(new_stream()) == []


async def test_stream_version(es_store):
    stream = new_stream()
    assert await es_store.stream_version(stream) == 0
    await es_store.append(stream, new_events(2), expected_version=0)
    await es_store.append(stream, new_events(3), expected_version=2)
    assert await es_store.stream_version(stream) == 5


async def test_read_all_in_position_order_with_paging(es_store, es_pool):
    start = await max_position(es_pool)
    a, b = new_stream("a"), new_stream("b")
    written = []
    for stream, n in [(a, 2), (b, 1), (a, 3), (b, 2)]:
        events = new_events(n)
        await es_store.append(stream, events, expected_version=None)
        written += [e.event_id for e in events]

    everything = await es_store.read_all(after_position=start)
    assert [e.event_id for e in everything] == written
    assert [e.position for e in everything] == sorted(e.position for e in everything)

    paged, after = [], start
    while page := await es_store.read_all(after_position=after, limit=3):
        assert len(page) <= 3
        paged += page
        after = page[-1].position
    assert paged == everything
    assert await es_store.read_all(after_position=everything[-1].position) == []


async def test_expected_version_ok_and_clash(es_store):
    stream = new_stream()
    await es_store.append(stream, new_events(2), expected_version=0)
    await es_store.append(stream, new_events(1), expected_version=2)

    with pytest.raises(WrongExpectedVersion) as clash:
        await es_store.append(stream, new_events(1), expected_version=2)
    assert (clash.value.stream_id, clash.value.expected, clash.value.actual) == (stream, 2, 3)
    assert (
        stream in str(clash.value)
        and "expected version 2" in str(clash.value)
        and "actual version 3" in str(clash.value)
    )

    with pytest.raises(WrongExpectedVersion):
        await es_store.append(stream, new_events(1), expected_version=0)
    with pytest.raises(WrongExpectedVersion):
        await es_store.append(new_stream(), new_events(1), expected_version=1)
    assert await es_store.stream_version(stream) == 3

    result = await es_store.append(stream, new_events(2), expected_version=None)
    assert (result.first_version, result.last_version) == (4, 5)


async def test_same_event_ids_again_are_a_no_op(es_store, es_pool):
    stream = new_stream()
    first = new_events(2)
    original = await es_store.append(stream, first, expected_version=0)
    await es_store.append(stream, new_events(1), expected_version=2)

    # A retried activity sends the same events with the now stale expected version.
    again = await es_store.append(stream, first, expected_version=0)
    assert again == original
    assert await es_store.append(stream, first, expected_version=None) == original
    assert await es_store.append(stream, first[1:], expected_version=7) == original.model_copy(
        update={"first_version": 2}
    )
    assert [e.version for e in await es_store.read_stream(stream)] == [1, 2, 3]
    ids = [e.event_id for e in first]
    assert await es_pool.fetchval("SELECT count(*) FROM events WHERE event_id = ANY($1)", ids) == 2


async def test_concurrent_retries_of_one_append_store_it_once(es_store):
    stream = new_stream()
    events = new_events(3)
    results = await asyncio.gather(*(es_store.append(stream, events, expected_version=0) for _ in range(6)))
    assert len(set(results)) == 1
    assert len(await es_store.read_stream(stream)) == 3


async def test_event_id_conflicts(es_store):
    stream = new_stream()
    e1, e2, e3 = new_events(3)
    await es_store.append(stream, [e1, e2], expected_version=0)

    with pytest.raises(EventIdConflict, match="1 of the 2"):  # some stored, some new
        await es_store.append(stream, [e2, new_events(1)[0]], expected_version=None)
    with pytest.raises(EventIdConflict, match="already stored in stream"):  # another stream
        await es_store.append(new_stream(), [e1], expected_version=0)
    with pytest.raises(EventIdConflict, match="another type, data or metadata"):
        await es_store.append(stream, [e1.model_copy(update={"data": {"i": 99}})], expected_version=None)
    with pytest.raises(EventIdConflict, match="another type, data or metadata"):
        await es_store.append(stream, [e1.model_copy(update={"type": "Other"})], expected_version=None)
    with pytest.raises(EventIdConflict, match="not consecutively"):  # another order
        await es_store.append(stream, [e2, e1], expected_version=None)

    await es_store.append(stream, [e3], expected_version=2)
    await es_store.append(stream, new_events(1), expected_version=3)
    with pytest.raises(EventIdConflict, match="not consecutively"):
        await es_store.append(stream, [e1, e3], expected_version=None)
    assert await es_store.stream_version(stream) == 4


async def test_invalid_appends_are_refused(es_store):
    stream = new_stream()
    with pytest.raises(ValueError, match="no events"):
        await es_store.append(stream, [], expected_version=0)
    e = new_events(1)[0]
    with pytest.raises(ValueError, match="twice"):
        await es_store.append(stream, [e, e], expected_version=0)
    with pytest.raises(ValueError, match="empty"):
        await es_store.append("", new_events(1), expected_version=0)
    assert await es_store.stream_version(stream) == 0


async def test_a_failed_insert_does_not_keep_the_positions_lock(es_dsn, es_store):
    # A pool whose reset leaves advisory locks alone, so only the store's own clean-up can free
    # the lock that a statement failing inside the critical section leaves behind.
    async def keep_session(conn):
        pass

    pool = await asyncpg.create_pool(es_dsn, min_size=1, max_size=1, reset=keep_session)
    try:
        nul_in_text = NewEvent(event_id=uuid.uuid4(), type="Tested", data={"text": "a\u0000b"})
        with pytest.raises(asyncpg.PostgresError):  # jsonb refuses NUL, inside the critical section
            await EventStore(pool).append(new_stream(), [nul_in_text], expected_version=0)
        held = await pool.fetchval(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
        )
        assert held == 0
        await asyncio.wait_for(es_store.append(new_stream(), new_events(1), expected_version=0), 5)
    finally:
        await pool.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET type = 'Rewritten' WHERE stream_id = $1",
        "DELETE FROM events WHERE stream_id = $1",
        "UPDATE events SET type = 'Rewritten' WHERE stream_id = $1 AND false",
        "TRUNCATE events",
    ],
)
async def test_events_are_append_only(es_store, es_pool, statement):
    stream = new_stream()
    await es_store.append(stream, new_events(2), expected_version=0)
    before = await es_store.read_stream(stream)
    args = [stream] if "$1" in statement else []
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await es_pool.execute(statement, *args)
    assert await es_store.read_stream(stream) == before


async def test_append_refuses_a_transaction_that_already_wrote(es_pool):
    from dualpath.eventstore.store import _append_in_transaction

    async with es_pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO projection_checkpoints (name) VALUES ($1)", new_stream("written"))
        with pytest.raises(RuntimeError, match="transaction of its own"):
            await _append_in_transaction(conn, new_stream(), new_events(1), None)
