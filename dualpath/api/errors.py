"""One error shape for every 4xx: what was wrong, and what is allowed.

Never a stack trace to the client.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

import structlog


class ErrorBody(BaseModel):
    error: str
    message: str
    allowed: list[Any] | None = None
    open_tasks: list[Any] | None = None
    fields: list[dict[str, Any]] | None = None


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, *, allowed: list[Any] | None = None,
                 open_tasks: list[Any] | None = None, headers: dict[str, str] | None = None):
        self.status, self.headers = status, headers
        self.body = ErrorBody(error=error, message=message, allowed=allowed, open_tasks=open_tasks)


def not_found(what: str) -> ApiError:
    # Also what callers get for something that exists but is not theirs, so
    # that existence does not leak.
    return ApiError(404, "not_found", f"no {what} with that id")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(exclude_none=True), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "reason": e["msg"]}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{f['field'] or 'body'}: {f['reason']}" for f in fields)
        body = ErrorBody(error="invalid_input", message=summary, fields=fields)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = ErrorBody(error="http_error", message=str(exc.detail))
        return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        structlog.get_logger("dualpath.api").exception("unhandled error", path=request.url.path)
        body = ErrorBody(error="internal_error", message="something went wrong on our side; it has been logged")
        return JSONResponse(body.model_dump(), status_code=500)
