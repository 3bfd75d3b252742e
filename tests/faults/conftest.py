"""One stack of separate processes for the fault tests (see stack.py).

Each test injects its fault and undoes it; before each test whatever is not
running is started again, so one test's failure does not fail the next.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from dualpath import temporal_client

from .stack import Stack, settings


@pytest.fixture(scope="package")
def stack():
    s = Stack()
    try:
        s.start()
        yield s
    finally:
        s.close()  # never leave a server running, whatever happened


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.faults_failed = report.failed
    return report


@pytest.fixture(autouse=True)
async def healthy(request):
    if "stack" not in request.fixturenames:  # the in-process tests of the answers need none
        yield
        return
    stack = request.getfixturevalue("stack")
    await stack.ensure_up()
    yield
    if getattr(request.node, "faults_failed", False):
        print(f"\n=== the stack's last output ({stack.root}) ===\n{stack.logs()}")


@pytest.fixture
async def background():
    """Tasks a test starts on the side: cancelled at its end, so none runs on into the next test."""
    tasks: list[asyncio.Task] = []
    yield tasks
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def say(capsys):
    """Print past pytest's capture: what each fault test injected and counted shows in `make test`."""

    def _say(line: str) -> None:
        with capsys.disabled():
            print(line, flush=True)

    return _say


@pytest.fixture
async def temporal(stack) -> Client:
    return await temporal_client.connect(settings(temporal_address=stack.temporal_address))
