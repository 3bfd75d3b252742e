"""The worker or the API, instrumented: `make bench BENCH_ARGS=--profile=timings` (or `cprofile`).

    python -m benchmarks.instrumented worker
    python -m benchmarks.instrumented api --port 8000

`BENCH_PROFILE=timings` wraps the steps of a staff action with wall-clock timers (the route's
own reads, the Temporal update, the wait for the projections, the event-store append, the
projection batches) and writes `<role>-timings.json` to `BENCH_PROFILE_DIR` on exit.
`BENCH_PROFILE=cprofile` runs the process under cProfile and writes `<role>.prof` there.
Nothing here changes what the code does; the wrappers only time it.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import inspect
import json
import os
import time
from collections import defaultdict
from pathlib import Path

TIMINGS: dict[str, list[float]] = defaultdict(list)


def _timed(label: str, fn):
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            TIMINGS[label].append(time.perf_counter() - started)

    return wrapper


def _timed_sync(label: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMINGS[label].append(time.perf_counter() - started)

    return wrapper


def _patch(obj, name: str, label: str) -> None:
    fn = getattr(obj, name)
    setattr(obj, name, _timed(label, fn) if inspect.iscoroutinefunction(fn) else _timed_sync(label, fn))


def _instrument_common() -> None:
    from dualpath.eventstore import projections, store

    _patch(store.EventStore, "append", "eventstore.append")
    _patch(store.EventStore, "read_stream", "eventstore.read_stream")
    _patch(projections.ProjectionRunner, "catch_up", "projections.catch_up")
    _patch(projections.ProjectionRunner, "_batch", "projections.batch")
    _patch(projections.ProjectionRunner, "wait_for", "projections.wait_for")
    _patch(projections.ProjectionRunner, "_held_back", "projections.held_back check")


def _instrument_worker() -> None:
    from temporalio.worker import _workflow

    # A workflow activation runs in a thread (cProfile does not see it): time it here.
    _patch(_workflow._RunningWorkflow, "activate", "workflow activation (in its thread)")
    _patch(_workflow._WorkflowWorker, "_handle_activation", "workflow task: decode, activate, encode, complete")
    _patch(_workflow._WorkflowWorker, "_create_workflow_instance", "new workflow instance (sandbox)")
    from temporalio.bridge import worker as bridge

    _patch(bridge, "decode_activation", "workflow task: decode payloads")
    _patch(bridge, "encode_completion", "workflow task: encode payloads")
    _patch(bridge.Worker, "complete_workflow_activation", "workflow task: complete (server persists it)")
    _patch(bridge.Worker, "complete_activity_task", "activity task: complete (server persists it)")


def _instrument_api() -> None:
    from temporalio.client import WorkflowHandle, WorkflowUpdateHandle

    from dualpath.api import access
    from dualpath.api.routes import pathways
    from dualpath.readmodels import queries

    _patch(WorkflowHandle, "execute_update", "temporal.execute_update")
    _patch(WorkflowHandle, "start_update", "temporal.start_update (to accepted)")
    _patch(WorkflowUpdateHandle, "result", "temporal.update result (accepted to completed)")
    _patch(access, "record", "access_log insert")
    _patch(access, "may_see", "access.may_see")
    for name in ("pathway", "pathway_tasks", "pathway_consents", "task", "worklist", "pathways"):
        _patch(queries, name, f"queries.{name}")
    # Before the other route modules import them by name.
    _patch(pathways, "visible_pathway", "route: visible_pathway")
    _patch(pathways, "answer", "route: answer (the pathway read back)")

    from dualpath.api import main

    create_app = main.create_app

    def create_timed_app(settings=None):
        app = create_app(settings)
        inner = app.build_middleware_stack

        def build():
            asgi = inner()

            async def timed(scope, receive, send):
                if scope["type"] != "http":
                    return await asgi(scope, receive, send)
                path = scope["path"]
                kind = (
                    "POST …/complete"
                    if path.endswith("/complete")
                    else "POST …/consents"
                    if path.endswith("/consents")
                    else f"{scope['method']} other"
                )
                started = time.perf_counter()
                try:
                    return await asgi(scope, receive, send)
                finally:
                    TIMINGS[f"http server: {kind}"].append(time.perf_counter() - started)

            return timed

        app.build_middleware_stack = build
        return app

    main.create_app = create_timed_app


def _dump(role: str, out: Path) -> None:
    (out / f"{role}-timings.json").write_text(json.dumps(TIMINGS))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["worker", "api"])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    mode = os.environ.get("BENCH_PROFILE", "timings")
    out = Path(os.environ.get("BENCH_PROFILE_DIR", "."))
    if mode == "cprofile":
        import cProfile

        profiler = cProfile.Profile()
        atexit.register(lambda: (profiler.disable(), profiler.dump_stats(out / f"{args.role}.prof")))
        profiler.enable()
    else:
        _instrument_common()
        if args.role == "api":
            _instrument_api()
        else:
            _instrument_worker()
        atexit.register(_dump, args.role, out)
    if args.role == "worker":
        from dualpath.worker import main as worker_main

        worker_main()
    else:
        import signal
        import sys

        import uvicorn

        from dualpath.api import main as api_main

        # uvicorn re-raises the SIGTERM it stopped on once it has shut down; exit through
        # Python then, so that the atexit hook writes what was measured.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

        uvicorn.run(api_main.app, factory=True, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
