"""The worker's memory per cached pathway, A/B: `python -m benchmarks.memory`.

Starts embedded PostgreSQL and the Temporal dev server (as `benchmarks/stack.py` does), then, one
variant at a time, a real worker process (`python -m dualpath.worker`) on a task queue of its own:

- `shared`: the worker as configured by default (`DUALPATH_WORKER_SANDBOX_SHARING=true`);
- `reimport`: the same worker with the shared modules imported afresh in every workflow's sandbox
  (`DUALPATH_WORKER_SANDBOX_SHARING=false`, the worker before issue #14 item 3);
- `unsandboxed`: the same worker without the sandbox (a floor to compare with, not an option for
  production: the sandbox is what catches non-deterministic workflow code);
- `baseline` (with `--baseline`): the bare workflow of `benchmarks/baseline.py`, the SDK's defaults
  (a cache of 1,000: beyond that its figure counts evicted workflows too).

For each it opens `--warm-up` pathways, reads the worker's RSS, opens `--pathways` more and reads it
again: KiB per cached pathway = the growth / the pathways opened. A pathway is opened as a referral's
acceptance leaves it: `PathwayWorkflow` started through the client (pseudonymous ids only) and
queried once, so that it has run its first tasks and sits in the worker's cache. The worker's cache
is set large enough to hold them all.

`--tracemalloc` runs each worker under tracemalloc (slower, and more memory) and prints where the
growth went, by file and line (the diff of a snapshot taken before and after the pathways). The
worker takes a snapshot on SIGUSR1 (`python -m benchmarks.memory --worker`, a wrapper around
`dualpath.worker.main`).

    python -m benchmarks.memory                                  # 300 pathways per variant
    python -m benchmarks.memory --pathways 2000 --variants shared
    python -m benchmarks.memory --pathways 200 --tracemalloc --top 25
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psutil
from temporalio.service import RPCError, RPCStatusCode

from benchmarks.stack import ROOT, Stack, stop_process

REGION = "1082"
MUNICIPALITY = "751"
SNAPSHOT_ENV = "BENCH_MEMORY_SNAPSHOTS"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pathways", type=int, default=300, help="pathways opened per variant (measured)")
    parser.add_argument("--warm-up", type=int, default=20, help="pathways opened before the first reading")
    parser.add_argument("--variants", default="reimport,shared", help="comma-separated: reimport, shared, unsandboxed")
    parser.add_argument("--baseline", action="store_true", help="also measure the bare baseline workflow")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds of quiet before each reading")
    parser.add_argument("--tracemalloc", action="store_true", help="where the growth went (slower)")
    parser.add_argument("--top", type=int, default=15, help="lines of the tracemalloc diff to print")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def log(msg: str) -> None:
    print(msg, flush=True)


# -- the worker under tracemalloc ----------------------------------------------------------------------


def run_worker() -> None:
    """`dualpath.worker.main`, without the sandbox when BENCH_MEMORY_UNSANDBOXED is set, and under
    tracemalloc when BENCH_MEMORY_SNAPSHOTS names a folder: then SIGUSR1 writes a snapshot (after a
    full collection) there, numbered from 0, followed by an empty `<n>.done`."""
    from dualpath import worker

    if os.environ.get("BENCH_MEMORY_UNSANDBOXED"):
        from temporalio.worker import UnsandboxedWorkflowRunner

        worker.workflow_runner = lambda settings: UnsandboxedWorkflowRunner()  # type: ignore[assignment]
    if SNAPSHOT_ENV not in os.environ:
        worker.main()
        return
    import tracemalloc

    tracemalloc.start(int(os.environ.get("BENCH_MEMORY_FRAMES", "1")))
    folder = Path(os.environ[SNAPSHOT_ENV])
    taken = 0

    def snapshot(signum, frame) -> None:
        nonlocal taken
        gc.collect()
        path = folder / f"{taken}.snapshot"
        tracemalloc.take_snapshot().dump(str(path))
        (folder / f"{taken}.done").touch()
        taken += 1

    signal.signal(signal.SIGUSR1, snapshot)
    worker.main()


# -- one variant ------------------------------------------------------------------------------------------


class Variant:
    def __init__(self, name: str, stack: Stack, *, cache: int, traced: bool) -> None:
        self.name = name
        self.stack = stack
        self.traced = traced
        self.queue = f"bench-memory-{name}-{uuid.uuid4().hex[:6]}"
        self.snapshots = stack.data / f"snapshots-{name}"
        self.snapshots.mkdir()
        env = stack.env(api_port=0)
        env.update(
            DUALPATH_TASK_QUEUE=self.queue,
            DUALPATH_WORKER_MAX_CACHED_WORKFLOWS=str(cache),
            DUALPATH_WORKER_SANDBOX_SHARING="false" if name == "reimport" else "true",
        )
        py = sys.executable
        if name == "baseline":
            args = [py, "-m", "benchmarks.baseline", "--address", stack.temporal_address, "--task-queue", self.queue]
        elif traced or name == "unsandboxed":
            args = [py, "-m", "benchmarks.memory", "--worker"]
            if traced:
                env[SNAPSHOT_ENV] = str(self.snapshots)
            if name == "unsandboxed":
                env["BENCH_MEMORY_UNSANDBOXED"] = "1"
        else:
            args = [py, "-m", "dualpath.worker"]
        self.log_name = f"worker-{name}"
        self.proc = stack._spawn(self.log_name, args, env)
        self.taken = 0

    async def ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} worker exited (code {self.proc.returncode}):\n{self.tail()}")
            text = self.tail()
            if "worker started" in text or "baseline worker ready" in text:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} worker was not ready in {timeout:.0f} s:\n{text}")
            await asyncio.sleep(0.2)

    def tail(self) -> str:
        return self.stack.tail(self.log_name)

    def rss(self) -> int:
        return psutil.Process(self.proc.pid).memory_info().rss

    async def snapshot(self) -> Path | None:
        """A tracemalloc snapshot of the worker (None when not traced)."""
        if not self.traced or self.name == "baseline":
            return None
        n = self.taken
        self.taken += 1
        self.proc.send_signal(signal.SIGUSR1)
        while not (self.snapshots / f"{n}.done").exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} worker died:\n{self.tail()}")
            await asyncio.sleep(0.2)
        return self.snapshots / f"{n}.snapshot"

    def stop(self) -> None:
        if self.proc.poll() is None:
            stop_process(self.proc)


async def open_pathways(client, variant: Variant, n: int, concurrency: int) -> float:
    """Start n pathways on the variant's queue and query each once; wall seconds."""
    from dualpath import workflow_ids
    from dualpath.domain.events import Actor
    from dualpath.workflows import pathway as wf

    actor = Actor(subject="bench-memory", role="visitation", organisation=f"region:{REGION}")
    todo = iter(range(n))

    async def one() -> None:
        state = wf.PathwayState.model_validate(
            {
                "pathway_id": str(uuid.uuid4()),
                "referral_id": str(uuid.uuid4()),
                "patient_id": str(uuid.uuid4()),  # a pseudonym: no CPR number or name enters Temporal
                "group": 2,
                "region": REGION,
                "municipality": MUNICIPALITY,
                "catalogue_version": "v1",
            }
        )
        handle = await client.start_workflow(
            wf.PathwayWorkflow.run,
            wf.PathwayInput(state=state, actor=actor),
            id=workflow_ids.pathway(state.pathway_id, REGION),
            task_queue=variant.queue,
        )
        # Under tracemalloc the worker is slow: a query may wait a while for its workflow task.
        for _ in range(5):
            try:
                await handle.query(wf.PathwayWorkflow.view, rpc_timeout=timedelta(seconds=60))
                return
            except RPCError as exc:
                if exc.status != RPCStatusCode.DEADLINE_EXCEEDED and "Timeout" not in str(exc):
                    raise
        raise RuntimeError(f"pathway {state.pathway_id} never answered its query")

    async def baseline_one() -> None:
        from benchmarks.baseline import BaselineWorkflow

        handle = await client.start_workflow(
            BaselineWorkflow.run, id=f"bench-memory-baseline-{uuid.uuid4()}", task_queue=variant.queue
        )
        await handle.execute_update(BaselineWorkflow.act, False)

    job = baseline_one if variant.name == "baseline" else one

    async def drive() -> None:
        for _ in todo:
            await job()

    started = time.perf_counter()
    await asyncio.gather(*(drive() for _ in range(max(1, min(concurrency, n)))))
    return time.perf_counter() - started


def traced_diff(before: Path, after: Path, n: int, top: int) -> list[dict]:
    import tracemalloc

    diff = tracemalloc.Snapshot.load(str(after)).compare_to(tracemalloc.Snapshot.load(str(before)), "lineno")
    total = sum(d.size_diff for d in diff)
    rows = [{"where": "total traced", "kib_per_pathway": round(total / n / 1024, 1)}]
    for d in diff[:top]:
        frame = d.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        rows.append({"where": where, "kib_per_pathway": round(d.size_diff / n / 1024, 1)})
    return rows


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


async def measure(stack: Stack, name: str, args: argparse.Namespace) -> dict:
    from dualpath import temporal_client
    from dualpath.settings import Settings

    cache = max(args.pathways + args.warm_up + 100, 1000)
    variant = Variant(name, stack, cache=cache, traced=args.tracemalloc)
    try:
        await variant.ready()
        if name == "baseline":
            from temporalio.client import Client

            client = await Client.connect(stack.temporal_address)
        else:
            settings = Settings(
                _env_file=None,
                temporal_address=stack.temporal_address,
                temporal_embedded=False,
                task_queue=variant.queue,
                database_url=stack.dsn,
            )
            client = await temporal_client.connect(settings)
        await open_pathways(client, variant, args.warm_up, args.concurrency)
        await asyncio.sleep(args.settle)
        first = await variant.snapshot()
        before = variant.rss()
        seconds = await open_pathways(client, variant, args.pathways, args.concurrency)
        await asyncio.sleep(args.settle)
        second = await variant.snapshot()
        after = variant.rss()
        result = {
            "variant": name,
            "pathways": args.pathways,
            "rss_before_mib": round(before / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "kib_per_pathway": round((after - before) / 1024 / args.pathways, 1),
            "opened_per_s": round(args.pathways / seconds, 1),
        }
        if first and second:
            result["traced"] = traced_diff(first, second, args.pathways, args.top)
        return result
    finally:
        variant.stop()


async def start_stack(keep: bool) -> Stack:
    """PostgreSQL and the Temporal dev server only: the workers are the variants'."""
    tmp = Path(tempfile.mkdtemp(prefix="dualpath-memory-"))
    stack = Stack(tmp=tmp, data=tmp / "data", keep=keep)
    stack.data.mkdir()
    try:
        await stack.start_servers(log=lambda _msg: None)
    except BaseException:
        stack.stop()
        raise
    return stack


def render(results: list[dict]) -> str:
    lines = [
        f"{'variant':10s} {'pathways':>8s} {'RSS before MiB':>15s} {'RSS after MiB':>14s} "
        f"{'KiB/pathway':>12s} {'opened/s':>9s}"
    ]
    for r in results:
        lines.append(
            f"{r['variant']:10s} {r['pathways']:8d} {r['rss_before_mib']:15.1f} {r['rss_after_mib']:14.1f} "
            f"{r['kib_per_pathway']:12.1f} {r['opened_per_s']:9.1f}"
        )
    for r in results:
        if "traced" in r:
            lines.append(f"\n{r['variant']}: tracemalloc growth per pathway (KiB), by line")
            lines += [f"  {row['kib_per_pathway']:8.1f}  {row['where']}" for row in r["traced"]]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[dict]:
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(names) - {"reimport", "shared", "unsandboxed"}
    if unknown:
        raise SystemExit(f"unknown variants: {', '.join(sorted(unknown))} (reimport, shared, unsandboxed)")
    if args.baseline:
        names.append("baseline")
        if args.warm_up + args.pathways > 1000:
            log("note: the baseline's worker caches 1,000 workflows; its KiB per workflow is low beyond that")
    log(f"starting PostgreSQL and Temporal (load average {os.getloadavg()[0]:.1f})")
    stack = await start_stack(args.keep)
    results = []
    try:
        for name in names:
            log(f"{name}: {args.warm_up} + {args.pathways} pathways")
            results.append(await measure(stack, name, args))
            log(f"  {results[-1]['kib_per_pathway']} KiB per pathway")
    finally:
        stack.stop()  # removes the data folder unless --keep
        if args.keep:
            log(f"kept {stack.tmp}")
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        run_worker()
        return 0
    results = asyncio.run(run(args))
    print()
    print(render(results))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
