"""Record histories for the replay tests from a test session's Temporal server.

Run by `make record-histories`: runs the API and workflow tests, then adds,
per workflow type, the two longest histories (the most varied) of workflows
started by the suite, and the longest holding each update or signal that no
history kept so far holds. The histories recorded before stay: each is a shape
of running pathways that today's code must still replay.
"""

import asyncio
import sys
from collections import defaultdict
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from dualpath import temporal_client
from dualpath.worker import WORKFLOWS

OUT = Path(__file__).parent / "histories"


def handlers(history: WorkflowHistory) -> set[str]:
    """The updates and signals a history holds, by name."""
    names = set()
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            names.add(e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            names.add(e.workflow_execution_signaled_event_attributes.signal_name)
    return names


def _kept(wf_type: str) -> set[str]:
    """The updates and signals the histories already kept for `wf_type` hold."""
    names: set[str] = set()
    for path in OUT.glob(f"{wf_type}--*.json"):
        names |= handlers(WorkflowHistory.from_json(path.stem.split("--")[1], path.read_text()))
    return names


async def record(address: str, per_type: int = 2) -> list[Path]:
    """Per workflow type, the `per_type` longest histories (the most varied), and the longest holding each
    update or signal that no history kept so far holds: a new command is replayed from the day it lands."""
    client = await Client.connect(address, data_converter=temporal_client.data_converter())
    by_type: dict[str, list] = defaultdict(list)
    types = ", ".join(f'"{w.__temporal_workflow_definition.name}"' for w in WORKFLOWS)
    async for wf in client.list_workflows(f"WorkflowType IN ({types})"):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        by_type[wf.workflow_type].append((len(history.events), wf.id, history))
    OUT.mkdir(exist_ok=True)
    written = []
    for wf_type, found in by_type.items():
        longest = sorted(found, key=lambda x: -x[0])
        chosen = longest[:per_type]
        covered = _kept(wf_type).union(*(handlers(h) for _, _, h in chosen))
        for entry in longest[per_type:]:
            if handlers(entry[2]) - covered:
                chosen.append(entry)
                covered |= handlers(entry[2])
        for _, wf_id, history in chosen:
            path = OUT / f"{wf_type}--{wf_id}.json"
            path.write_text(history.to_json())
            written.append(path)
    return written


if __name__ == "__main__":
    for p in asyncio.run(record(sys.argv[1])):
        print(p)
