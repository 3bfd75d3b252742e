"""Versioned SQL migrations: `migrations/NNNN_name.sql`, applied once each, in order.

A file must not contain BEGIN/COMMIT: each runs in a transaction of its own, together with the
row that records it, so a failing file leaves no trace and is tried again next time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from dualpath.eventstore.store import Connection
from dualpath.infra.errors import SetupError

MIGRATIONS = Path(__file__).with_name("migrations")

_LOCK = 0x6475_616C_6D69_6772  # "dualmigr": one migrating process at a time
_FILE = re.compile(r"^(\d+)_[\w-]+\.sql$")


class MigrationError(SetupError):
    pass


@dataclass(frozen=True)
class _Migration:
    version: int
    name: str
    sql: str
    checksum: str


def _discover(directory: Path) -> list[_Migration]:
    found: dict[int, _Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"migration {path} is not named NNNN_name.sql; rename it")
        # Line endings normalised so a Windows checkout does not look like an edited file.
        sql = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
        migration = _Migration(
            version=int(match.group(1)), name=path.stem, sql=sql, checksum=hashlib.sha256(sql.encode()).hexdigest()
        )
        if migration.version in found:
            raise MigrationError(
                f"migrations {found[migration.version].name} and {migration.name} share version "
                f"{migration.version}; renumber the newer one"
            )
        found[migration.version] = migration
    return [found[v] for v in sorted(found)]


@asynccontextmanager
async def _connection(conn_or_pool: Connection | asyncpg.Pool) -> AsyncIterator[Connection]:
    if isinstance(conn_or_pool, asyncpg.Pool):
        async with conn_or_pool.acquire() as conn:
            yield conn
    else:
        yield conn_or_pool


async def _applied(conn) -> dict[int, asyncpg.Record]:
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return {}
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    return {r["version"]: r for r in rows}


def _refuse_edits(migrations: list[_Migration], applied: dict[int, asyncpg.Record]) -> None:
    for m in migrations:
        row = applied.get(m.version)
        if row is not None and (row["name"] != m.name or row["checksum"] != m.checksum):
            raise MigrationError(
                f"migration {m.name} was changed after it was applied as {row['name']} "
                f"(checksum {row['checksum'][:12]}…, file now {m.checksum[:12]}…); "
                "restore the file and put the change in a new migration"
            )


async def migrate(conn_or_pool, *, directory: Path | None = None) -> list[str]:
    """Apply the migrations not applied yet; returns their names (e.g. '0001_events')."""
    migrations = _discover(directory or MIGRATIONS)
    async with _connection(conn_or_pool) as conn:
        # Session-level, because each file commits on its own; a second process starting at
        # the same time waits here and then finds nothing left to do.
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK)
        try:
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version    integer     PRIMARY KEY,
                       name       text        NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now(),
                       checksum   text        NOT NULL
                   )"""
            )
            applied = await _applied(conn)
            _refuse_edits(migrations, applied)
            done = []
            for m in migrations:
                if m.version in applied:
                    continue
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        m.version,
                        m.name,
                        m.checksum,
                    )
                done.append(m.name)
            return done
        finally:
            if not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)


async def pending(conn_or_pool, *, directory: Path | None = None) -> list[str]:
    """Names of the migrations not applied yet (empty when the database is ready)."""
    migrations = _discover(directory or MIGRATIONS)
    async with _connection(conn_or_pool) as conn:
        applied = await _applied(conn)
    return [m.name for m in migrations if m.version not in applied]
