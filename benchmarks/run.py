"""`make bench`: dualpath side by side with a bare Temporal baseline, on one embedded stack.

    .venv/bin/python -m benchmarks.run [--actions N] [--pathways N] [--open-pathways N] [--cohort N] [--quick]

Starts its own stack (benchmarks/stack.py) in a temporary folder on free loopback ports, then:

1. latency — staff actions through the HTTP API (dialogue consent, completing tasks) one at a
   time, alternating in blocks with baseline updates on the same Temporal server (a bare
   workflow whose update runs a no-op activity), so both see the same machine;
2. throughput — pathways driven end to end (8 staff commands each) by a few concurrent staff,
   alternating in rounds with baseline workflows (a start and 7 updates); projection lag is
   probed meanwhile;
3. memory — resident memory of the worker and the API with --open-pathways open pathways;
4. national scale — a synthetic cohort loaded into the event store and read models
   (benchmarks/cohort.py) up to --cohort pathways, then worklist and list-query latency through
   the API, and projection lag at rest.

Prints a table and writes benchmarks/results.json. Machines differ and this one may be shared:
compare the ratios against the baseline measured in the same run, not absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil

from benchmarks import cohort as cohort_mod
from benchmarks import lag, scenarios
from benchmarks.stack import Stack
from benchmarks.stats import ratio, summary_ms, table

HERE = Path(__file__).resolve().parent
# Staff action against the obvious bare update (p50, p99) and against the floor (p50).
TARGET_P50, TARGET_P99, TARGET_FLOOR_P50, TARGET_LIST_P99_MS = 1.0, 2.0, 1.5, 50.0
WARMUP_BLOCKS = 2
QUICK = dict(actions=40, pathways=8, open_pathways=40, cohort=2000, queries=40, lag_samples=40)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--actions",
        type=int,
        default=200,
        help="staff actions timed one at a time (and as many baseline updates); default 200",
    )
    p.add_argument(
        "--pathways",
        type=int,
        default=24,
        help="pathways driven end to end for throughput (and as many baseline workflows); default 24",
    )
    p.add_argument(
        "--pause",
        type=float,
        default=0.1,
        help="seconds of quiet before each timed call in the latency run; default 0.1",
    )
    p.add_argument("--concurrency", type=int, default=4, help="concurrent staff in the throughput run; default 4")
    p.add_argument(
        "--open-pathways",
        type=int,
        default=200,
        help="open pathways when worker and API memory is measured; default 200 (a region: 2000)",
    )
    p.add_argument(
        "--cohort",
        type=int,
        default=9200,
        help="pathways in the read models for the list queries (national: 9200); default 9200",
    )
    p.add_argument("--queries", type=int, default=200, help="timed requests per list query; default 200")
    p.add_argument("--lag-samples", type=int, default=200, help="projection-lag probes at rest; default 200")
    p.add_argument("--quick", action="store_true", help="small sizes for a smoke run (about a minute)")
    p.add_argument(
        "--profile",
        choices=["timings", "cprofile"],
        help="only the latency phase, with the worker and API instrumented "
        "(benchmarks/instrumented.py); prints where a staff action's time goes",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=HERE / "results.json",
        help="where to write the results (default benchmarks/results.json)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder (logs, databases)")
    p.add_argument(
        "--national",
        action="store_true",
        help="only the national soak (benchmarks/national.py): --cohort pathway workflows open in Temporal, "
        "commands to cached and evicted ones; about 8 minutes on 2 cores",
    )
    args = p.parse_args(argv)
    if args.quick:
        given = set(a.lstrip("-").split("=")[0].replace("-", "_") for a in (argv or sys.argv[1:]))
        for k, v in QUICK.items():
            if k not in given:
                setattr(args, k, v)
    return args


def log(msg: str) -> None:
    print(msg, flush=True)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# -- phases ---------------------------------------------------------------------------------


async def latency_phase(api, client, stack, n_actions: int, concurrency: int, pause: float) -> dict:
    """Staff actions and the two baselines' updates, one at a time, in blocks of 4 per pathway or
    workflow; the side that goes first rotates.

    Each call waits `pause` seconds first: the server then has finished the previous call's
    background work (history, visibility and timer tasks), so no call is timed in the wake of
    the one before, its own side's or the other's. Without it, the baseline measured right after
    dualpath's heavier commands came out three times slower (14 → 49 ms p50) on this machine."""
    blocks = math.ceil(n_actions / 4) + WARMUP_BLOCKS
    log(f"latency: opening {blocks} pathways and {2 * blocks} baseline workflows")
    _, opened = await scenarios.run_concurrently(blocks, concurrency, lambda: scenarios.open_pathway(api))
    pathway_ids = [pid for pid, _ in opened]
    handles = [(await scenarios.baseline_start(client, stack.baseline_queue))[0] for _ in range(2 * blocks)]
    staff: dict[str, list[float]] = {"record_consent": [], "complete_task": []}
    base: list[float] = []
    floor: list[float] = []
    log(
        f"latency: {blocks * 4} staff actions and {blocks * 4} updates of each baseline, rotating "
        f"(first {WARMUP_BLOCKS * 4} of each are warm-up)"
    )
    for i, pathway_id in enumerate(pathway_ids):
        # Bound to this block's pathway and workflows (called within the iteration).
        async def dualpath_block(pathway_id=pathway_id):
            return await scenarios.phase_one_actions(api, pathway_id, pause)

        async def baseline_block(handle, local: bool):
            out = []
            for _ in range(4):
                await asyncio.sleep(pause)
                out.append(await scenarios.baseline_update(handle, local=local))
            return out

        sides = [
            ("dualpath", dualpath_block),
            ("baseline", lambda h=handles[2 * i]: baseline_block(h, False)),
            ("floor", lambda h=handles[2 * i + 1]: baseline_block(h, True)),
        ]
        sides = sides[i % 3 :] + sides[: i % 3]
        got = {name: await block() for name, block in sides}
        if i >= WARMUP_BLOCKS:
            for kind, t in got["dualpath"]:
                staff[kind].append(t)
            base += got["baseline"]
            floor += got["floor"]
    every = staff["record_consent"] + staff["complete_task"]
    result = {
        "staff_action": summary_ms(every),
        "staff_action_by_kind": {k: summary_ms(v) for k, v in staff.items()},
        "baseline_update": summary_ms(base),
        "floor_update": summary_ms(floor),
        "open_pathway_under_concurrency": {
            k: summary_ms([t for _, ts in opened for kk, t in ts if kk == k]) for k in ("refer", "accept")
        },
        "pathway_ids": pathway_ids,
    }
    result["ratio_p50"] = ratio(result["staff_action"]["p50_ms"], result["baseline_update"]["p50_ms"])
    result["ratio_p99"] = ratio(result["staff_action"]["p99_ms"], result["baseline_update"]["p99_ms"])
    result["ratio_floor_p50"] = ratio(result["staff_action"]["p50_ms"], result["floor_update"]["p50_ms"])
    result["ratio_floor_p99"] = ratio(result["staff_action"]["p99_ms"], result["floor_update"]["p99_ms"])
    return result


async def throughput_phase(api, client, stack, store, pool, n: int, concurrency: int) -> dict:
    """Pathways end to end vs baseline workflows, concurrently, in alternating halves."""
    halves = [n // 2, n - n // 2]
    d_wall = b_wall = 0.0
    d_cpu: dict[str, float] = {}
    b_cpu: dict[str, float] = {}

    def add_cpu(into: dict, before: dict, after: dict) -> None:
        for k in after:
            into[k] = into.get(k, 0.0) + after[k] - before.get(k, 0.0)

    d_cmds: dict[str, list[float]] = {}
    b_cmds: list[float] = []
    under_load: list[float] = []
    for half in halves:
        before = stack.cpu_seconds()
        wall, runs = await scenarios.run_concurrently(
            half, concurrency, lambda: scenarios.baseline_end_to_end(client, stack.baseline_queue)
        )
        add_cpu(b_cpu, before, stack.cpu_seconds())
        b_wall += wall
        b_cmds += [t for r in runs for _, t in r]
        before = stack.cpu_seconds()
        wall, runs = await scenarios.run_concurrently(half, concurrency, lambda: scenarios.pathway_end_to_end(api))
        add_cpu(d_cpu, before, stack.cpu_seconds())
        d_wall += wall
        for r in runs:
            for kind, t in r:
                d_cmds.setdefault(kind, []).append(t)
        log(f"throughput: {half} pathways in {wall:.1f} s; {half} baseline workflows")
    # Projection lag under load: more pathways driven the same way, probed every 50 ms (apart from
    # the timed rounds, so the probes' own work is not counted in their CPU and rate).
    extra = max(concurrency, n // 3)
    stop = asyncio.Event()
    prober = asyncio.create_task(lag.probe_until(store, pool, stop, pause=0.05, limit=2000))
    await scenarios.run_concurrently(extra, concurrency, lambda: scenarios.pathway_end_to_end(api))
    stop.set()
    under_load = await prober
    log(f"throughput: projection lag probed while {extra} more pathways ran ({len(under_load)} probes)")
    d_rate, b_rate = n / d_wall, n / b_wall
    return {
        "pathways": n,
        "concurrency": concurrency,
        "dualpath_pathways_per_s": round(d_rate, 2),
        "baseline_workflows_per_s": round(b_rate, 2),
        "ratio": ratio(d_rate, b_rate),
        "dualpath_command_latency_under_load": {k: summary_ms(v) for k, v in d_cmds.items()},
        "baseline_call_latency_under_load": summary_ms(b_cmds),
        "projection_lag_under_load": summary_ms(under_load),
        # CPU time each process spent per pathway (dualpath) or per workflow (baseline).
        "cpu_ms_per_pathway": {k: round(v * 1000 / n, 1) for k, v in sorted(d_cpu.items())},
        "cpu_ms_per_baseline_workflow": {k: round(v * 1000 / n, 1) for k, v in sorted(b_cpu.items())},
    }


async def memory_phase(api, stack, pool, target: int, concurrency: int) -> dict:
    async def open_count() -> int:
        return await pool.fetchval("SELECT count(*) FROM rm_pathways WHERE status = 'active'")

    def sample(label: str, n: int) -> dict:
        return {
            "label": label,
            "open_pathways": n,
            **{
                f"{name}_rss_mib": round(stack.rss(name) / 2**20, 1)
                for name in ("worker", "api", "temporal", "baseline-worker")
            },
        }

    points = [sample("before", await open_count())]
    more = max(0, target - points[0]["open_pathways"])
    log(f"memory: opening {more} more pathways (to {target} open)")
    started = time.perf_counter()
    wall = 0.0
    # In up to four steps, sampling after each: the worker caches at most 1,000 workflows.
    steps = [more // 4] * 3 + [more - 3 * (more // 4)] if more >= 400 else [more]
    for i, step in enumerate(steps):
        w, _ = await scenarios.run_concurrently(step, concurrency, lambda: scenarios.open_pathway(api))
        wall += w
        await asyncio.sleep(1)
        points.append(sample("after" if i == len(steps) - 1 else f"step {i + 1}", await open_count()))
    per = None
    dn = points[-1]["open_pathways"] - points[0]["open_pathways"]
    if dn > 0:
        per = {
            name: round((points[-1][f"{name}_rss_mib"] - points[0][f"{name}_rss_mib"]) * 1024 / dn, 1)
            for name in ("worker", "api", "temporal")
        }
    return {
        "points": points,
        "kib_per_open_pathway": per,
        "opened": more,
        "opened_per_s": round(more / wall, 2) if more and wall else None,
        "seconds": round(time.perf_counter() - started, 1),
    }


LIST_QUERIES = [
    # (name, role, org, path, params)
    ("worklist, clinician, largest region", "clinician", "region:1084", "/worklist", {"limit": 100}),
    ("worklist by kind, clinician", "clinician", "region:1084", "/worklist", {"kind": "crisis_plan", "limit": 100}),
    ("active pathways, clinician, page 1", "clinician", "region:1084", "/pathways", {"status": "active", "limit": 100}),
    (
        "phase 2 pathways, page 5",
        "clinician",
        "region:1084",
        "/pathways",
        {"status": "active", "phase": 2, "limit": 100, "offset": 400},
    ),
    ("pathways shared with a municipality", "municipality", "municipality:101", "/pathways", {"limit": 100}),
    ("all pathways, ops (national)", "ops", "ops:national", "/pathways", {"limit": 100}),
]


async def national_phase(api, stack, pool, store, n_cohort: int, n_queries: int, n_lag: int) -> dict:
    existing = await pool.fetchval("SELECT count(*) FROM rm_pathways")
    to_load = max(0, n_cohort - existing)
    log(f"national: generating {to_load} pathways (with {existing} driven through Temporal: {n_cohort})")
    started = time.perf_counter()
    cohort = await asyncio.to_thread(cohort_mod.generate, to_load, now=datetime.now(UTC))
    generated = time.perf_counter()
    counts = await cohort_mod.load(pool, cohort)
    await cohort_mod.analyze(pool)
    loaded = time.perf_counter()
    sample = [p[0] for p in random.Random(1).sample(cohort.pathways, min(200, len(cohort.pathways)))]
    differences = await cohort_mod.verify(pool, sample) if sample else []
    if differences:
        log(
            "  WARNING: the loaded cohort differs from what the projections make of its events:\n  "
            + "\n  ".join(differences[:5])
        )
    totals = {
        t: await pool.fetchval(f"SELECT count(*) FROM {t}")
        for t in ("rm_pathways", "rm_tasks", "rm_consents", "rm_referrals", "events")
    }
    totals["open_tasks"] = await pool.fetchval("SELECT count(*) FROM rm_tasks WHERE state = 'open'")
    log(
        f"national: loaded {counts['pathways']} pathways, {counts['events']} events in "
        f"{loaded - generated:.1f} s (generated in {generated - started:.1f} s); read models now hold "
        f"{totals['rm_pathways']} pathways, {totals['open_tasks']} open tasks, {totals['events']} events"
    )

    views = [
        r["pathway_id"] for r in await pool.fetch("SELECT pathway_id FROM rm_pathways WHERE region = '1084' LIMIT 500")
    ]
    queries = list(LIST_QUERIES) + [
        ("pathway view (GET /pathways/{id})", "clinician", "region:1084", None, None),
        ("floor: GET /healthz (no auth, no DB)", "clinician", "region:1084", "/healthz", {}),
    ]
    times: dict[str, list[float]] = {q[0]: [] for q in queries}
    rng = random.Random(2)
    log(f"national: {n_queries} requests per query, round robin (5 warm-up rounds)")
    for round_ in range(n_queries + 5):
        for name, role, org, path, params in queries:
            if path is None:
                if not views:
                    continue
                path, params = f"/pathways/{rng.choice(views)}", {}
            t, body = await api.timed("GET", path, role=role, org=org, params=params)
            if round_ == 0 and isinstance(body, list) and not body and name.startswith(("worklist", "active")):
                log(f"  WARNING: {name} answered an empty list")
            if round_ >= 5:
                times[name].append(t)
    log(f"national: {n_lag} projection-lag probes at rest")
    rest = await lag.probe_many(store, pool, n_lag, pause=0.01)
    return {
        "cohort": n_cohort,
        "loaded": counts,
        "read_models": totals,
        "load_seconds": round(loaded - generated, 1),
        "generate_seconds": round(generated - started, 1),
        "verified_against_projections": {"pathways": len(sample), "differences": len(differences)},
        "queries": {name: summary_ms(ts) for name, ts in times.items() if ts},
        "projection_lag_at_rest": summary_ms(rest),
    }


# -- output ---------------------------------------------------------------------------------


def render(r: dict) -> str:
    out = []
    m = r["run"]
    out.append(
        f"dualpath benchmark, {m['finished_at']}: {m['machine']['cpus']} CPUs, load average "
        f"{m['machine']['load_avg']} at start, {m['seconds']:.0f} s"
    )
    a = m["args"]
    out.append(
        f"sizes: --actions {a['actions']} --pause {a['pause']} --pathways {a['pathways']} --concurrency "
        f"{a['concurrency']} --open-pathways {a['open_pathways']} --cohort {a['cohort']} --queries "
        f"{a['queries']} --lag-samples {a['lag_samples']}"
    )
    out.append(
        "Ratios compare with the baseline measured alongside in this run; absolute numbers depend "
        "on the machine and its other load.\n"
    )
    lat = r["latency"]
    rows = [
        [
            "staff action (HTTP: consent or complete task)",
            lat["staff_action"]["n"],
            lat["staff_action"]["p50_ms"],
            lat["staff_action"]["p99_ms"],
        ],
        *[[f"  {k}", v["n"], v["p50_ms"], v["p99_ms"]] for k, v in lat["staff_action_by_kind"].items()],
        [
            "baseline update (bare workflow, no-op activity)",
            lat["baseline_update"]["n"],
            lat["baseline_update"]["p50_ms"],
            lat["baseline_update"]["p99_ms"],
        ],
        [
            "floor update (bare workflow, local no-op activity)",
            lat["floor_update"]["n"],
            lat["floor_update"]["p50_ms"],
            lat["floor_update"]["p99_ms"],
        ],
        [
            "ratio staff action / baseline",
            "",
            f"{lat['ratio_p50']}x (goal <= {TARGET_P50:g})",
            f"{lat['ratio_p99']}x (goal <= {TARGET_P99:g})",
        ],
        [
            "ratio staff action / floor",
            "",
            f"{lat['ratio_floor_p50']}x (goal <= {TARGET_FLOOR_P50:g})",
            f"{lat['ratio_floor_p99']}x",
        ],
    ]
    out.append(table(rows, ["latency, one at a time", "n", "p50 ms", "p99 ms"]))
    out.append("")
    if "throughput" in r:
        t = r["throughput"]
        rows = [
            [
                f"dualpath pathways end to end (8 commands), {t['concurrency']} concurrent",
                t["pathways"],
                t["dualpath_pathways_per_s"],
            ],
            ["baseline workflows (start + 7 updates)", t["pathways"], t["baseline_workflows_per_s"]],
            ["ratio dualpath / baseline", "", f"{t['ratio']}x"],
        ]
        out.append(table(rows, ["throughput", "n", "per s"]))
        out.append("")
        names = sorted(set(t["cpu_ms_per_pathway"]) | set(t["cpu_ms_per_baseline_workflow"]))
        rows = [[k, t["cpu_ms_per_pathway"].get(k, 0), t["cpu_ms_per_baseline_workflow"].get(k, 0)] for k in names]
        rows.append(
            [
                "total",
                round(sum(t["cpu_ms_per_pathway"].values()), 1),
                round(sum(t["cpu_ms_per_baseline_workflow"].values()), 1),
            ]
        )
        out.append(table(rows, ["CPU ms per pathway / baseline workflow", "dualpath", "baseline"]))
        out.append("")
    if "memory" in r:
        mem = r["memory"]
        rows = [
            [p["label"], p["open_pathways"], p["worker_rss_mib"], p["api_rss_mib"], p["temporal_rss_mib"]]
            for p in mem["points"]
        ]
        if mem["kib_per_open_pathway"]:
            k = mem["kib_per_open_pathway"]
            rows.append(["KiB per open pathway", "", k["worker"], k["api"], k["temporal"]])
        out.append(table(rows, ["resident memory (MiB)", "open pathways", "worker", "API", "Temporal"]))
        out.append("")
    if "national" in r:
        nat = r["national"]
        rows = [[name, q["n"], q["p50_ms"], q["p99_ms"]] for name, q in nat["queries"].items()]
        rm = nat["read_models"]
        out.append(
            table(
                rows,
                [
                    f"list queries, {rm['rm_pathways']} pathways / {rm['rm_tasks']} tasks / {rm['events']} events",
                    "n",
                    "p50 ms",
                    "p99 ms",
                ],
            )
        )
        out.append("")
    rows = []
    if "national" in r:
        q = r["national"]["projection_lag_at_rest"]
        rows.append(["at rest (national scale)", q["n"], q["p50_ms"], q["p99_ms"]])
    if "throughput" in r:
        q = r["throughput"]["projection_lag_under_load"]
        rows.append(["under load (throughput run)", q["n"], q["p50_ms"], q["p99_ms"]])
    if rows:
        out.append(table(rows, ["projection lag (append -> read model)", "n", "p50 ms", "p99 ms"]))
        out.append("")
    if "profile" in r:
        out.append(r["profile"]["text"])
    return "\n".join(out)


# -- profile ---------------------------------------------------------------------------------


def profile_report(stack: Stack, mode: str) -> dict:
    if mode == "cprofile":
        import io
        import pstats

        text = []
        for role in ("api", "worker"):
            path = stack.data / f"{role}.prof"
            if not path.exists():
                text.append(f"(no profile for the {role})")
                continue
            buf = io.StringIO()
            pstats.Stats(str(path), stream=buf).sort_stats("tottime").print_stats(25)
            text.append(f"== {role}: top 25 by own time ==\n" + buf.getvalue())
        return {"text": "\n".join(text)}
    rows, data = [], {}
    for role in ("api", "worker", "baseline-worker"):
        path = stack.data / f"{role}-timings.json"
        if not path.exists():
            continue
        timings = json.loads(path.read_text())
        for label, xs in sorted(timings.items()):
            s = summary_ms(xs)
            data[f"{role}: {label}"] = {**s, "total_ms": round(sum(xs) * 1000, 1)}
            rows.append([f"{role}: {label}", s["n"], s["p50_ms"], s["p99_ms"], round(sum(xs) * 1000)])
    return {
        "text": table(rows, ["where the time goes (instrumented)", "n", "p50 ms", "p99 ms", "total ms"]),
        "timings": data,
    }


# -- main -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict:
    from temporalio.client import Client

    from dualpath.eventstore import EventStore
    from dualpath.settings import Settings

    started = time.perf_counter()
    results: dict = {
        "run": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        }
    }
    log("starting the stack")
    stack = await Stack.start(keep=args.keep, profile=args.profile, log=log)
    api = scenarios.Api(stack.api_base, Settings(_env_file=None))
    pool = None
    try:
        client = await Client.connect(stack.temporal_address)
        pool = await asyncpg.create_pool(stack.dsn, min_size=2, max_size=4)
        store = EventStore(pool)
        results["latency"] = await latency_phase(api, client, stack, args.actions, args.concurrency, args.pause)
        stack.check_alive()
        if args.profile:
            log("stopping the stack to collect the profile")
            await api.aclose()
            await pool.close()
            pool = None
            stack.stop_processes()
            results["profile"] = profile_report(stack, args.profile)
        else:
            results["throughput"] = await throughput_phase(
                api, client, stack, store, pool, args.pathways, args.concurrency
            )
            stack.check_alive()
            results["memory"] = await memory_phase(api, stack, pool, args.open_pathways, args.concurrency)
            stack.check_alive()
            results["national"] = await national_phase(
                api, stack, pool, store, args.cohort, args.queries, args.lag_samples
            )
            stack.check_alive()
            results["memory"]["end"] = {f"{n}_rss_mib": round(stack.rss(n) / 2**20, 1) for n in ("worker", "api")}
    finally:
        await stack.close(api, pool, log)
    results["latency"].pop("pathway_ids", None)
    results["run"].update(
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 1),
        load_avg_at_end=[round(x, 2) for x in os.getloadavg()],
    )
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.national:
        from benchmarks import national

        return national.main(args)
    results = asyncio.run(run(args))
    text = render(results)
    print("\n" + text)
    results["table"] = text
    # The national soak is a run of its own (--national): keep its figures.
    if args.output.exists() and "national" in (earlier := json.loads(args.output.read_text())):
        results["national"] = earlier["national"]
    args.output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
