"""The API restarted (SIGKILL, then SIGTERM) during a burst of staff actions with
Idempotency-Keys, each repeated by its client until answered: every action is
applied exactly once, none is lost."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter

import pytest

from .checks import accepted_updates, api_update_id, duplicates, event_counts, events, workflow_of
from .client import Seen, Staff, accepted_pathway, all_of
from .stack import REGION

PATHWAYS = 10  # × 5 actions: the dialogue consent (closing its task), 3 tasks completed, the inform consent
CONSENT = {"counterpart": "751", "state": "given", "form": "written"}

pytestmark = pytest.mark.timeout(240)


async def test_api_restarted_during_a_burst_applies_each_action_once(stack, temporal, say, background):
    run = uuid.uuid4().hex[:8]
    subject = f"c-{run}"
    seen = Seen()
    async with (
        Staff(stack.base, "clinician", subject, seen) as c,
        Staff(stack.base, "visitation", f"v-{run}", seen) as v,
    ):
        ids = list(await all_of(*(accepted_pathway(c, v, f"{run}/{i}") for i in range(PATHWAYS))))
        actions: list[tuple[str, dict, str]] = []  # path, body, key
        updates: list[tuple[str, str]] = []  # each action's workflow and the update id the API gives it
        for p in ids:
            tasks = (await c.get(f"/pathways/{p}")).json()["tasks"]
            for t in tasks:
                if t["kind"] != "consent_dialogue":
                    actions.append(
                        (f"/pathways/{p}/tasks/{t['task_id']}/complete", {"outcome": "done"}, f"{run}/{t['task_id']}")
                    )
                    updates.append((workflow_of(f"pathway-{p}"), "complete_task"))
            for scope in ("dialogue", "inform_municipal_treatment"):
                actions.append((f"/pathways/{p}/consents", {"scope": scope, **CONSENT}, f"{run}/{p}/{scope}"))
                updates.append((workflow_of(f"pathway-{p}"), "record_consent"))
        updates = [
            (w, api_update_id(REGION, subject, key, w, name)) for (w, name), (_, _, key) in zip(updates, actions)
        ]
        seen.attempts.clear()

        in_flight: dict[int, float] = {}  # action → when it was sent
        burst_started = time.monotonic()

        async def act(i: int, path: str, body: dict, key: str):
            # A pathway's five actions at once (they queue on its workflow), a pathway every 0.8 s.
            await asyncio.sleep((i // 5) * 0.8)
            in_flight[i] = time.monotonic()
            try:
                return await c.post(path, body, key=key)
            finally:
                del in_flight[i]

        async def under_way(n: int) -> None:
            """Until `n` actions were sent at least 80 ms ago (past the API's reads, most with Temporal), ≤ 10 s."""
            until = time.monotonic() + 10
            # Best effort, not a check: after 10 s the test goes on with what is under way.
            while sum(time.monotonic() - t > 0.08 for t in in_flight.values()) < n and time.monotonic() < until:  # noqa: ASYNC110
                await asyncio.sleep(0.005)

        cut_after_accept: list[int] = []  # actions Temporal had when the API died without answering
        restarts: list[str] = []

        async def restart(sig: int) -> list[int]:
            await under_way(2)
            victims, pid, t = set(in_flight), stack.api.pid, time.monotonic()
            await asyncio.to_thread(stack.stop_api, sig)
            # Dead API, so no retry has reached Temporal yet: what it has, the dead API sent.
            accepted = set()
            for w in {updates[i][0] for i in victims}:
                accepted |= await asyncio.wait_for(accepted_updates(temporal, w), timeout=10)
            # …and whose request the kill cut off (the client saw the connection drop, no answer).
            dropped = {
                a["key"]
                for a in seen.attempts
                if a["status"] in ("RemoteProtocolError", "ReadError")
                and a["started"] < t <= a["started"] + a["seconds"]
            }
            had = [i for i in victims if updates[i][1] in accepted and actions[i][2] in dropped]
            stack.start_api()
            await asyncio.to_thread(stack.wait_api)
            restarts.append(
                f"{signal.Signals(sig).name} to pid {pid} with {len(victims)} actions in flight "
                f"({len(had)} already accepted by their workflow), serving again in "
                f"{time.monotonic() - t:.1f} s"
            )
            return had

        async def restarter() -> None:
            await asyncio.sleep(1.0)
            for _ in range(3):  # SIGKILL until it cuts off a command Temporal already has (the double-apply risk)
                cut_after_accept.extend(await restart(signal.SIGKILL))
                if cut_after_accept:
                    break
                await asyncio.sleep(0.3)
            await asyncio.sleep(0.3)
            await restart(signal.SIGTERM)

        restarting = asyncio.create_task(restarter())
        background.append(restarting)
        try:
            answers = await all_of(*(act(i, *a) for i, a in enumerate(actions)))
        finally:
            await restarting
        took = time.monotonic() - burst_started
        views = [(await c.get(f"/pathways/{p}")).json() for p in ids]

    streams = [f"pathway-{p}" for p in ids]
    counts = await event_counts(stack.dsn, streams)
    doubled = await duplicates(stack.dsn, streams)
    completed = Counter(e["task_id"] for e in await events(stack.dsn, streams, "TaskCompleted"))
    consents = Counter((e["pathway_id"], e["scope"]) for e in await events(stack.dsn, streams, "ConsentRecorded"))
    statuses = Counter(a["status"] for a in seen.attempts)

    say(
        f"\n[API restart] injected: {'; '.join(restarts)}; during a burst of {len(actions)} staff actions "
        f"({PATHWAYS} pathways × 5) with Idempotency-Keys"
    )
    say(
        f"[API restart] counted: {len(cut_after_accept)} actions cut off after their workflow had accepted them "
        f"(answered on a repeat with the first outcome)"
    )
    say(
        f"[API restart] counted: {len(answers)} actions answered in {took:.1f} s, "
        f"{Counter(a.status_code for a in answers)}; HTTP attempts {dict(statuses)}; {seen.repeated} actions "
        f"repeated with their key; {len(completed)} tasks completed ({max(completed.values(), default=0)} at most per "
        f"task), {len(consents)} consents recorded ({max(consents.values(), default=0)} at most per scope); "
        f"duplicates {len(doubled)}"
    )

    assert any(r.startswith("SIGKILL") for r in restarts) and restarts[-1].startswith("SIGTERM")
    assert not seen.server_errors, seen.server_errors
    assert [a.status_code for a in answers] == [200] * len(actions), [a.text for a in answers if a.status_code != 200]
    assert doubled == []
    # Each pathway's four phase-1 tasks closed once (three completed, the dialogue one by the consent),
    # each consent once; nothing else moved.
    assert len(completed) == 4 * PATHWAYS and set(completed.values()) == {1}
    assert len(consents) == 2 * PATHWAYS and set(consents.values()) == {1}
    for s in streams:
        assert counts[s]["TaskCompleted"] == 4 and counts[s]["ConsentRecorded"] == 2, (s, counts[s])
    for view in views:
        assert view["phase"] == 1 and all(t["state"] == "done" for t in view["tasks"]), view["tasks"]
    assert cut_after_accept, "no restart cut off a command Temporal already had: the test proved nothing"
