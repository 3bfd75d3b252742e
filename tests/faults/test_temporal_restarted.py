"""The Temporal dev server stopped (SIGTERM) in the middle of a run and started
again on its database file: the pathways resume where they were, their timers
and state intact, and take commands again; the worker rides it out."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from dualpath.infra import temporal_server

from .checks import duplicates, event_counts, events, history_tally, wait_until, workflow_of
from .client import Seen, Staff, accepted_pathway, all_of

PATHWAYS = 6
QUIET = 3
DOWN_SECONDS = 8
CONSENT = {"counterpart": "751", "state": "given", "form": "written"}

pytestmark = pytest.mark.timeout(240)


async def _snapshot(client: Client, workflow_id: str) -> dict:
    handle = client.get_workflow_handle(workflow_id)
    history = await handle.fetch_history()
    started, ended = set(), set()
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started.add(e.timer_started_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            ended.add(e.timer_fired_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            ended.add(e.timer_canceled_event_attributes.timer_id)
    desc = await handle.describe()
    return {
        "events": [(e.event_id, e.event_type) for e in history.events],
        "pending_timers": started - ended,
        "status": desc.status,
        "next_due": [p.value for p in desc.typed_search_attributes if p.key.name == "NextDue"],
        "view": await handle.query("view"),
    }


async def test_temporal_restarted_on_its_database_file_and_everything_resumes(stack, temporal, say, background):
    run = uuid.uuid4().hex[:8]
    seen = Seen()
    async with (
        Staff(stack.base, "clinician", f"c-{run}", seen) as c,
        Staff(stack.base, "visitation", f"v-{run}", seen) as v,
    ):
        pathway_ids = list(await all_of(*(accepted_pathway(c, v, f"{run}/{i}") for i in range(PATHWAYS))))
        # Quiet ones (admitted: a stay as a child workflow, and a notice) keep still across the
        # restart, so their histories, timers and state can be compared; the others have a
        # command in flight when the server stops.
        quiet, busy = pathway_ids[:QUIET], pathway_ids[QUIET:]
        for i, p in enumerate(quiet):
            r = await c.post(
                f"/pathways/{p}/consents", {"scope": "inform_municipal_treatment", **CONSENT}, key=f"{run}/{i}/inform"
            )
            assert r.status_code == 200, r.text
            r = await c.post(f"/pathways/{p}/admissions", {"via": "planned", "ward": "P3"}, key=f"{run}/{i}/admit")
            assert r.status_code == 201, r.text
        still = [f"pathway-{p}" for p in quiet] + [f"stay-{p}-1" for p in quiet]
        workflows = still + [f"pathway-{p}" for p in busy]

        async def informed() -> bool:
            return len(await events(stack.dsn, still, "MunicipalityInformed")) == QUIET

        await wait_until("the stays informed the municipality", informed, timeout=60)
        await asyncio.sleep(1)  # the last workflow tasks after it
        before = {w: await asyncio.wait_for(_snapshot(temporal, workflow_of(w)), timeout=30) for w in still}
        assert all(s["status"] == WorkflowExecutionStatus.RUNNING for s in before.values())
        assert all(s["pending_timers"] and s["next_due"] for s in before.values()), "each waits on a due date"

        # The consent dialogue for each busy pathway, in flight when the server stops.
        in_flight = [
            asyncio.create_task(
                c.post(f"/pathways/{p}/consents", {"scope": "dialogue", **CONSENT}, key=f"{run}/{p}/dialogue")
            )
            for p in busy
        ]
        background.extend(in_flight)
        await asyncio.sleep(0.05)
        worker_pid = stack.worker.pid
        stopped_at = time.monotonic()
        await asyncio.to_thread(stack.stop_temporal)
        stop_took = time.monotonic() - stopped_at

        # While it is away: a command is answered 503 naming Temporal; reads (PostgreSQL) still work.
        probe_started = time.monotonic()
        during = await c.once(
            "POST", f"/pathways/{quiet[0]}/consents", key=f"{run}/probe", json={"scope": "dialogue", **CONSENT}
        )
        probe_took = time.monotonic() - probe_started
        read = await c.once("GET", f"/pathways/{quiet[0]}")
        await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - stopped_at)))

        stack.start_temporal()
        await temporal_server.wait_until_serving(stack.temporal_address, stack.temporal, timeout=60)
        down = time.monotonic() - stopped_at
        after = {w: await asyncio.wait_for(_snapshot(temporal, workflow_of(w)), timeout=30) for w in still}

        answers = await all_of(*in_flight)
        assert [a.status_code for a in answers] == [200] * len(busy), [a.text for a in answers]
        # Commands after the restart: each pathway's screening task completed.
        for p in pathway_ids:
            tasks = (await c.get(f"/pathways/{p}")).json()["tasks"]
            screening = next(t["task_id"] for t in tasks if t["kind"] == "screening_diagnostics")
            r = await c.post(
                f"/pathways/{p}/tasks/{screening}/complete", {"outcome": "done"}, key=f"{run}/{p}/screening"
            )
            assert r.status_code == 200, r.text
            assert r.json()["phase"] == 1 and r.json()["status"] == "active"

    counts = await event_counts(stack.dsn, workflows)
    doubled = await duplicates(stack.dsn, workflows)
    tally = await history_tally(temporal, [workflow_of(w) for w in workflows])
    kept = [w for w in still if after[w]["events"][: len(before[w]["events"])] == before[w]["events"]]
    timers = [
        w
        for w in still
        if after[w]["pending_timers"] == before[w]["pending_timers"] and after[w]["next_due"] == before[w]["next_due"]
    ]
    state = [w for w in still if after[w]["view"] == before[w]["view"]]
    timer_count = sum(len(before[w]["pending_timers"]) for w in still)

    say(
        f"\n[Temporal restart] injected: SIGTERM to the dev server (gone in {stop_took:.1f} s) with {len(busy)} "
        f"commands in flight; started again on the same temporal.db {down:.1f} s later"
    )
    say(
        f"[Temporal restart] counted: while away a command answered {_status(during)} in {probe_took:.1f} s, "
        f"a read {_status(read)}; HTTP attempts {seen.line()}; {seen.repeated} requests repeated"
    )
    say(
        f"[Temporal restart] counted: {len(kept)}/{len(still)} quiet workflows with their history whole, "
        f"{len(timers)}/{len(still)} with the same pending timers ({timer_count} in all) and NextDue, "
        f"{len(state)}/{len(still)} with the same state (query); {len(busy)} in-flight and "
        f"{len(pathway_ids)} later commands applied; from histories {dict(tally) or 'nothing lost'}; "
        f"duplicates {len(doubled)}; worker pid {worker_pid} → {stack.worker.pid}"
    )

    assert not seen.server_errors, seen.server_errors
    assert not isinstance(during, str) and during.status_code == 503, _status(during)
    assert during.json()["error"] == "unavailable" and "Temporal" in during.json()["message"]
    assert during.headers.get("retry-after")
    assert not isinstance(read, str) and read.status_code == 200, _status(read)
    assert stack.worker.pid == worker_pid and stack.worker.poll() is None, "the worker did not ride it out"
    assert len(kept) == len(timers) == len(state) == len(still)
    assert all(s["status"] == WorkflowExecutionStatus.RUNNING for s in after.values())
    assert doubled == []
    for p in quiet:
        # The inform consent before; the screening task after (the probe was refused: not applied).
        assert counts[f"pathway-{p}"]["ConsentRecorded"] == 1 and counts[f"pathway-{p}"]["TaskCompleted"] == 1
        assert counts[f"stay-{p}-1"]["AdmissionStarted"] == 1 and counts[f"stay-{p}-1"]["MunicipalityInformed"] == 1
    for p in busy:
        # The dialogue consent (closing its task) across the restart, and the screening task after.
        assert counts[f"pathway-{p}"]["ConsentRecorded"] == 1 and counts[f"pathway-{p}"]["TaskCompleted"] == 2
    for p in pathway_ids:
        assert counts[f"pathway-{p}"]["PathwayStarted"] == 1


def _status(r) -> str:
    if isinstance(r, str):
        return r
    body = r.json() if r.headers.get("content-type") == "application/json" else {}
    return f"{r.status_code} {body.get('message', '')!r}" if r.status_code >= 400 else str(r.status_code)
