"""Servers for the event-store contract tests: every test here runs against each of them.

(a) the embedded server under .data/test (gitignored), (b) the external one at
127.0.0.1:5432 when it answers within 2 s. On each, the session gets a database of its
own, created here and dropped at the end, so nothing else on the server is touched.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from dualpath.eventstore import EventStore, migrate
from dualpath.infra.postgres import start_embedded
from tests.eventstore.support import LogProjection

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_DATA = ROOT / ".data" / "test"
EXTERNAL_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _on_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class Scratch:
    """Creates and drops uniquely named databases on one server."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url

    async def create(self) -> tuple[str, str]:
        name = f"es_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return name, _on_database(self.admin_url, name)

    async def drop(self, name: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(
    scope="session", params=[pytest.param("embedded"), pytest.param("external", marks=pytest.mark.external_pg)]
)
async def es_server(request) -> Scratch:
    if request.param == "embedded":
        return Scratch(start_embedded(EMBEDDED_DATA))
    try:
        conn = await asyncpg.connect(EXTERNAL_URL, timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no external PostgreSQL answered at {EXTERNAL_URL} within 2 s ({exc.__class__.__name__})")
    await conn.close()
    return Scratch(EXTERNAL_URL)


@pytest.fixture(scope="session")
async def es_dsn(es_server: Scratch):
    """A migrated database for this session."""
    name, url = await es_server.create()
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield url
    await es_server.drop(name)


@pytest.fixture(scope="session")
async def es_pool(es_dsn):
    pool = await asyncpg.create_pool(es_dsn, min_size=2, max_size=24)
    yield pool
    await pool.close()


@pytest.fixture
def es_store(es_pool) -> EventStore:
    return EventStore(es_pool)


@pytest.fixture
async def fresh_dsn(es_server: Scratch):
    """An empty database of this test's own (for migrations)."""
    name, url = await es_server.create()
    yield url
    await es_server.drop(name)


@pytest.fixture
def log_projection(es_pool):
    """Makes LogProjections, each with a fresh table and checkpoint name."""

    async def make(**kwargs) -> LogProjection:
        projection = LogProjection(f"es_log_{uuid.uuid4().hex[:10]}", **kwargs)
        await projection.create_table(es_pool)
        return projection

    return make
