"""At the door, before a request's body is read: its size, who sends it, and how answers may be kept.

- Size: every request body is limited (`DUALPATH_MAX_REQUEST_BYTES`, 1 MiB by
  default; the campaign list upload and the codec server take up to
  `DUALPATH_MAX_UPLOAD_BYTES`). A declared Content-Length over the limit is
  answered 413 at once, naming the limit; a chunked body is counted while it
  streams in and refused with 413 as soon as it passes the limit.
- Who: a route that needs a bearer token checks it here, before its body is
  read (FastAPI reads a route's body before its dependencies run), so an
  unauthenticated sender cannot make the API read and parse a body at all.
  The route's own authentication (api/deps.py) still runs after.
- Caching: every answer carries `Cache-Control: no-store` (patient data must not
  stay in a browser's or a proxy's cache), except the pages' static files.

A pure ASGI middleware: it sees the raw stream, and nothing is buffered here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import Match

from dualpath.api import auth

# Routes whose bodies may be larger: a whole CSV list, the Temporal UI's payloads to decode or encode.
UPLOAD_ROUTES = re.compile(r"^/(campaigns/[^/]+/lists/[^/]+|codec/(decode|encode))/?$")
NOT_KEPT = "no-store"


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than this route takes ({limit} bytes, {limit / 1_048_576:.1f} MiB at "
        "most); send less"
    )


def _body(status: int, error: str, message: str) -> bytes:
    return json.dumps({"error": error, "message": message}).encode()


async def _answer(send, status: int, error: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = _body(status, error, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", NOT_KEPT.encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route(router, scope) -> Any:
    for route in router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


def _needs_bearer(route: Any) -> bool:
    """Whether the route (or the router it was included with) authenticates with api/deps.py's bearer check."""
    from dualpath.api.deps import _current_staff

    context = getattr(route, "include_context", None)
    dependencies = [*getattr(route, "dependencies", ()), *getattr(context, "dependencies", ())]
    return any(getattr(d, "dependency", None) is _current_staff for d in dependencies)


class RequestLimits:
    def __init__(self, app, *, settings, router):
        self.app, self.settings, self.router = app, settings, router

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        route = _route(self.router, scope)
        upload = UPLOAD_ROUTES.match(scope.get("path", ""))
        limit = self.settings.max_upload_bytes if upload else self.settings.max_request_bytes
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is not None:
            if not declared.isdigit():
                return await _answer(send, 400, "bad_request", "Content-Length must be a number of bytes")
            if int(declared) > limit:
                return await _answer(send, 413, "too_large", _too_large(limit))
        if (chunked or int(declared or 0) > 0) and route is not None and _needs_bearer(route):
            refusal = self._unauthenticated(headers)
            if refusal is not None:
                return await _answer(send, 401, *refusal, headers=[(b"www-authenticate", b"Bearer")])

        received = 0
        started = refused = False
        static = scope.get("path", "").startswith("/static/")

        async def counted_receive():
            # A body that passes the limit while it streams in: answer 413 here and now, and tell
            # whatever is reading it that the client has gone (what it answers then is dropped).
            nonlocal received, started, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if message.get("more_body", False):
                        await _drain(receive, cap=LINGER_FACTOR * limit)
                    if not started:
                        started = True
                        await _answer(send, 413, "too_large", _too_large(limit))
                    return {"type": "http.disconnect"}
            return message

        async def send_not_kept(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
                if not static and not any(k.lower() == b"cache-control" for k, _ in message.get("headers", [])):
                    message = {
                        **message,
                        "headers": [*message.get("headers", []), (b"cache-control", NOT_KEPT.encode())],
                    }
            await send(message)

        try:
            await self.app(scope, counted_receive, send_not_kept)
        except Exception:
            if not refused:
                raise
            # The reader failed on the cut-off body; the 413 has been answered.

    def _unauthenticated(self, headers: Headers) -> tuple[str, str] | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "unauthenticated", "a bearer token is required (Authorization: Bearer <token>)"
        try:
            auth.verify(self.settings, token.strip())
        except auth.InvalidToken as exc:
            return "invalid_token", f"the bearer token was refused: {exc}"
        return None


# Before a 413 mid-body, what the client still sends is read and dropped — up to this many times the
# limit, for at most LINGER_SECONDS — so that closing the connection after the answer does not reset it
# before a client that reads only once it has sent everything has read the answer. Nothing is kept.
LINGER_FACTOR = 8
LINGER_SECONDS = 5.0


async def _drain(receive, cap: int) -> None:
    drained = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_SECONDS
    with contextlib.suppress(Exception):
        while drained <= cap:
            message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.01))
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


def install(app, settings) -> None:
    """Add the middleware (outermost of the app's own)."""
    app.add_middleware(RequestLimits, settings=settings, router=app.router)
