"""The API's answers when a part is away, in process and fast: which errors are
503 (and what they say), which stay 500, and the bounded wait on a command."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.service import RPCError, RPCStatusCode

from dualpath.api import commands, errors, idempotency
from dualpath.infra.ports import free_port


async def _refused() -> None:
    """A real refusal, raised from inside asyncpg (as the pool's would be)."""
    await asyncpg.connect(f"postgresql://nobody@127.0.0.1:{free_port()}/none", timeout=5)


class _Stuck:
    """A workflow handle whose update is never accepted, or accepted and never completed."""

    id = "pathway-x"

    def __init__(self, accepted: bool):
        self.accepted = accepted

    async def start_update(self, *args, **kwargs):
        if not self.accepted:
            await asyncio.sleep(3600)

        class _Pending:
            async def result(self):
                await asyncio.sleep(3600)

        return _Pending()


def _update(accepted: bool, key: str | None):
    async def route():
        # A key already bound to this request (api/idempotency.py): the command goes straight to Temporal.
        idempotency.current.set(
            idempotency.Binding(caller="region:1082|someone", key=key, route="POST /x", fingerprint="-", claimed=True)
            if key
            else None
        )
        await commands.update(SimpleNamespace(pool=None), _Stuck(accepted), commands.update, object())

    return route


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.middleware("http")
    async def passthrough(request, call_next):  # like api/main.py's request_context (runs the route in a task)
        return await call_next(request)

    async def applied_then_refused():
        errors.command_applied.set(True)
        await _refused()

    def raise_(exc):
        async def route():
            raise exc

        return route

    async def release_after_lost_connection():
        # asyncpg's pool, releasing a connection that broke mid-query, fails on its reset and hides the
        # lost connection behind that (seen in the fault suite at the start of a PostgreSQL outage).
        try:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        except asyncpg.ConnectionDoesNotExistError:
            raise asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress")  # noqa: B904 (as asyncpg raises it)

    routes = {
        "/pg-refused": _refused,
        "/pg-applied-then-refused": applied_then_refused,
        "/pg-shutdown": raise_(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        "/pg-closing": raise_(asyncpg.InterfaceError("pool is closing")),
        "/pg-misuse": raise_(asyncpg.InterfaceError("another operation is in progress")),
        "/pg-lost-under-release": release_after_lost_connection,
        "/pg-client-state": raise_(asyncpg.InternalClientError("cannot switch to state 15")),
        "/oserror-not-database": raise_(OSError("no space left on device")),
        "/temporal-unreachable": raise_(RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b"")),
        "/temporal-other": raise_(RPCError("bad request", RPCStatusCode.INVALID_ARGUMENT, b"")),
        "/update-not-accepted": _update(accepted=False, key="k1"),
        "/update-not-recorded": _update(accepted=True, key="k2"),
        "/update-not-recorded-no-key": _update(accepted=True, key=None),
    }
    for path, fn in routes.items():
        app.add_api_route(path, fn, methods=["GET", "POST"])
    return app


@pytest.fixture
async def api(monkeypatch):
    monkeypatch.setattr(commands, "UPDATE_WAIT_SECONDS", 0.3)
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def test_the_database_away_is_503_naming_it_with_retry_after(api):
    for method in ("GET", "POST"):
        r = await api.request(method, "/pg-refused")
        assert r.status_code == 503 and r.headers["retry-after"] == str(errors.RETRY_AFTER_SECONDS)
        assert r.json()["error"] == "unavailable" and r.json()["message"].startswith("the database is not reachable")
    assert "try again in a moment" in (await api.get("/pg-refused")).json()["message"]
    assert "was not completed" in (await api.post("/pg-refused")).json()["message"]
    for path in ("/pg-shutdown", "/pg-closing", "/pg-lost-under-release"):
        assert (await api.get(path)).status_code == 503, path


async def test_a_command_applied_before_the_database_went_is_not_called_unapplied(api):
    message = (await api.post("/pg-applied-then-refused")).json()["message"]
    assert message.startswith("your command was applied") and "not completed" not in message


async def test_temporal_away_is_503_naming_it(api):
    r = await api.post("/temporal-unreachable")
    assert r.status_code == 503 and "Temporal" in r.json()["message"] and r.headers["retry-after"]


async def test_other_errors_of_those_types_stay_500(api):
    for path in ("/pg-misuse", "/pg-client-state", "/oserror-not-database", "/temporal-other"):
        r = await api.get(path)
        assert r.status_code == 500 and r.json()["error"] == "internal_error", path


async def test_a_command_waits_bounded_and_says_where_it_stands(api):
    r = await api.post("/update-not-accepted")
    assert r.status_code == 503 and "has not taken it up yet" in r.json()["message"]
    assert "may still be applied" in r.json()["message"] and "same Idempotency-Key" in r.json()["message"]
    r = await api.post("/update-not-recorded")
    assert r.status_code == 503 and "accepted" in r.json()["message"]
    assert "will be applied" in r.json()["message"] and "same Idempotency-Key" in r.json()["message"]
    r = await api.post("/update-not-recorded-no-key")
    assert "check before repeating" in r.json()["message"]
