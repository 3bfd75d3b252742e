"""A worker in a process of its own, for the crash test (the test SIGKILLs it mid-activity).

    python -m tests.fmk.worker_process ADDRESS NAMESPACE TASK_QUEUE URL

Prints "ready" once the worker runs; runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from dualpath import temporal_client
from dualpath.activities.fmk import FmkActivities, HttpFmkNotifier
from dualpath.settings import Settings
from tests.fmk.notice_workflow import SendFmkNoticeWorkflow


async def main(address: str, namespace: str, task_queue: str, url: str) -> None:
    # The session's converter: tests/conftest.py builds it from the same default settings.
    converter = temporal_client.data_converter(Settings(_env_file=None))
    client = await Client.connect(address, namespace=namespace, data_converter=converter)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[SendFmkNoticeWorkflow],
        activities=[FmkActivities(HttpFmkNotifier(url, timeout=10)).send_fmk_notice],
        # No sticky cache: after a crash the next workflow task goes straight
        # to the shared queue instead of waiting out the dead worker's sticky queue.
        max_cached_workflows=0,
    )
    async with worker:
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
