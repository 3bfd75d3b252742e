"""Record histories for the replay tests from a test session's Temporal server.

Run by `make record-histories`: runs the API and workflow tests, then adds,
per workflow type, the two longest histories (the most varied) of workflows
started by the suite. The histories recorded before stay: each is a shape of
running pathways that today's code must still replay.
"""

import asyncio
import sys
from collections import defaultdict
from pathlib import Path

from temporalio.client import Client

from dualpath import temporal_client
from dualpath.worker import WORKFLOWS

OUT = Path(__file__).parent / "histories"


async def record(address: str, per_type: int = 2) -> list[Path]:
    client = await Client.connect(address, data_converter=temporal_client.data_converter())
    by_type: dict[str, list] = defaultdict(list)
    types = ", ".join(f'"{w.__temporal_workflow_definition.name}"' for w in WORKFLOWS)
    async for wf in client.list_workflows(f"WorkflowType IN ({types})"):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        by_type[wf.workflow_type].append((len(history.events), wf.id, history))
    OUT.mkdir(exist_ok=True)
    written = []
    for wf_type, found in by_type.items():
        for _, wf_id, history in sorted(found, key=lambda x: -x[0])[:per_type]:
            path = OUT / f"{wf_type}--{wf_id}.json"
            path.write_text(history.to_json())
            written.append(path)
    return written


if __name__ == "__main__":
    for p in asyncio.run(record(sys.argv[1])):
        print(p)
