"""The worker SIGKILLed again and again in the middle of a batch of pathways: all
complete, every domain event is recorded exactly once, every notice sent exactly once."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter

import pytest

from dualpath.domain import tasks
from dualpath.domain.catalogue import CURRENT_VERSION, load_catalogue

from .checks import duplicates, event_counts, events, history_tally, notices, wait_until, workflow_of
from .client import Seen, Staff, accepted_pathway, all_of

PATHWAYS = 20
KILLS = 6
CONSENT = {"counterpart": "751", "state": "given", "form": "written"}

pytestmark = pytest.mark.timeout(280)


def _expected() -> tuple[Counter, Counter]:
    catalogue = load_catalogue(CURRENT_VERSION)
    phase_1 = len(tasks.applicable(catalogue.mandatory("ambulatory", 1)))
    # Admitted today, in municipal substance treatment, from the ambulatory pathway; with the
    # consent given already, the stay asks for none.
    facts = {"municipal_substance_treatment", "ambulatory_pathway", "short_admission"}
    stay_1 = len(
        [
            a
            for a in tasks.applicable(catalogue.mandatory("inpatient", 1), facts)
            if a.key != "consent_municipal_information"
        ]
    )
    pathway = Counter(
        PathwayStarted=1,
        TaskOpened=phase_1,
        ConsentRecorded=2,
        TaskCompleted=1,
        AdmissionRecorded=1,
        LevelOfCareChanged=1,
    )
    stay = Counter(AdmissionStarted=1, TaskOpened=stay_1, MunicipalityInformed=1)
    return pathway, stay


async def test_worker_sigkilled_repeatedly_loses_and_doubles_nothing(stack, temporal, say, background):
    run = uuid.uuid4().hex[:8]
    seen = Seen()
    in_flight = 0
    started = time.monotonic()

    async def one_pathway(i: int, c: Staff, v: Staff) -> tuple[str, str]:
        nonlocal in_flight
        await asyncio.sleep(i * 0.4)  # the batch spread over the first kills, then retried through the rest
        in_flight += 1
        try:
            key = f"{run}/{i}"
            pathway_id = await accepted_pathway(c, v, key)
            for scope in ("inform_municipal_treatment", "dialogue"):
                r = await c.post(
                    f"/pathways/{pathway_id}/consents", {"scope": scope, **CONSENT}, key=f"{key}/consent/{scope}"
                )
                assert r.status_code == 200, r.text
            # With the consent given, the stay informs the municipality of the admission (a notice).
            r = await c.post(
                f"/pathways/{pathway_id}/admissions", {"via": "acute_function", "ward": "P3"}, key=f"{key}/admit"
            )
            assert r.status_code == 201, r.text
            return pathway_id, r.json()["stay_id"]
        finally:
            in_flight -= 1

    async def killer() -> list[tuple[int, int]]:
        kills = []
        for _ in range(KILLS):
            await asyncio.sleep(random.uniform(1.0, 2.0))
            ready = time.monotonic() + 5
            # Kill it while it works, if work is left: best effort, after 5 s it is killed anyway.
            while in_flight < 3 and time.monotonic() < ready:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            busy = in_flight
            kills.append((stack.kill_worker(), busy))
            stack.start_worker()
            await asyncio.to_thread(stack.wait_worker, 60)
        return kills

    async with (
        Staff(stack.base, "clinician", f"c-{run}", seen) as c,
        Staff(stack.base, "visitation", f"v-{run}", seen) as v,
    ):
        killing = asyncio.create_task(killer())
        background.append(killing)
        try:
            done = await all_of(*(one_pathway(i, c, v) for i in range(PATHWAYS)))
        finally:
            kills = await killing
        answered = time.monotonic() - started

        # Every pathway where the commands left it.
        views = {}
        for pathway_id, _ in done:
            p = (await c.get(f"/pathways/{pathway_id}")).json()
            views[pathway_id] = p
            assert p["status"] == "active" and p["phase"] == 1 and p["level_of_care"] == "inpatient", p
            assert {(x["scope"], x["state"]) for x in p["consents"]} == {
                ("inform_municipal_treatment", "given"),
                ("dialogue", "given"),
            }, p["consents"]
            assert [t["state"] for t in p["tasks"] if t["kind"] == "consent_dialogue"] == ["done"], p["tasks"]
            stays = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
            assert [s["status"] for s in stays] == ["admitted"], stays

    pathway_streams = [f"pathway-{p}" for p, _ in done]
    stay_streams = [f"stay-{p}-1" for p, _ in done]
    referral_streams = [f"referral-{views[p]['referral_id']}" for p, _ in done]
    streams = pathway_streams + stay_streams + referral_streams

    # The stays inform the municipality after the admission has been answered: wait for it
    # (a killed activity is retried once its 30 s start-to-close timeout has passed).
    async def all_informed() -> bool:
        return len(await events(stack.dsn, stay_streams, "MunicipalityInformed")) >= PATHWAYS

    await wait_until("every stay informed the municipality", all_informed, timeout=120)
    await asyncio.sleep(1)  # anything doubled would arrive right behind

    counts = await event_counts(stack.dsn, streams)
    doubled = await duplicates(stack.dsn, streams)
    sent = await notices(stack.dsn, [p for p, _ in done])
    informed = await events(stack.dsn, stay_streams, "MunicipalityInformed")
    tally = await history_tally(temporal, [workflow_of(s) for s in streams])
    expected_pathway, expected_stay = _expected()

    say(
        f"\n[worker SIGKILL] injected: {len(kills)} SIGKILLs of the worker 1–2 s apart, each restarted at once "
        f"(requests in flight at each kill: {[b for _, b in kills]}), over {PATHWAYS} pathways × 5 commands"
    )
    say(
        f"[worker SIGKILL] counted: {len(done)} pathways complete in {answered:.0f} s; HTTP attempts {seen.line()}; "
        f"{seen.repeated} requests repeated with their Idempotency-Key; slowest answer {seen.slowest:.1f} s; "
        f"{len(seen.not_yet_visible)} answers of 404 for something just created (read models behind the "
        f"answer: {Counter(m.split(': ', 1)[1] for m in seen.not_yet_visible)})"
    )
    say(f"[worker SIGKILL] counted from Temporal histories: {dict(tally) or 'nothing lost'}")
    say(
        f"[worker SIGKILL] counted events per pathway stream {dict(counts[pathway_streams[0]])}, per stay "
        f"{dict(counts[stay_streams[0]])}; duplicates: {len(doubled)}; notices {len(sent)} for {PATHWAYS} stays "
        f"({len({r['idempotency_key'] for r in sent})} distinct keys)"
    )

    assert len(kills) == KILLS
    assert sum(tally.values()) > 0, "the kills hit no work in flight: the test proved nothing"
    assert not seen.server_errors, seen.server_errors
    assert doubled == []
    for s in pathway_streams:
        assert counts[s] == expected_pathway, (s, counts[s])
    for s in stay_streams:
        assert counts[s] == expected_stay, (s, counts[s])
    for s in referral_streams:
        assert counts[s]["ReferralReceived"] == 1 and counts[s]["ReferralAccepted"] == 1, (s, counts[s])
    # One admission notice per stay, under the key its MunicipalityInformed names.
    assert Counter((r["pathway_id"], r["channel"]) for r in sent) == Counter({(p, "admission"): 1 for p, _ in done})
    assert {r["idempotency_key"] for r in sent} == {e["notice_key"] for e in informed}
    assert len(informed) == PATHWAYS
