"""Wait until something is so: the one poll loop of the tests.

Visibility, projections, polled activities and servers starting in the background all lag. A
test asks again until the answer is good, under a ceiling generous enough that a busy 2-core
machine never reaches it: the ceiling catches a hang, it does not time the code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import uvicorn

T = TypeVar("T")

CEILING = 60.0  # seconds


def _truthy(value: object) -> bool:
    return bool(value)


def _describe(value: object) -> str:
    status, text = getattr(value, "status_code", None), getattr(value, "text", None)
    if isinstance(status, int) and isinstance(text, str):  # an HTTP answer
        return f"{status} {text[:300]}"
    return repr(value)[:600]


async def eventually(
    probe: Callable[[], Awaitable[T]],
    ok: Callable[[T], object] = _truthy,
    *,
    what: str = "the condition",
    timeout: float = CEILING,
    every: float = 0.05,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Ask `probe()` until `ok(answer)` (by default: until the answer is truthy); return that answer.

    Exceptions of the types in `ignoring` count as "not yet" (a server being away is what some
    tests wait out). After `timeout` seconds, fail saying what was awaited and the last answer.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = "no answer yet"
    while True:
        try:
            answer = await probe()
        except ignoring as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if ok(answer):
                return answer
            last = _describe(answer)
        if loop.time() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; last answer: {last}")
        await asyncio.sleep(every)


async def until_serving(server: uvicorn.Server, task: asyncio.Task[Any], what: str = "the server") -> None:
    """Wait for a uvicorn server started as `task` in this process; its own error if it fails to start."""

    async def started() -> bool:
        if task.done():
            task.result()  # raises why it stopped
            raise AssertionError(f"{what} stopped before it started")
        return bool(server.started)

    await eventually(started, what=f"{what} to start")
