"""The read models' base: stored events read as their domain type, one handler per type, rows changed by key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.eventstore import NewEvent, ProjectionRunner, rebuild
from dualpath.readmodels.projection import ReadModel, Table, on


def _event(type_: str, **data: object) -> NewEvent:
    return NewEvent(event_id=uuid.uuid4(), type=type_, data=data)


async def _table(pool, columns: str) -> str:
    name = f"rm_test_{uuid.uuid4().hex[:10]}"
    await pool.execute(f"CREATE TABLE {name} ({columns})")
    return name


async def test_events_arrive_as_their_domain_type_and_only_from_the_streams_asked_for(es_store, es_pool, es_dsn):
    table = await _table(es_pool, "pathway_id text PRIMARY KEY, phase int, level_of_care text, updated_at timestamptz")
    prefix = f"phasetest{uuid.uuid4().hex[:8]}-"
    rows = Table(table, "pathway_id")
    seen: list[type] = []

    class Phases(ReadModel, name=table, tables=(table,), stream_prefix=prefix):
        @on(ev.PhaseChanged)
        async def phase(self, conn, e: ev.PhaseChanged, at: RecordedEvent) -> None:
            seen.append(type(e))
            await conn.execute(
                f"INSERT INTO {table} (pathway_id, phase, updated_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (pathway_id) DO UPDATE SET phase = EXCLUDED.phase",
                e.pathway_id,
                e.to_phase,
                at.recorded_at,
            )

        @on(ev.LevelOfCareChanged)
        async def level(self, conn, e: ev.LevelOfCareChanged, at: RecordedEvent) -> None:
            await rows.update(conn, e.pathway_id, at, level_of_care=e.to_level)

    await es_store.append(
        f"{prefix}1",
        [
            # "2" as JSON text: the domain class makes it the phase number.
            _event("PhaseChanged", pathway_id="p1", from_phase=1, to_phase="2", reason=None),
            _event("LevelOfCareChanged", pathway_id="p1", from_level=None, to_level="integrated_stable", reason="x"),
            # A type this read model has no handler for is passed over unread, whatever its data.
            _event("TaskOpened", anything="goes"),
        ],
        expected_version=0,
    )
    await es_store.append(
        f"other{prefix}1",
        [_event("PhaseChanged", pathway_id="p2", from_phase=1, to_phase=3, reason=None)],
        expected_version=0,
    )
    level_at = (await es_store.read_stream(f"{prefix}1"))[1].recorded_at

    await ProjectionRunner(es_pool, es_dsn, [Phases()]).catch_up()
    live = [tuple(r) for r in await es_pool.fetch(f"SELECT * FROM {table} ORDER BY pathway_id")]
    assert live == [("p1", 2, "integrated_stable", level_at)]
    assert seen == [ev.PhaseChanged]

    await rebuild(es_pool, [Phases()])
    assert [tuple(r) for r in await es_pool.fetch(f"SELECT * FROM {table} ORDER BY pathway_id")] == live


def test_a_union_stands_for_each_of_its_types_and_no_type_is_handled_twice():
    class Both(ReadModel, name="both", tables=()):
        @on(ev.TaskCompleted | ev.TaskCancelled)
        async def closed(self, conn, e, at) -> None: ...

    assert sorted(Both._handlers) == ["TaskCancelled", "TaskCompleted"]

    with pytest.raises(TypeError, match="handles TaskCompleted twice"):

        class Twice(ReadModel, name="twice", tables=()):
            @on(ev.TaskCompleted)
            async def one(self, conn, e, at) -> None: ...

            @on(ev.TaskCompleted | ev.TaskOverdue)
            async def other(self, conn, e, at) -> None: ...


async def test_a_row_changes_by_its_key_with_expressions_and_the_events_time(es_pool):
    table = await _table(es_pool, "a text, b int, n int, note text, updated_at timestamptz, PRIMARY KEY (a, b)")
    await es_pool.execute(f"INSERT INTO {table} (a, b, n) VALUES ('x', 1, 10), ('x', 2, 20)")
    at = RecordedEvent(
        position=1,
        event_id=uuid.uuid4(),
        stream_id="s-1",
        version=1,
        type="Tested",
        data={},
        metadata={},
        recorded_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    )
    async with es_pool.acquire() as conn:
        # $1 $2 the key, $3 the time, $4 the expression's argument, then the plain fields.
        await Table(table, "a", "b").update(conn, ("x", 1), at, "n = n + $4", [5], note="kept")
        await Table(table, "a", "b", stamped=False).update(conn, ("x", 2), at, note="unstamped")
    rows = [tuple(r) for r in await es_pool.fetch(f"SELECT * FROM {table} ORDER BY b")]
    assert rows == [("x", 1, 15, "kept", at.recorded_at), ("x", 2, 20, "unstamped", None)]
