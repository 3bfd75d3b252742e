"""The staff API: build the app, wire its resources, keep the read models fed."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg
import structlog
from fastapi import Depends, FastAPI, Request, Response

from dualpath import logs, temporal_client, web
from dualpath.api import errors, limits, metrics
from dualpath.api.deps import Resources, _current_staff
from dualpath.api.routes import (
    acute_admissions,
    admissions,
    audit,
    campaigns,
    codec,
    competences,
    consents,
    coordinated_courses,
    cvd_referrals,
    health,
    medication,
    meetings,
    pathways,
    referrals,
    relatives,
    reports,
    screenings,
    staff,
    tasks,
    transition_start,
    transitions,
)
from dualpath.eventstore import EventStore, ProjectionRunner, migrate
from dualpath.infra.postgres import database_url
from dualpath.readmodels.registry import all_projections
from dualpath.settings import Settings, get_settings

log = structlog.get_logger("dualpath.api")


# The OpenAPI document's title; its version is the installed package's (pyproject.toml).
TITLE = "dualpath staff API"
DESCRIPTION = "Integrated dual-diagnosis treatment pathways (integreret dobbeltdiagnosebehandling)."
VERSION = importlib.metadata.version("dualpath")


# Every router but health and metrics answers only a valid bearer token.
STAFF_ROUTERS = (
    referrals.router,
    pathways.router,
    meetings.router,
    tasks.router,
    consents.router,
    medication.router,
    admissions.router,
    acute_admissions.router,
    reports.router,
    codec.router,
    transition_start.router,
    transitions.router,
    campaigns.router,
    cvd_referrals.router,
    coordinated_courses.router,
    screenings.router,
    staff.router,
    competences.router,
    relatives.router,
    audit.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # No CDN scripts on the pages' origin: /docs only in development, from vendored files (web.docs).
    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=VERSION,
        lifespan=_lifespan(settings),
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    # Text and dates are judged by the request models themselves (domain/validation.py), whatever
    # the spelling of the content type, and so are the pages' forms and the campaign lists.
    app.middleware("http")(_request_context)
    # Health is open on purpose (load balancers and compose ask without a token).
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in STAFF_ROUTERS:
        app.include_router(router, dependencies=[Depends(_current_staff)])
    # Body size and authentication before a body is read; Cache-Control: no-store (inside the codec's CORS,
    # so that a refusal reaches the Temporal UI too).
    limits.install(app, settings)
    app.add_middleware(codec.CodecCors, ui_port=settings.temporal_ui_port)  # the Temporal UI's browser calls /codec/*
    web.mount(app)  # the staff pages (HTML, cookie sign-in) and their static files
    if settings.environment == "development":
        web.docs(app)  # the OpenAPI explorer at /docs, from swagger-ui vendored from npm
    return app


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dsn = await database_url(settings)
        # Bounded, so a database that is away answers 503 (api/errors.py) instead of hanging a request.
        # Migrations on a connection of their own: a long step must not meet the pool's statement limit.
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10, timeout=5, command_timeout=30)
        runner = ProjectionRunner(pool, dsn, all_projections())
        feeding = asyncio.create_task(_keep_feeding(runner), name="projections")
        app.state.resources = Resources(
            settings=settings,
            pool=pool,
            store=EventStore(pool),
            temporal=await temporal_client.connect(settings),
            runner=runner,
        )
        log.info("api ready", temporal=settings.temporal_address, namespace=settings.temporal_namespace)
        try:
            yield
        finally:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding
            await pool.close()

    return lifespan


async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """A request id for the logs and the answer, the request counted in the metrics, one log line per request."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:
        # The error handler answers 500 outside this middleware; count it here.
        metrics.observe(request, 500, time.perf_counter() - started)
        raise
    finally:
        structlog.contextvars.clear_contextvars()
    response.headers["x-request-id"] = request_id
    metrics.observe(request, response.status_code, time.perf_counter() - started)
    # The route's template, as the metrics have it: a concrete path would put ids in the log.
    log.info(
        "request",
        method=request.method,
        route=metrics.route_of(request),
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=request_id,
    )
    return response


async def _keep_feeding(runner: ProjectionRunner) -> None:
    """Run the projections; if they stop (a lost connection, a bad event), log
    it and start again, so read models never silently freeze."""
    while True:
        try:
            await runner.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("projections stopped; restarting in 1 s")
        await asyncio.sleep(1)


def app() -> FastAPI:
    """uvicorn factory: `uvicorn --factory dualpath.api.main:app`."""
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    return create_app(settings)
