"""The baseline: a bare Temporal workflow on the same server, the floor dualpath stands on.

One update, `act`, runs a no-op activity and returns: the shape of a staff command (an update
whose handler awaits an activity) with nothing else, written the obvious way. `act_local` runs the
same no-op as a local activity, inside the workflow task that took the update: the floor, the
least one Temporal update that does some work in the worker can cost. `act(True)` also lets the workflow finish,
so a baseline "pathway" is a start, some updates, and a last update that ends it. It uses the
SDK's default data converter: no pydantic models, no encryption, no search attributes.

Run its worker as its own process, like dualpath's:
    python -m benchmarks.baseline --address 127.0.0.1:7233 --task-queue bench-baseline-x
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop() -> None:
    return None


@workflow.defn(name="BenchBaseline")
class BaselineWorkflow:
    def __init__(self) -> None:
        self._acts = 0
        self._done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done and workflow.all_handlers_finished())
        return self._acts

    @workflow.update
    async def act(self, finish: bool) -> int:
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))
        self._acts += 1
        if finish:
            self._done = True
        return self._acts

    @workflow.update
    async def act_local(self, finish: bool) -> int:
        await workflow.execute_local_activity(noop, start_to_close_timeout=timedelta(seconds=30))
        self._acts += 1
        if finish:
            self._done = True
        return self._acts


async def serve(address: str, task_queue: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BaselineWorkflow], activities=[noop]):
        print("baseline worker ready", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    if os.environ.get("BENCH_PROFILE") == "timings":  # --profile=timings: time the same steps as dualpath's worker
        import atexit
        from pathlib import Path

        from benchmarks import instrumented

        instrumented._instrument_worker()
        atexit.register(instrumented._dump, "baseline-worker", Path(os.environ.get("BENCH_PROFILE_DIR", ".")))
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
