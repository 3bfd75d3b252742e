"""Shared, session-wide servers: one PostgreSQL, one Temporal dev server, one
time-skipping server (started on first use), one worker and one staff API on
real HTTP. Tests isolate themselves by ids and, where they run their own
worker, by a task queue of their own.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from dualpath import search_attributes as sa
from dualpath import temporal_client
from dualpath.api.auth import Role, issue_dev_token
from dualpath.api.main import create_app
from dualpath.eventstore import EventStore, migrate
from dualpath.infra.binaries import temporal_cli, temporal_test_server
from dualpath.infra.ports import free_port
from dualpath.infra.postgres import ensure_database, start_embedded
from dualpath.settings import Settings
from dualpath.worker import build_worker
from tests.poll import until_serving

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / ".data" / "test"
CAN_AFTER_EVENTS = 150
# A region whose group 3 opens late, to see referrals held until phase-in.
LATE_REGION, LATE_OPENING = "1085", "2027-06-01"
# The same region has settings of its own (issue #18 item 11): meetings within 2 working days, a stay of
# 3 days is a longer one, and 1 December is closed there besides the national closed days.
REGION_SETTINGS = {
    LATE_REGION: {
        "meeting_within_working_days": 2,
        "longer_admission_days": 3,
        "extra_closed_days": ["06-05", "12-24", "12-31", "12-01"],
    }
}


@pytest.fixture(scope="session")
async def pg_url():
    """A fresh, migrated database on the embedded server for this session."""
    admin = start_embedded(TEST_DATA)
    name = f"dualpath_test_{uuid.uuid4().hex[:10]}"
    url = await ensure_database(admin, name)
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    yield url
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(scope="session")
async def pool(pg_url):
    p = await asyncpg.create_pool(pg_url, min_size=1, max_size=10)
    yield p
    await p.close()


@pytest.fixture(scope="session")
def store(pool) -> EventStore:
    return EventStore(pool)


def pytest_addoption(parser):
    parser.addoption(
        "--record-histories",
        action="store_true",
        help="at the end, save workflow histories for the replay tests (tests/replay/histories)",
    )


@pytest.fixture(scope="session")
async def temporal_env(request):
    env = await WorkflowEnvironment.start_local(
        data_converter=temporal_client.data_converter(Settings(_env_file=None)),
        dev_server_existing_path=str(temporal_cli()),
        search_attributes=sa.ALL,
        ui=False,
        # Suggest continue-as-new early, so years-long behaviour happens in
        # seconds: pathways in the tests roll over to new runs for real.
        dev_server_extra_args=["--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={CAN_AFTER_EVENTS}"],
    )
    yield env
    if request.config.getoption("--record-histories"):
        from tests.replay.record import record

        for path in await record(env.client.service_client.config.target_host):
            print(f"recorded {path.name}")
    await env.shutdown()


@pytest.fixture
async def time_env():
    """A time-skipping server of the test's own, for timer-heavy tests (it has no visibility).

    One per test, not per session (it starts in about 0.1 s): the test server keeps time-skipping
    state across workflows, and after a child workflow has signalled its parent (a stay telling its
    pathway of the discharge) a later `sleep` on a server that earlier tests used could hang until
    its RPC timed out, breaking every timer test after it (temporalio/sdk-java#1618)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=temporal_client.data_converter(Settings(_env_file=None)),
        test_server_existing_path=str(temporal_test_server()),
    )
    # This server takes no search-attribute flags: a workflow upserting an
    # unknown attribute would stall, so register ours first.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in sa.ALL},
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def settings(pg_url, temporal_env) -> Settings:
    return Settings(
        _env_file=None,
        database_url=pg_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        temporal_embedded=False,
        task_queue=f"api-tests-{uuid.uuid4().hex[:8]}",
        data_dir=TEST_DATA,
        phase_in={LATE_REGION: {3: LATE_OPENING}},
        region_settings=REGION_SETTINGS,
    )


@pytest.fixture(scope="session")
async def client(temporal_env) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
async def worker(client, settings, store, pool):
    async with build_worker(client, settings, store, pool) as w:
        yield w


@pytest.fixture(scope="session")
async def api(settings, worker):
    """The staff API served over real HTTP on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await until_serving(server, task, "the staff API")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


class Http:
    """An HTTP client that signs in as a given role."""

    def __init__(self, base: str, settings: Settings):
        self.base, self.settings = base, settings

    def as_(self, role: str, org: str, subject: str = "test-staff") -> httpx.AsyncClient:
        token = issue_dev_token(self.settings, role=Role(role), org=org, subject=subject)
        return httpx.AsyncClient(base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def anonymous(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30)


@pytest.fixture(scope="session")
def http(api, settings) -> Http:
    return Http(api, settings)
