"""`make bench BENCH_ARGS=--national`: the national cohort live (issue #14 item 5).

    .venv/bin/python -m benchmarks.run --national [--cohort N] [--actions N] [--pause S] [--keep]

A soak run on the benchmark's own stack (benchmarks/stack.py), with the worker restarted with a
cache (`max_cached_workflows`) smaller than the cohort and its metrics served: `dualpath.worker`
with DUALPATH_WORKER_MAX_CACHED_WORKFLOWS where the engine has that setting, else
`python -m benchmarks.national worker` (the same workflows and activities).

1. open the cohort: --cohort (9,200) pathway workflows started in bulk through the Temporal client
   with the project's data converter (payloads encrypted under each region's key), as the API's
   acute-admission route starts a pathway: the patient's CPR number goes into the patients register
   only (`queries.register_patient`), the patient is claimed (`PathwayClaims`), and the workflow
   gets a pathway state (`pathway_messages.new_state`) that names the patient by the register's
   pseudonymous id. No HTTP: it saves the referral workflow and two requests per pathway. Each
   pathway opens in the phase the loaded cohort's distribution gives (benchmarks/cohort.py) and
   opens that phase's tasks itself, with their due-date timers; a pathway in phase 1 also keeps
   the §82c clock (received a few days ago, deadline 14 days after receipt);
2. staff commands over HTTP (dialogue consent, task completed) alternating between pathways
   the worker has cached (the most recently opened) and pathways it has evicted (the first
   opened), one at a time with --pause before each; the worker's sticky-cache metrics say, per
   command, whether it found the workflow cached or replayed its history;
3. memory, the Temporal database's size per pathway, the timers the cohort has scheduled per
   day, that nothing was lost (every pathway running in Temporal, its stream holding its
   opening events, its read-model row there) and that no CPR number is in Temporal;
4. a simulated year of one pathway on the time-skipping test server (benchmarks/pathway_year.py):
   history events and bytes per pathway-year.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks import scenarios
from benchmarks.cohort import GROUP_SHARE, PHASE_SHARE, REGION_SHARE
from benchmarks.stack import Stack, stop_process
from benchmarks.stats import summary_ms, table

NATIONAL_COHORT = 9200
SDK_DEFAULT_CACHE = 1000
WINDOW = 300  # pathways started but not yet opened (their opening events not in the event store)
START_CONCURRENCY = 16
WARMUP = 5


def log(msg: str) -> None:
    print(msg, flush=True)


def cache_size_for(n: int) -> int:
    """The worker's cache: the SDK's default (1,000) for a national cohort, a quarter of a smaller
    one, so that most pathways are evicted either way; BENCH_NATIONAL_MAX_CACHED says otherwise."""
    given = os.environ.get("BENCH_NATIONAL_MAX_CACHED")
    if given:
        return int(given)
    return SDK_DEFAULT_CACHE if n >= 4 * SDK_DEFAULT_CACHE else max(10, n // 4)


# -- the worker ----------------------------------------------------------------------------


# The engine's own setting for the worker's cache (dualpath/settings.py), where it has one.
CACHE_SETTING = "worker_max_cached_workflows"


def engine_has_cache_setting() -> bool:
    from dualpath.settings import Settings

    return CACHE_SETTING in Settings.model_fields


async def _serve_worker(max_cached: int) -> None:
    """For an engine without a cache setting: dualpath's worker (dualpath/worker.py: its workflows,
    activities and shutdown) with `max_cached_workflows` set."""
    from datetime import timedelta

    from temporalio.worker import Worker

    from dualpath import temporal_client
    from dualpath import worker as dp_worker
    from dualpath.eventstore import EventStore
    from dualpath.infra.postgres import database_url
    from dualpath.settings import get_settings

    settings = get_settings()
    pool = await asyncpg.create_pool(await database_url(settings), min_size=1, max_size=10)
    runtime = (
        temporal_client.metrics_runtime(settings.worker_metrics_address) if settings.worker_metrics_address else None
    )
    client = await temporal_client.connect(settings, runtime)
    store = EventStore(pool)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=dp_worker.WORKFLOWS,
        activities=dp_worker.activities(store, pool, settings),
        graceful_shutdown_timeout=timedelta(seconds=20),
        max_cached_workflows=max_cached,
    )
    how = "Worker(max_cached_workflows=...) in benchmarks/national.py"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print(f"national worker started: max_cached_workflows={max_cached} via {how}", flush=True)
        await stop.wait()
    await pool.close()


async def replace_worker(stack: Stack, max_cached: int) -> str:
    """Stop the stack's worker and start it again with a cache of `max_cached` workflows and its
    metrics served (same environment, same log file): `python -m dualpath.worker` with the engine's
    setting where it has one, else this module's launcher. The metrics' address."""
    from dualpath.infra.ports import free_port

    stop_process(stack.procs["worker"], timeout=30)
    metrics = f"127.0.0.1:{free_port()}"
    env = stack.env(int(stack.api_base.rsplit(":", 1)[1]))
    env["DUALPATH_WORKER_METRICS_ADDRESS"] = metrics
    if engine_has_cache_setting():
        env[f"DUALPATH_{CACHE_SETTING.upper()}"] = str(max_cached)
        command, ready = [sys.executable, "-m", "dualpath.worker"], "worker started"
    else:
        command = [sys.executable, "-m", "benchmarks.national", "worker", "--max-cached", str(max_cached)]
        ready = "national worker started"
    logged = len(stack.tail("worker", 10**9))
    stack.procs["worker"] = stack._spawn("worker", command, env)
    deadline = time.monotonic() + 90
    while ready not in stack.tail("worker", 10**9)[logged:]:
        stack.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the national worker did not start:\n{stack.tail('worker')}")
        await asyncio.sleep(0.2)
    return metrics


async def cache_metrics(http: httpx.AsyncClient, address: str) -> dict[str, float]:
    """The worker's sticky-cache counters (hits, misses, size, forced evictions) and replays."""
    text = (await http.get(f"http://{address}/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        base = name.split("{", 1)[0]
        for key in ("sticky_cache_hit", "sticky_cache_miss", "sticky_cache_size", "sticky_cache_total_forced_eviction"):
            if base.startswith(f"temporal_{key}") or base == key:
                out[key] = out.get(key, 0.0) + float(value)
        if "workflow_task_replay_latency" in base and base.endswith("_count"):
            out["replays"] = out.get("replays", 0.0) + float(value)
    return out


# -- the cohort ----------------------------------------------------------------------------


class Cohort:
    """What the bench started: per pathway its region, municipality, phase and patient's CPR number."""

    def __init__(self) -> None:
        self.pathways: dict[str, dict] = {}
        self.opened_order: list[str] = []


def _pick(rng: random.Random, shares: dict):
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def plan(n: int, today: date, seed: int = 14) -> list[dict]:
    """The cohort's pathways: region, municipality, group and phase as the loaded cohort draws them
    (benchmarks/cohort.py); received a few days ago, the §82c deadline 14 days after receipt."""
    from dualpath.domain import municipalities

    rng = random.Random(seed)
    by_region: dict[str, list[str]] = {}
    for m in municipalities.MUNICIPALITIES:
        by_region.setdefault(m.region, []).append(m.code)
    out = []
    for _ in range(n):
        region = _pick(rng, REGION_SHARE)
        received = today - timedelta(days=rng.randint(0, 9))
        out.append(
            {
                "pathway_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "referral_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "region": region,
                "municipality": rng.choice(by_region[region]),
                "group": _pick(rng, GROUP_SHARE),
                "phase": _pick(rng, PHASE_SHARE),
                "received_on": received,
                "start_deadline": received + timedelta(days=14),
                "substance_treatment": rng.random() < 0.5,
                "cpr": scenarios.unique_cpr(),
            }
        )
    return out


async def start_pathway(client, pool, task_queue: str, p: dict) -> None:
    """One pathway, as the acute-admission route starts one: register, claim, start the workflow."""
    from temporalio.common import WorkflowIDReusePolicy

    from dualpath import workflow_ids
    from dualpath.activities.pathway_claims import PathwayClaims
    from dualpath.contracts.activities import PathwayClaim
    from dualpath.domain import ambulatory
    from dualpath.domain.events import Actor
    from dualpath.readmodels import queries
    from dualpath.workflows import pathway as wf
    from dualpath.workflows import pathway_messages

    patient_id = await queries.register_patient(pool, p["cpr"])
    p["patient_id"] = patient_id
    if not await PathwayClaims(pool).claim_pathway(PathwayClaim(patient_id=patient_id, pathway_id=p["pathway_id"])):
        raise RuntimeError(f"the patient of {p['pathway_id']} has an active pathway already")
    state = pathway_messages.new_state(
        p["pathway_id"],
        p["referral_id"],
        patient_id=patient_id,
        group=p["group"],
        region=p["region"],
        municipality=p["municipality"],
        catalogue_version="v1",
        received_on=p["received_on"],
        start_deadline=p["start_deadline"],
        municipal_substance_treatment=p["substance_treatment"],
        phase=p["phase"],
        level_of_care=ambulatory.LEVEL_FOR_PHASE[p["phase"]],
    )
    actor = Actor(subject="bench-national", role="visitation", organisation=f"region:{p['region']}")
    await client.start_workflow(
        wf.PathwayWorkflow.run,
        pathway_messages.PathwayInput(state=state, actor=actor),
        id=workflow_ids.pathway(p["pathway_id"], p["region"]),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary="Ambulatory pathway (ambulant forløb), national soak",
    )


async def opened_ids(pool, since: int) -> tuple[int, list[str]]:
    """The pathways opened after position `since` and the position read up to. Read as the projections
    read (`EventStore.read_all`: never past an event whose transaction may still commit). A plain
    `position > since` query skips the events of a transaction that commits after a later one: the
    first full run lost 20 of 9,200 openings that way."""
    from dualpath.eventstore import EventStore

    store, out = EventStore(pool), []
    while batch := await store.read_all(since, limit=5000):
        since = batch[-1].position
        out += [e.stream_id.removeprefix("pathway-") for e in batch if e.type == "PathwayStarted"]
    return since, out


async def open_cohort(client, pool, stack: Stack, planned: list[dict], cohort: Cohort) -> dict:
    """Start every planned pathway, at most WINDOW ahead of those opened; sample memory each quarter."""
    n = len(planned)
    started_at = time.perf_counter()
    last_pos = 0
    samples: list[dict] = []
    quarters = {n * k // 4 for k in (1, 2, 3, 4)}
    started = 0
    failures: list[str] = []
    queue = list(planned)
    done_starting = asyncio.Event()

    def sample(label: str) -> dict:
        return {
            "label": label,
            "opened": len(cohort.opened_order),
            "seconds": round(time.perf_counter() - started_at, 1),
            **rss_mib(stack),
            "temporal_db_mib": round(temporal_db_bytes(stack) / 2**20, 1),
        }

    samples.append(sample("before"))

    async def starter() -> None:
        nonlocal started
        while queue:
            if started - len(cohort.opened_order) >= WINDOW:
                await asyncio.sleep(0.05)
                continue
            p = queue.pop()
            try:
                await start_pathway(client, pool, stack.task_queue, p)
                cohort.pathways[p["pathway_id"]] = p
            except Exception as exc:  # recorded and reported: the soak counts what it lost
                failures.append(f"{p['pathway_id']}: {exc!r}"[:300])
            started += 1

    async def watcher() -> None:
        nonlocal last_pos
        reported = time.perf_counter()
        while True:
            last_pos, opened = await opened_ids(pool, last_pos)
            for pid in opened:
                cohort.opened_order.append(pid)
                if len(cohort.opened_order) in quarters:
                    samples.append(sample(f"{len(cohort.opened_order) * 100 // n}%"))
            if time.perf_counter() - reported > 30:
                reported = time.perf_counter()
                el = reported - started_at
                log(
                    f"  opened {len(cohort.opened_order)}/{n} in {el:.0f} s "
                    f"({len(cohort.opened_order) / el:.1f}/s), worker {rss_mib(stack)['worker_rss_mib']} MiB"
                )
                stack.check_alive()
            if done_starting.is_set() and len(cohort.opened_order) >= len(cohort.pathways):
                return
            await asyncio.sleep(0.25)

    watch = asyncio.create_task(watcher())
    await asyncio.gather(*(starter() for _ in range(START_CONCURRENCY)))
    starts_done = time.perf_counter() - started_at
    done_starting.set()
    try:
        await asyncio.wait_for(watch, timeout=600)
    except TimeoutError:
        log(f"  WARNING: {len(cohort.pathways) - len(cohort.opened_order)} pathways did not open within 10 minutes")
    wall = time.perf_counter() - started_at
    if samples[-1]["opened"] != len(cohort.opened_order):
        samples.append(sample("opened"))
    return {
        "started": len(cohort.pathways),
        "start_failures": failures[:20],
        "start_failures_n": len(failures),
        "opened": len(cohort.opened_order),
        "seconds": round(wall, 1),
        "starts_returned_after_s": round(starts_done, 1),
        "opened_per_s": round(len(cohort.opened_order) / wall, 2),
        "memory_samples": samples,
    }


# -- observations --------------------------------------------------------------------------


def rss_mib(stack: Stack) -> dict[str, float]:
    return {f"{name}_rss_mib": round(stack.rss(name) / 2**20, 1) for name in ("worker", "api", "temporal")}


def temporal_db_bytes(stack: Stack) -> int:
    """The Temporal dev server's SQLite database: the file and its write-ahead log."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        path = stack.data / f"temporal.db{suffix}"
        if path.exists():
            total += path.stat().st_size
    return total


async def commands_phase(api, pool, http, metrics: str, cohort: Cohort, max_cached: int, n: int, pause: float) -> dict:
    """Staff commands over HTTP, alternating: a cached pathway (most recently opened), an evicted one
    (first opened). Per command the worker's cache counters tell whether the workflow was cached."""
    from dualpath.domain.tasks import CLOSED_BY_RECORD

    total = n + WARMUP
    # The most recently opened quarter of the cache: still cached after the evicted pathways' commands
    # have pushed out as many of the least recently used.
    recent = cohort.opened_order[-max(total, max_cached // 4) :]
    oldest = cohort.opened_order[: len(cohort.opened_order) - max_cached]
    rng = random.Random(3)
    cached_ids = rng.sample(recent, min(total, len(recent)))
    evicted_ids = rng.sample(oldest, min(total, len(oldest)))
    times: dict[str, dict[str, list[float]]] = {"cached": {}, "evicted": {}}
    seen: dict[str, Counter] = {"cached": Counter(), "evicted": Counter()}

    async def one(pathway_id: str, kind_of_pathway: str, i: int) -> None:
        p = cohort.pathways[pathway_id]
        org = f"region:{p['region']}"
        if i % 2 == 0:
            command, path = "record_consent", f"/pathways/{pathway_id}/consents"
            body: dict = {"scope": "dialogue", "counterpart": p["municipality"], "state": "given", "form": "written"}
        else:
            task_id = await pool.fetchval(
                """SELECT task_id FROM rm_tasks WHERE pathway_id = $1 AND state = 'open'
                   AND owner_role = 'clinician' AND NOT (kind = ANY($2)) ORDER BY due LIMIT 1""",
                pathway_id,
                list(CLOSED_BY_RECORD),
            )
            if task_id is None:
                command, path = "record_consent", f"/pathways/{pathway_id}/consents"
                body = {"scope": "dialogue", "counterpart": p["municipality"], "state": "given", "form": "written"}
            else:
                command, path = "complete_task", f"/pathways/{pathway_id}/tasks/{task_id}/complete"
                body = {"outcome": "done", "note": "national soak"}
        before = await cache_metrics(http, metrics)
        await asyncio.sleep(pause)
        t, _ = await api.timed("POST", path, role="clinician", org=org, json=body)
        await asyncio.sleep(0.05)  # the command's last workflow task (after its activity) is done by now
        after = await cache_metrics(http, metrics)
        miss = after.get("sticky_cache_miss", 0) - before.get("sticky_cache_miss", 0)
        hit = after.get("sticky_cache_hit", 0) - before.get("sticky_cache_hit", 0)
        found = "replayed" if miss > 0 else ("cached" if hit > 0 else "unknown")
        if i >= WARMUP:
            seen[kind_of_pathway][found] += 1
            # Filed by what the worker did, not by what was expected of it.
            times["cached" if found == "cached" else "evicted" if found == "replayed" else kind_of_pathway].setdefault(
                command, []
            ).append(t)

    log(f"commands: {n} on cached and {n} on evicted pathways, alternating (first {WARMUP} of each are warm-up)")
    for i in range(min(len(cached_ids), len(evicted_ids))):
        pair = [(cached_ids[i], "cached"), (evicted_ids[i], "evicted")]
        if i % 2:
            pair.reverse()
        for pid, kind in pair:
            await one(pid, kind, i)
    out: dict = {"expected_vs_found": {k: dict(v) for k, v in seen.items()}}
    for kind, by_command in times.items():
        every = [t for ts in by_command.values() for t in ts]
        out[kind] = {"all": summary_ms(every), **{c: summary_ms(ts) for c, ts in by_command.items()}}
    return out


async def timers_per_day(pool, cohort: Cohort, today: date) -> dict:
    """The timers the cohort has scheduled, by the day they fire if nobody acts first.

    A pathway's workflow keeps one durable timer at a time (kit.Process._wait_for_change_or_due):
    to the Copenhagen midnight after the earliest due date among its open, not yet overdue tasks,
    or to the §82c clock's next instant (the warning 3 days before the deadline, then the day after
    the deadline) when that comes first. When it fires, the tasks then late are marked overdue and
    the next timer is set to the next due date. Left alone, a pathway's timers therefore fire once
    per distinct due date of its open tasks, plus once per clock instant still ahead. Counted here
    from the read models' open tasks and the pathways' deadlines."""
    from dualpath.domain import first_contact

    rows = await pool.fetch(
        "SELECT pathway_id, due FROM rm_tasks WHERE state = 'open' AND NOT overdue AND pathway_id = ANY($1)",
        list(cohort.pathways),
    )
    fires: dict[str, set[date]] = {}
    for r in rows:
        fires.setdefault(r["pathway_id"], set()).add(r["due"] + timedelta(days=1))
    clock_rows = await pool.fetch(
        """SELECT p.pathway_id FROM rm_pathways p WHERE p.pathway_id = ANY($1) AND p.status = 'active'
             AND p.phase = 1 AND NOT EXISTS (SELECT 1 FROM rm_tasks t WHERE t.pathway_id = p.pathway_id
             AND t.kind = 'first_treatment_contact')""",
        list(cohort.pathways),
    )
    for r in clock_rows:
        deadline = cohort.pathways[r["pathway_id"]]["start_deadline"]
        for day in (first_contact.warn_on(deadline), first_contact.passed_on(deadline)):
            if day > today:
                fires.setdefault(r["pathway_id"], set()).add(day)
    per_day = Counter(d for days in fires.values() for d in days)
    nxt = {pid: min(days) for pid, days in fires.items()}
    horizon = sorted(per_day)
    return {
        "pathways_with_a_timer": len(fires),
        "fires_total_if_nobody_acts": sum(per_day.values()),
        "by_day": {d.isoformat(): per_day[d] for d in horizon},
        "busiest_day": max(per_day.values()) if per_day else 0,
        "days_with_fires": len(per_day),
        "last_day": horizon[-1].isoformat() if horizon else None,
        "_next": nxt,
    }


async def check_timers_in_temporal(client, cohort: Cohort, nxt: dict[str, date], k: int = 30) -> dict:
    """For k random pathways, the timer pending in Temporal (the last TimerStarted not yet fired or
    cancelled, from the workflow's history) against the next instant predicted from the read models."""
    from dualpath import workflow_ids
    from dualpath.domain import copenhagen

    rng = random.Random(4)
    ids = rng.sample(sorted(nxt), min(k, len(nxt)))
    agree, disagree = 0, []
    for pid in ids:
        p = cohort.pathways[pid]
        history = await client.get_workflow_handle(workflow_ids.pathway(pid, p["region"])).fetch_history()
        pending: dict[str, datetime] = {}
        for e in history.events:
            if e.HasField("timer_started_event_attributes"):
                a = e.timer_started_event_attributes
                pending[a.timer_id] = e.event_time.ToDatetime(tzinfo=UTC) + a.start_to_fire_timeout.ToTimedelta()
            elif e.HasField("timer_fired_event_attributes"):
                pending.pop(e.timer_fired_event_attributes.timer_id, None)
            elif e.HasField("timer_canceled_event_attributes"):
                pending.pop(e.timer_canceled_event_attributes.timer_id, None)
        expected = copenhagen.midnight(nxt[pid])
        fire = list(pending.values())
        if len(fire) == 1 and abs((fire[0] - expected).total_seconds()) < 60:
            agree += 1
        else:
            disagree.append(
                {"pathway_id": pid, "expected": expected.isoformat(), "pending": [f.isoformat() for f in fire]}
            )
    return {"sampled": len(ids), "agree": agree, "disagree": disagree[:5]}


async def nothing_lost(client, pool, cohort: Cohort, task_queue: str) -> dict:
    """Every started pathway running in Temporal, its stream in the event store with its opening
    events (PathwayStarted and one TaskOpened per mandatory activity of its phase), its row active."""
    from dualpath.domain import tasks
    from dualpath.domain.catalogue import load_catalogue

    catalogue = load_catalogue("v1")
    expected_tasks = {ph: len(tasks.applicable(catalogue.mandatory("ambulatory", ph))) for ph in (1, 2, 3, 4)}
    running: set[str] = set()
    query = f"WorkflowType = 'PathwayWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '{task_queue}'"
    for _attempt in range(10):  # visibility is eventually consistent
        running = {w.id async for w in client.list_workflows(query, page_size=1000)}
        if len(running) >= len(cohort.pathways):
            break
        await asyncio.sleep(1)
    from dualpath import workflow_ids

    wf_ids = {workflow_ids.pathway(pid, p["region"]): pid for pid, p in cohort.pathways.items()}
    not_running = [pid for wid, pid in wf_ids.items() if wid not in running]
    rows = await pool.fetch(
        """SELECT stream_id, count(*) AS n, count(*) FILTER (WHERE type = 'PathwayStarted') AS started,
                  count(*) FILTER (WHERE type = 'TaskOpened' AND version <= 1 + $2) AS opened
             FROM events WHERE stream_id = ANY($1) GROUP BY stream_id""",
        [f"pathway-{pid}" for pid in cohort.pathways],
        max(expected_tasks.values()) + 1,
    )
    streams = {r["stream_id"].removeprefix("pathway-"): r for r in rows}
    short = []
    for pid, p in cohort.pathways.items():
        r = streams.get(pid)
        if r is None or r["started"] != 1 or r["opened"] < expected_tasks[p["phase"]]:
            short.append(pid)
    active = await pool.fetchval(
        "SELECT count(*) FROM rm_pathways WHERE pathway_id = ANY($1) AND status = 'active'", list(cohort.pathways)
    )
    events = sum(r["n"] for r in rows)
    return {
        "started": len(cohort.pathways),
        "running_in_temporal": len(cohort.pathways) - len(not_running),
        "not_running": not_running[:10],
        "streams_with_opening_events": len(cohort.pathways) - len(short),
        "streams_short": short[:10],
        "read_model_active": active,
        "events_in_streams": events,
        "ok": not not_running and not short and active == len(cohort.pathways),
    }


async def identity_check(client, stack: Stack, cohort: Cohort, k: int = 20) -> dict:
    """No CPR number in Temporal: none in the raw SQLite files (workflow ids, search attributes,
    summaries and everything unencrypted), and none in k workflows' decoded start inputs."""
    from dualpath import workflow_ids

    cprs = {p["cpr"] for p in cohort.pathways.values()}
    raw_hits = 0
    for suffix in ("", "-wal"):
        path = stack.data / f"temporal.db{suffix}"
        if not path.exists():
            continue
        data = path.read_bytes()
        found = set(m.decode() for m in re.findall(rb"(?<!\d)\d{10}(?!\d)", data))
        found |= {m.decode().replace("-", "") for m in re.findall(rb"(?<!\d)\d{6}-\d{4}(?!\d)", data)}
        raw_hits += len(found & cprs)
    decoded_hits = 0
    sample = random.Random(5).sample(sorted(cohort.pathways), min(k, len(cohort.pathways)))
    for pid in sample:
        p = cohort.pathways[pid]
        history = await client.get_workflow_handle(workflow_ids.pathway(pid, p["region"])).fetch_history()
        text = json.dumps(history.to_json_dict())
        attrs = history.events[0].workflow_execution_started_event_attributes
        payloads = await client.data_converter.payload_codec.decode(list(attrs.input.payloads))
        decoded = b"".join(pl.data for pl in payloads).decode(errors="replace")
        if "patient_id" not in decoded:
            raise RuntimeError("the decoded start input does not look like a pathway's state")
        decoded_hits += sum(c in decoded or c in text for c in (p["cpr"], f"{p['cpr'][:6]}-{p['cpr'][6:]}"))
    return {
        "cpr_numbers": len(cprs),
        "in_temporal_db_files": raw_hits,
        "decoded_inputs_checked": len(sample),
        "in_decoded_inputs": decoded_hits,
    }


# -- main ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict:
    from dualpath import temporal_client
    from dualpath.settings import Settings

    n = args.cohort
    max_cached = cache_size_for(n)
    started = time.perf_counter()
    result: dict = {
        "cohort": n,
        "max_cached_workflows": max_cached,
        # The engine measured: set when the soak runs from a snapshot of a commit (docs/benchmarks.md).
        "engine_commit": os.environ.get("BENCH_ENGINE_COMMIT", "working tree"),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]},
    }
    log(f"national soak: {n} pathways, worker cache {max_cached}")
    log("starting the stack")
    stack = await Stack.start(keep=args.keep, log=log)
    api = scenarios.Api(stack.api_base, Settings(_env_file=None))
    pool = None
    try:
        metrics = await replace_worker(stack, max_cached)
        how = f"DUALPATH_{CACHE_SETTING.upper()}" if engine_has_cache_setting() else "the launcher in national.py"
        result["worker_cache_set_by"] = how
        log(f"  worker restarted with max_cached_workflows={max_cached} ({how})")
        settings = Settings(
            _env_file=None,
            temporal_address=stack.temporal_address,
            temporal_embedded=False,
            task_queue=stack.task_queue,
        )
        client = await temporal_client.connect(settings)
        pool = await asyncpg.create_pool(stack.dsn, min_size=2, max_size=20)
        http = httpx.AsyncClient(timeout=10)
        today = datetime.now(UTC).date()
        planned = plan(n, today)
        result["db_before_mib"] = round(temporal_db_bytes(stack) / 2**20, 2)
        db_before = temporal_db_bytes(stack)
        log(f"open: starting {n} pathway workflows ({START_CONCURRENCY} start calls at a time, at most {WINDOW} ahead)")
        cohort = Cohort()
        result["open"] = await open_cohort(client, pool, stack, planned, cohort)
        o = result["open"]
        log(f"open: {o['opened']} opened in {o['seconds']} s ({o['opened_per_s']}/s); {o['start_failures_n']} failed")
        # The read models catch up (the API's projections) before commands are sent.
        for _ in range(600):
            rows = await pool.fetchval(
                "SELECT count(*) FROM rm_pathways WHERE pathway_id = ANY($1)", list(cohort.pathways)
            )
            if rows >= len(cohort.pathways):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        result["cache_after_open"] = await cache_metrics(http, metrics)
        result["memory_after_open"] = rss_mib(stack)
        result["commands"] = await commands_phase(
            api, pool, http, metrics, cohort, max_cached, min(args.actions, 200), args.pause
        )
        stack.check_alive()
        result["cache_after_commands"] = await cache_metrics(http, metrics)
        result["memory_after_commands"] = rss_mib(stack)
        db = temporal_db_bytes(stack)
        result["temporal_db"] = {
            "mib": round(db / 2**20, 1),
            "files_mib": {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(stack.data.glob("temporal.db*"))},
            "kib_per_pathway": round((db - db_before) / 1024 / max(1, len(cohort.pathways)), 1),
        }
        log("timers: counting from the read models, and checking a sample against Temporal's histories")
        timers = await timers_per_day(pool, cohort, today)
        nxt = timers.pop("_next")
        timers["checked_against_temporal"] = await check_timers_in_temporal(client, cohort, nxt)
        result["timers"] = timers
        log("checking that nothing was lost")
        result["nothing_lost"] = await nothing_lost(client, pool, cohort, stack.task_queue)
        result["identity"] = await identity_check(client, stack, cohort)
        stack.check_alive()
        await http.aclose()
        log("pathway-year: a year of one pathway on the time-skipping test server")
        from benchmarks import pathway_year

        result["pathway_year"] = await pathway_year.simulate(pool)
        year = result["pathway_year"]
        result["timers"]["steady_state_per_day"] = round(year["timers_fired_per_year"] * len(cohort.pathways) / 365, 1)
        result["timers"]["steady_state_started_per_day"] = round(year["timers_started"] * len(cohort.pathways) / 365, 1)
    finally:
        await stack.close(api, pool, log)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _table(rows: list[list[Any]], header: list[str]) -> str:
    return table([[str(c) for c in r] for r in rows], header)


def render(r: dict) -> str:
    out = []
    o = r["open"]
    out.append(
        f"national soak, {r.get('finished_at', '')}: {r['cohort']} pathways, worker cache "
        f"max_cached_workflows={r['max_cached_workflows']}, {r['seconds']:.0f} s in all\n"
    )
    rows: list[list[Any]] = [
        ["pathways started (Temporal client, encrypted payloads)", o["started"], ""],
        ["opened (opening events in the event store)", o["opened"], ""],
        ["time to open the cohort, s", o["seconds"], ""],
        ["rate, pathways/s", o["opened_per_s"], ""],
        ["start failures", o["start_failures_n"], ""],
    ]
    out.append(_table(rows, ["open the cohort", "value", ""]))
    out.append("")
    rows = []
    for kind in ("cached", "evicted"):
        for cmd, s in r["commands"].get(kind, {}).items():
            if s["n"]:
                rows.append([f"{kind}: {cmd}", s["n"], s["p50_ms"], s["p99_ms"]])
    out.append(_table(rows, ["staff commands over HTTP (by what the worker did)", "n", "p50 ms", "p99 ms"]))
    out.append(f"expected vs found by the worker's cache counters: {r['commands']['expected_vs_found']}")
    out.append("")
    rows = [
        [
            s["label"],
            s["opened"],
            s["seconds"],
            s["worker_rss_mib"],
            s["api_rss_mib"],
            s["temporal_rss_mib"],
            s["temporal_db_mib"],
        ]
        for s in o["memory_samples"]
    ]
    m = r["memory_after_commands"]
    rows.append(
        [
            "after commands",
            o["opened"],
            "",
            m["worker_rss_mib"],
            m["api_rss_mib"],
            m["temporal_rss_mib"],
            r["temporal_db"]["mib"],
        ]
    )
    out.append(_table(rows, ["memory (MiB) while opening", "opened", "s", "worker", "API", "Temporal", "Temporal DB"]))
    out.append(f"Temporal database (SQLite + WAL): {r['temporal_db']['kib_per_pathway']} KiB per pathway")
    out.append("")
    t = r["timers"]
    rows = [
        ["pathways with a timer pending", t["pathways_with_a_timer"]],
        ["timer fires ahead if nobody acts (open tasks' due dates, §82c clock)", t["fires_total_if_nobody_acts"]],
        ["busiest day (all at that day's Copenhagen midnight)", t["busiest_day"]],
        ["days with fires", t["days_with_fires"]],
        ["steady state: fired per day (a simulated pathway-year's x cohort / 365)", t.get("steady_state_per_day", "")],
        [
            "steady state: started per day (ditto; most are cancelled by a command)",
            t.get("steady_state_started_per_day", ""),
        ],
        [
            "sampled pending timers matching the prediction",
            f"{t['checked_against_temporal']['agree']}/{t['checked_against_temporal']['sampled']}",
        ],
    ]
    out.append(_table(rows, ["timers", "value"]))
    out.append("")
    nl, idc = r["nothing_lost"], r["identity"]
    rows = [
        ["started", nl["started"]],
        ["running in Temporal", nl["running_in_temporal"]],
        ["streams with their opening events", nl["streams_with_opening_events"]],
        ["active in the read models", nl["read_model_active"]],
        ["CPR numbers found in Temporal's database files", idc["in_temporal_db_files"]],
        [f"CPR numbers in {idc['decoded_inputs_checked']} decoded start inputs", idc["in_decoded_inputs"]],
    ]
    out.append(_table(rows, ["nothing lost, no identity in Temporal", "value"]))
    out.append("")
    y = r.get("pathway_year")
    if y:
        rows = [
            ["history events per pathway-year", y["history_events"]],
            ["history bytes per pathway-year", y["history_bytes"]],
            ["runs (continue-as-new)", y["runs"]],
            ["staff commands / signals in the year", y["commands"]],
            ["timers fired / started", f"{y['timers_fired_per_year']} / {y['timers_started']}"],
            ["continue-as-new suggested at", "4,096 events or 4 MiB (hard limit 51,200 / 50 MiB)"],
        ]
        out.append(_table(rows, ["a simulated pathway-year (time-skipping server)", "value"]))
    return "\n".join(out)


def main(args: argparse.Namespace) -> int:
    """The --national run of benchmarks/run.py: prints its table and writes it into the results
    file under "national" → "soak", keeping whatever else the file holds."""
    result = asyncio.run(run(args))
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = render(result)
    print("\n" + text)
    result["table"] = text
    path: Path = args.output
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.setdefault("national", {})["soak"] = result
    path.write_text(json.dumps(existing, indent=1, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {path} (national → soak)")
    return 0


def _cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.national")
    sub = p.add_subparsers(dest="what", required=True)
    w = sub.add_parser("worker", help="dualpath's worker with a smaller cache (started by the soak)")
    w.add_argument("--max-cached", type=int, required=True)
    a = p.parse_args(argv)
    from dualpath import logs
    from dualpath.settings import get_settings

    s = get_settings()
    logs.configure(s.log_format, s.log_level)
    asyncio.run(_serve_worker(a.max_cached))
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
