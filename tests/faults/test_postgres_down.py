"""PostgreSQL stopped for 30 seconds in the middle of a run.

Meanwhile the API answers 503 with a clear message within a few seconds, for
reads and writes (not a hang, not a 500); the workflows' activities retry;
once it is back every command is applied exactly once and nothing is lost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import pytest
from temporalio.client import WorkflowUpdateStage

from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows.pathway_messages import AdmitCommand

from .checks import (
    api_update_id,
    duplicates,
    event_counts,
    events,
    history_tally,
    local_attempts,
    notices,
    wait_until,
    workflow_of,
)
from .client import Seen, Staff, accepted_pathway, all_of
from .stack import REGION

OUTAGE_SECONDS = 30  # the number
ANSWER_WITHIN = 5.0  # "a few seconds"
PER_GROUP = 3
CONSENT = {"counterpart": "751", "state": "given", "form": "written"}
ADMIT = {"via": "acute_function", "ward": "P3"}

pytestmark = pytest.mark.timeout(280)


async def test_postgres_down_30_s_answers_503_and_loses_nothing(stack, temporal, say, background):
    run = uuid.uuid4().hex[:8]
    subject = f"c-{run}"
    seen = Seen()
    async with (
        Staff(stack.base, "clinician", subject, seen) as c,
        Staff(stack.base, "visitation", f"v-{run}", seen) as v,
    ):
        ids = list(await all_of(*(accepted_pathway(c, v, f"{run}/{i}") for i in range(3 * PER_GROUP))))
        # burst: admitted through the API as the server stops; taken: admitted while it is away,
        # by an API instance that had passed its checks just before (the update it would send);
        # probed: a consent sent through the API while it is away, repeated with its key.
        burst, taken, probed = ids[:PER_GROUP], ids[PER_GROUP : 2 * PER_GROUP], ids[2 * PER_GROUP :]
        for p in burst + taken:
            r = await c.post(
                f"/pathways/{p}/consents", {"scope": "inform_municipal_treatment", **CONSENT}, key=f"{run}/{p}/inform"
            )
            assert r.status_code == 200, r.text

        in_flight = [
            asyncio.create_task(c.post(f"/pathways/{p}/admissions", ADMIT, key=f"{run}/{p}/admit")) for p in burst
        ]
        background.extend(in_flight)
        await asyncio.sleep(0.05)
        stop_at = time.monotonic()
        await asyncio.to_thread(stack.stop_pg)
        stopped = time.monotonic()

        # While it is away: probe reads and writes through the API, and hand the workflows work.
        accepted, pending_attempts = [], Counter()
        while time.monotonic() - stop_at < OUTAGE_SECONDS:
            round_started = time.monotonic()
            # Each probe gives up at twice "a few seconds" (counted as a timeout: a hang), so
            # that a hanging API fails the test without stretching the outage.
            await c.once("GET", f"/pathways/{probed[0]}", timeout=2 * ANSWER_WITHIN)
            await c.once("GET", "/worklist", timeout=2 * ANSWER_WITHIN)
            for p in probed:
                await c.once(
                    "POST",
                    f"/pathways/{p}/consents",
                    key=f"{run}/{p}/dialogue",
                    json={"scope": "dialogue", **CONSENT},
                    timeout=2 * ANSWER_WITHIN,
                )
            if not accepted and time.monotonic() - stop_at > 12:
                for p in taken:
                    handle = temporal.get_workflow_handle(pathway_wf.workflow_id(p, "1082"))
                    update = pathway_wf.PathwayWorkflow.admit
                    accepted.append(
                        await asyncio.wait_for(
                            handle.start_update(
                                update,
                                AdmitCommand(
                                    via=ADMIT["via"],
                                    ward=ADMIT["ward"],
                                    admitted_on=copenhagen.today(),
                                    actor=Actor(subject=subject, role="clinician", organisation=REGION),
                                ),
                                id=api_update_id(REGION, subject, f"{run}/{p}/admit", handle.id, "admit"),
                                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                            ),
                            timeout=10,
                        )
                    )
            if accepted and time.monotonic() - stop_at > OUTAGE_SECONDS - 4:
                for p in taken:
                    for w in (pathway_wf.workflow_id(p, "1082"), workflow_of(f"stay-{p}-1")):
                        desc = await asyncio.wait_for(temporal.get_workflow_handle(w).describe(), timeout=10)
                        for a in desc.raw_description.pending_activities:
                            pending_attempts[f"{a.activity_type.name} attempt {a.attempt}"] += 1
                        # Appends run as local activities: their failed attempts are in the history.
                        pending_attempts.update(await asyncio.wait_for(local_attempts(temporal, w), timeout=10))
            await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - round_started)))

        restart_at = time.monotonic()
        stack.start_pg()
        await asyncio.to_thread(stack.wait_pg)
        back = time.monotonic()

        # Back: every command repeated with its key until answered; each applied once.
        burst_answers = await all_of(*in_flight)
        assert [a.status_code for a in burst_answers] == [201] * PER_GROUP, [a.text for a in burst_answers]
        for p in taken:
            r = await c.post(f"/pathways/{p}/admissions", ADMIT, key=f"{run}/{p}/admit")
            assert r.status_code == 201, r.text
        for p in probed:
            r = await c.post(f"/pathways/{p}/consents", {"scope": "dialogue", **CONSENT}, key=f"{run}/{p}/dialogue")
            assert r.status_code == 200, r.text
        settled = time.monotonic()
        results = [await asyncio.wait_for(u.result(), timeout=60) for u in accepted]
        for p in burst + taken:
            assert (await c.get(f"/pathways/{p}")).json()["level_of_care"] == "inpatient"

    streams = [f"pathway-{p}" for p in ids] + [f"stay-{p}-1" for p in burst + taken]

    async def informed() -> bool:  # the stays inform the municipality after the admission's answer
        return len(await events(stack.dsn, streams, "MunicipalityInformed")) >= 2 * PER_GROUP

    await wait_until("every stay informed the municipality", informed, timeout=90)
    await asyncio.sleep(1)  # anything doubled would arrive right behind
    counts = await event_counts(stack.dsn, streams)
    doubled = await duplicates(stack.dsn, streams)
    sent = await notices(stack.dsn, burst + taken)
    tally = await history_tally(temporal, [workflow_of(s) for s in streams])

    during = [a for a in seen.attempts if stopped <= a["started"] <= restart_at - ANSWER_WITHIN]
    kinds = Counter(f"{a['method']} {a['status']}" for a in during)
    slowest = max((a["seconds"] for a in during), default=0.0)
    messages = Counter(a.get("message") for a in during)
    say(
        f"\n[PostgreSQL down] injected: fast shutdown of PostgreSQL (gone in {stopped - stop_at:.1f} s) with "
        f"{PER_GROUP} admissions in flight; started again after {restart_at - stop_at:.0f} s, serving "
        f"{back - stop_at:.0f} s after the stop"
    )
    say(
        f"[PostgreSQL down] counted while away: {len(during)} requests answered {dict(kinds)}, the slowest in "
        f"{slowest:.2f} s; messages {dict(messages)}"
    )
    burst_paths = {f"/pathways/{p}/admissions" for p in burst}
    cut = Counter(
        a["status"] + (f" ({a['message'].split(';')[0][:70]})" if a.get("message") else "")
        for a in seen.attempts
        if a["path"] in burst_paths
    )
    say(f"[PostgreSQL down] counted for the admissions in flight at the stop, over their attempts: {dict(cut)}")
    say(
        f"[PostgreSQL down] counted while away: {len(accepted)} admissions accepted by their workflows, whose "
        f"appends were being retried: {dict(pending_attempts)}"
    )
    say(
        f"[PostgreSQL down] counted after: all commands answered {settled - back:.1f} s after it was back; "
        f"HTTP attempts {seen.line()}; {seen.repeated} requests repeated with their key; from histories "
        f"{dict(tally)}; duplicates {len(doubled)}; notices {len(sent)} for {2 * PER_GROUP} admissions"
    )

    assert not seen.server_errors, seen.server_errors
    assert "timeout" not in seen.statuses, "a request hung"
    assert len(during) >= 10
    assert all(a["status"] == "503" for a in during), kinds
    assert slowest <= ANSWER_WITHIN, f"an answer took {slowest:.1f} s while the database was away"
    assert all(a["error"] == "unavailable" and "database" in a["message"] and a["retry_after"] for a in during)
    assert len(accepted) == PER_GROUP and all(r.stay_id for r in results)
    assert any(n.startswith("append_events attempt") and int(n.rsplit(" ", 1)[1]) > 1 for n in pending_attempts), (
        "no append was being retried while the database was away"
    )
    assert tally["append_events retried"] >= PER_GROUP
    assert doubled == []
    for p in burst + taken:
        assert counts[f"pathway-{p}"]["AdmissionRecorded"] == 1, counts[f"pathway-{p}"]
        assert counts[f"stay-{p}-1"]["AdmissionStarted"] == 1 and counts[f"stay-{p}-1"]["MunicipalityInformed"] == 1
    for p in probed:
        assert counts[f"pathway-{p}"]["ConsentRecorded"] == 1 and counts[f"pathway-{p}"]["TaskCompleted"] == 1
    for p in ids:
        assert counts[f"pathway-{p}"]["PathwayStarted"] == 1
    assert Counter((r["pathway_id"], r["channel"]) for r in sent) == Counter(
        {(p, "admission"): 1 for p in burst + taken}
    )
