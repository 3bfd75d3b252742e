"""A test double of the FMK notice receiver, speaking HTTP on a free loopback port.

It records notices by Idempotency-Key (the first body wins; a repeat is a
duplicate, answered 200), and can be told to
- `fail_next`: answer 503 to the next N requests, before recording;
- `fail_after_recording`: record, then answer 503 to the next N (a lost answer);
- `reject`: answer 400 with a message for a given key;
- `hold_seconds`: hold every request that long before recording.
Every request is kept in `attempts`, as it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dualpath.infra.ports import free_port
from tests.poll import until_serving

PATH = "/fmk-notices"


@dataclass
class Attempt:
    key: str | None
    body: object
    content_type: str | None


@dataclass
class Receiver:
    url: str = ""  # set once served
    notices: dict[str, dict] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    duplicates: int = 0
    fail_next: int = 0
    fail_after_recording: int = 0
    reject: dict[str, str] = field(default_factory=dict)
    hold_seconds: float = 0.0

    def attempts_for(self, key: str) -> list[Attempt]:
        return [a for a in self.attempts if a.key == key]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(PATH)
        async def receive(request: Request) -> JSONResponse:
            key = request.headers.get("Idempotency-Key")
            try:
                body = await request.json()
            except ValueError:
                body = None
            self.attempts.append(Attempt(key, body, request.headers.get("Content-Type")))
            if not key:
                return JSONResponse({"detail": "the Idempotency-Key header is missing"}, 400)
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"detail": "receiver busy"}, 503)
            if key in self.reject:
                return JSONResponse({"detail": self.reject[key]}, 400)
            if not isinstance(body, dict) or body.get("idempotency_key") != key:
                return JSONResponse({"detail": "the body's idempotency_key differs from the header"}, 422)
            if self.hold_seconds:
                await asyncio.sleep(self.hold_seconds)
            created = key not in self.notices
            if created:
                self.notices[key] = body
            else:
                self.duplicates += 1
            if self.fail_after_recording > 0:
                self.fail_after_recording -= 1
                return JSONResponse({"detail": "answer lost"}, 503)
            return JSONResponse({"recorded": created}, 201 if created else 200)

        return app


@contextlib.asynccontextmanager
async def serve(receiver: Receiver) -> AsyncIterator[str]:
    """Serve the receiver in this process; yields the URL to POST notices to."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await until_serving(server, task, "the FMK receiver")
    try:
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
