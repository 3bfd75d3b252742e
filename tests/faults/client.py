"""A staff client that does what a careful client does under faults: on a 5xx,
a timeout or a broken connection it repeats the request with the same
Idempotency-Key until it gets a definitive answer, within a deadline. It
counts everything it saw, so that a test can print and assert on it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.api.helpers import referral

from .stack import token

# Longer than the API's own bound on a command (api/commands.py, 30 s): a
# request still open after this is a hang.
REQUEST_TIMEOUT = 45.0


@dataclass
class Seen:
    """What the clients saw, over all attempts."""

    statuses: Counter = field(default_factory=Counter)  # "201", "503", "ReadError", "timeout", ...
    repeated: int = 0  # requests that needed more than one attempt
    slowest: float = 0.0
    server_errors: list[str] = field(default_factory=list)  # 500 bodies: never expected
    # 404 about something this client was just told exists (a referral answered 201, a
    # pathway named by an accepted decision, an admission): the API answered before its
    # read models had it, i.e. before the worker had recorded it. Repeated, it appears.
    not_yet_visible: list[str] = field(default_factory=list)
    # Every attempt: method, path, started (monotonic), seconds, status ("503", "ReadError"...), body's error.
    attempts: list[dict] = field(default_factory=list)

    def line(self) -> str:
        return ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))


async def all_of(*aws):
    """Like asyncio.gather, but the first failure cancels the rest (no request left running into the next
    test) and is raised as itself, for a readable report."""

    async def wait(a):
        return await a

    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(wait(a)) for a in aws]
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return [t.result() for t in tasks]


def definitive(r: httpx.Response) -> bool:
    return r.status_code < 500 and r.status_code not in (408, 429)


class Staff:
    def __init__(self, base: str, role: str, subject: str, seen: Seen):
        self.seen = seen
        self.http = httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT, headers={"Authorization": f"Bearer {token(role, subject)}"}
        )

    async def __aenter__(self) -> Staff:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def once(
        self, method: str, path: str, *, json=None, key: str | None = None, timeout: float = REQUEST_TIMEOUT
    ) -> httpx.Response | str:
        """One attempt: the response, or the name of the transport error ("timeout" past `timeout`)."""
        headers = {"Idempotency-Key": key} if key else {}
        started = time.monotonic()
        try:
            r = await self.http.request(method, path, json=json, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            outcome: httpx.Response | str = "timeout"
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
        else:
            outcome = r
        took = time.monotonic() - started
        self.seen.slowest = max(self.seen.slowest, took)
        status = outcome if isinstance(outcome, str) else str(outcome.status_code)
        self.seen.statuses[status] += 1
        self.seen.attempts.append(
            {"method": method, "path": path, "key": key, "started": started, "seconds": took, "status": status}
        )
        if isinstance(outcome, str):
            return outcome
        if outcome.status_code == 500:
            self.seen.server_errors.append(f"{method} {path}: {outcome.text}")
        elif outcome.status_code == 503:
            self.seen.attempts[-1].update(retry_after=outcome.headers.get("retry-after"), **outcome.json())
        return outcome

    async def send(
        self, method: str, path: str, *, json=None, key: str | None = None, deadline: float = 180.0, exists: bool = True
    ) -> httpx.Response:
        """Repeat until a definitive answer (anything but 5xx/408/429/no answer), at most `deadline` seconds.

        `exists`: the client knows the resource exists (it was answered so), so a 404 is
        the read models lagging behind, not an answer: repeat (same key), and count it.
        """
        give_up = time.monotonic() + deadline
        attempts, last = 0, None
        while True:
            attempts += 1
            last = await self.once(method, path, json=json, key=key)
            if exists and isinstance(last, httpx.Response) and last.status_code == 404:
                self.seen.not_yet_visible.append(f"{method} {path}: {last.json().get('message')}")
            elif isinstance(last, httpx.Response) and definitive(last):
                if attempts > 1:
                    self.seen.repeated += 1
                last.attempts = attempts  # type: ignore[attr-defined]
                return last
            if time.monotonic() > give_up:
                what = last if isinstance(last, str) else f"{last.status_code} {last.text}"
                raise AssertionError(
                    f"{method} {path} (key {key}) had no definitive answer in {deadline:.0f} s "
                    f"after {attempts} attempts; last: {what}"
                )
            await asyncio.sleep(min(0.25 * attempts, 2.0))

    async def get(self, path: str, **kw) -> httpx.Response:
        return await self.send("GET", path, **kw)

    async def post(self, path: str, body: dict, key: str, **kw) -> httpx.Response:
        return await self.send("POST", path, json=body, key=key, **kw)


async def accepted_pathway(clinician: Staff, visitation: Staff, key: str, **overrides) -> str:
    """Referral and psychiatry's acceptance (as tests/api/helpers.accepted_pathway), each repeated until answered."""
    r = await clinician.post("/referrals", referral(**overrides), key=f"{key}/referral")
    assert r.status_code == 201, r.text
    referral_id = r.json()["referral_id"]
    d = await visitation.post(f"/referrals/{referral_id}/decision", {"accept": True}, key=f"{key}/decision")
    if d.status_code == 409 and d.attempts > 1:
        # A repeated decision whose first attempt went through answers 409 ("the referral is
        # accepted": the route checks the read model before Temporal can return the first
        # outcome). It was applied once; the pathway is on the referral.
        row = (await visitation.get(f"/referrals/{referral_id}")).json()
        assert row["status"] == "accepted" and row["pathway_id"], row
        return row["pathway_id"]
    assert d.status_code == 200, d.text
    return d.json()["pathway_id"]
