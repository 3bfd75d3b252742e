"""Contract tests for migrations: recorded once, in order, each in its own transaction."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil

import asyncpg
import pytest

from dualpath.eventstore import MigrationError, migrate, pending
from dualpath.eventstore.migrate import MIGRATIONS

OURS = "0001_events"


@pytest.fixture
async def fresh(fresh_dsn):
    conn = await asyncpg.connect(fresh_dsn)
    yield conn
    await conn.close()


@pytest.fixture
def migrations(tmp_path):
    """A copy of the event store's migrations that a test may change."""
    shutil.copy(MIGRATIONS / f"{OURS}.sql", tmp_path)
    return tmp_path


async def test_migrate_applies_and_records_then_does_nothing(fresh):
    assert OURS in await pending(fresh)
    applied = await migrate(fresh)
    assert applied[0] == OURS and applied == sorted(applied)
    assert await pending(fresh) == []
    row = await fresh.fetchrow("SELECT * FROM schema_migrations WHERE version = 1")
    assert row["name"] == OURS and row["applied_at"] is not None
    assert row["checksum"] == hashlib.sha256((MIGRATIONS / f"{OURS}.sql").read_bytes()).hexdigest()
    assert await fresh.fetchval(
        "SELECT to_regclass('events') IS NOT NULL AND to_regclass('projection_checkpoints') IS NOT NULL"
    )

    assert await migrate(fresh) == []
    assert await fresh.fetchval("SELECT count(*) FROM schema_migrations") == len(applied)


async def test_new_migrations_are_applied_in_order(fresh, migrations):
    assert await migrate(fresh, directory=migrations) == [OURS]
    (migrations / "0003_c.sql").write_text("INSERT INTO t_order VALUES (3);")
    (migrations / "0002_b.sql").write_text("CREATE TABLE t_order (n int); INSERT INTO t_order VALUES (2);")
    assert await pending(fresh, directory=migrations) == ["0002_b", "0003_c"]
    assert await migrate(fresh, directory=migrations) == ["0002_b", "0003_c"]
    assert [r["n"] for r in await fresh.fetch("SELECT n FROM t_order")] == [2, 3]


async def test_a_changed_migration_is_refused(fresh, migrations):
    await migrate(fresh, directory=migrations)
    with open(migrations / f"{OURS}.sql", "a") as f:
        f.write("\n-- edited after it was applied\n")
    (migrations / "0002_new.sql").write_text("CREATE TABLE t_never (n int);")
    with pytest.raises(MigrationError, match=f"{OURS} was changed after it was applied"):
        await migrate(fresh, directory=migrations)
    assert await fresh.fetchval("SELECT to_regclass('t_never')") is None


async def test_a_failing_migration_leaves_no_trace(fresh, migrations):
    (migrations / "0002_bad.sql").write_text("CREATE TABLE t_half (n int);\nSELECT 1 / 0;")
    with pytest.raises(asyncpg.DivisionByZeroError):
        await migrate(fresh, directory=migrations)
    assert await pending(fresh, directory=migrations) == ["0002_bad"]
    assert await fresh.fetchval("SELECT to_regclass('t_half')") is None
    assert await fresh.fetchval("SELECT pg_try_advisory_lock(1)")  # the connection still works


async def test_processes_migrating_at_once_apply_each_file_once(fresh_dsn):
    conns = [await asyncpg.connect(fresh_dsn) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    applied = [name for result in results for name in result]
    assert OURS in applied and len(applied) == len(set(applied))
    assert sum(1 for result in results if result) == 1


def test_misnamed_or_duplicate_files_are_refused(migrations):
    from dualpath.eventstore.migrate import _discover

    (migrations / "0001_twin.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="share version 1"):
        _discover(migrations)
    (migrations / "0001_twin.sql").unlink()
    (migrations / "extra.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=re.escape("NNNN_name.sql")):
        _discover(migrations)
