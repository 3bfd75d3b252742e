"""Refuse text PostgreSQL cannot store, at the door.

JSON allows the NUL character (\\u0000) and lone UTF-16 surrogates in strings;
PostgreSQL's jsonb and text do not. Let through, such text would reach an
event append that can never succeed: the workflow would retry it forever and
the command would never be answered. So the API answers 422 first.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from dualpath.api.errors import ErrorBody


def _bad_text(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return path or "body"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _bad_text(k, path) or _bad_text(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _bad_text(v, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


async def refuse_unstorable_text(request: Request, call_next):
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get("content-type", ""):
        body = await request.body()
        try:
            field = _bad_text(json.loads(body)) if body else None
        except (ValueError, RecursionError):
            field = None  # not JSON: the route's own validation answers 422
        if field is not None:
            reason = "text must not contain the NUL character (\\u0000) or unpaired surrogates"
            return JSONResponse(
                ErrorBody(error="invalid_input", message=f"{field}: {reason}",
                          fields=[{"field": field, "reason": reason}]).model_dump(exclude_none=True),
                status_code=422,
            )
    return await call_next(request)
