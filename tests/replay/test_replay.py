"""Replay: the current code must replay the histories of running pathways.

`histories/` holds histories recorded from the test suite (one or more per
workflow type; `make record-histories` refreshes them). A change to a
workflow that would break pathways already running — a command reordered, an
activity added without `workflow.patched` — fails here, in CI, before it
reaches a worker with years-long pathways on it.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from dualpath import temporal_client
from dualpath.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _replayer() -> Replayer:
    return Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter())


def test_every_workflow_type_has_recorded_histories():
    recorded = {p.name.split("--")[0] for p in HISTORIES}
    assert recorded >= {w.__temporal_workflow_definition.name for w in WORKFLOWS}, (
        "record histories for new workflow types: make record-histories"
    )


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_a_recorded_history_replays_on_the_current_code(path):
    history = WorkflowHistory.from_json(path.stem.split("--")[1], path.read_text())
    await _replayer().replay_workflow(history)


async def test_this_sessions_histories_replay_on_the_current_code(client):
    """Every workflow the suite ran so far (bounded), replayed from the server's history."""
    types = ", ".join(f'"{w.__temporal_workflow_definition.name}"' for w in WORKFLOWS)
    # The codec rotation test's workflow is sealed under a key made up for that test alone.
    query = f'WorkflowType IN ({types}) AND TaskQueue != "codec-rotation"'
    histories = client.list_workflows(query, limit=150).map_histories()
    results = await _replayer().replay_workflows(histories, raise_on_replay_failure=False)
    failures = {rid: str(err) for rid, err in results.replay_failures.items()}
    assert not failures, failures
