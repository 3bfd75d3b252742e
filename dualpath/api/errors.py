"""One error shape for every 4xx: what was wrong, and what is allowed.

Never a stack trace to the client. When a part the API depends on is away
(PostgreSQL, Temporal), the answer is 503 in the same shape, naming the part,
with Retry-After: the client may try again; it is not our bug (500) and must
not be a hang.
"""

from __future__ import annotations

import traceback
from contextvars import ContextVar
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

RETRY_AFTER_SECONDS = 5

# Set by api/commands.py once this request's command has been applied by its
# workflow: if PostgreSQL then fails (reading the result back), the answer must
# not claim that nothing was applied.
command_applied: ContextVar[bool] = ContextVar("command_applied", default=False)


class ErrorBody(BaseModel):
    error: str
    message: str
    allowed: list[Any] | None = None
    open_tasks: list[Any] | None = None
    fields: list[dict[str, Any]] | None = None


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        allowed: list[Any] | None = None,
        open_tasks: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.status, self.headers = status, headers
        self.body = ErrorBody(error=error, message=message, allowed=allowed, open_tasks=open_tasks)


def not_found(what: str) -> ApiError:
    # Also what callers get for something that exists but is not theirs, so
    # that existence does not leak.
    return ApiError(404, "not_found", f"no {what} with that id")


def invalid_token(exc: Exception) -> ApiError:
    """401 for a bearer token that `auth.verify` refused, saying why."""
    return ApiError(
        401,
        "invalid_token",
        f"the bearer token was refused: {exc}",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def unavailable(message: str) -> ApiError:
    return ApiError(503, "unavailable", message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# The database is away: refused or dropped connections, a server shutting down
# or starting up, the pool closed under us. (asyncpg's `timeout`/`command_timeout`
# and refused sockets surface as OSError/TimeoutError: see `_from_asyncpg`.)
_PG_DOWN = (
    asyncpg.PostgresConnectionError,  # 08xxx, ConnectionDoesNotExistError among them
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # "terminating connection due to administrator command"
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def _from_asyncpg(exc: BaseException) -> bool:
    """Whether the error was raised by asyncpg (so an OSError/TimeoutError is the database's, not another's)."""
    return any("asyncpg" in frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__))


def _database_unreachable(exc: BaseException) -> bool:
    """PostgreSQL is away, by the error or by the error it interrupted: a pool releasing a connection
    that broke mid-query can fail on the reset ("cannot switch to state …", an InternalClientError)
    and hide the lost connection behind it."""
    return any(_database_gone(e) for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _database_gone(exc: BaseException) -> bool:
    if isinstance(exc, _PG_DOWN):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return "closed" in str(exc) or "closing" in str(exc)  # "connection is closed", "pool is closing"
    return isinstance(exc, OSError) and _from_asyncpg(exc)


def _temporal_unreachable(exc: BaseException) -> bool:
    # UNAVAILABLE is what the client reports for a refused or lost connection
    # ("tcp connect error"), after its own retries (about ten seconds).
    return isinstance(exc, RPCError) and exc.status == RPCStatusCode.UNAVAILABLE


def _unavailable_message(request: Request, part: str) -> str:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return f"{part} is not reachable right now; try again in a moment"
    if command_applied.get():
        return (
            f"your command was applied, but {part} is not reachable right now to show the result; read it "
            "again in a moment (repeating it with the same Idempotency-Key returns it without applying it twice)"
        )
    return (
        f"{part} is not reachable right now, so your request was not completed; try again in a moment — "
        "with the same Idempotency-Key a repeat is applied at most once; without one, check first whether "
        "it took effect"
    )


def _route(request: Request) -> str:
    # The route's template, never the concrete path: paths carry ids.
    return getattr(request.scope.get("route"), "path", "unmatched")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(exclude_none=True), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "reason": e["msg"]} for e in exc.errors()
        ]
        summary = "; ".join(f"{f['field'] or 'body'}: {f['reason']}" for f in fields)
        body = ErrorBody(error="invalid_input", message=summary, fields=fields)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = ErrorBody(error="http_error", message=str(exc.detail))
        return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status_code, headers=exc.headers)

    async def _maybe_unavailable(request: Request, exc: Exception) -> JSONResponse:
        """503 when PostgreSQL or Temporal is away; anything else of these types is ours: 500."""
        if _database_unreachable(exc):
            part = "the database"
        elif _temporal_unreachable(exc):
            part = "the workflow engine (Temporal)"
        else:
            return await _unexpected(request, exc)
        structlog.get_logger("dualpath.api").warning(
            "dependency unreachable", route=_route(request), part=part, error=f"{type(exc).__name__}: {exc}"
        )
        return await _api_error(request, unavailable(_unavailable_message(request, part)))

    # Registered by type, so these are answered here rather than re-raised by
    # the server-error middleware (which is what the catch-all below is).
    for kind in (*_PG_DOWN, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, RPCError):
        app.add_exception_handler(kind, _maybe_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        structlog.get_logger("dualpath.api").exception("unhandled error", route=_route(request))
        body = ErrorBody(error="internal_error", message="something went wrong on our side; it has been logged")
        return JSONResponse(body.model_dump(), status_code=500)
