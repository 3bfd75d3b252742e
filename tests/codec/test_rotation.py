"""On the real dev server: a region's payload key rotated under a running pathway.

The worker and the API restart with a new current key for region 1082 and the old one still
listed: the pathway replays what the old key sealed and takes commands under the new one.
"""

from __future__ import annotations

import base64
import os

from temporalio.client import Client

from dualpath import temporal_client
from dualpath.codec import KEY_ID
from dualpath.domain.events import Actor
from dualpath.worker import build_worker
from dualpath.workflows import pathway as wf
from tests.pathways import pathway_input

# The session's replay test (tests/replay) has the default keys only, so it leaves out this queue's
# workflows by name. (Deleting the workflow instead waited on the server's visibility, which lags
# by more than 30 s on a busy CI machine.) One test uses the queue, so it needs no random suffix.
ROTATION_QUEUE = "codec-rotation"

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


async def _client(settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=temporal_client.data_converter(settings),
    )


async def test_a_pathway_goes_on_across_a_rotation_of_its_regions_key(settings, store, pool):
    queue = ROTATION_QUEUE
    before = settings.model_copy(update={"task_queue": queue})
    after = before.model_copy(
        update={
            "payload_keys": {**settings.payload_keys, "1082.2026-07": base64.b64encode(os.urandom(32)).decode()},
            "payload_key_ids": {**settings.payload_key_ids, "1082": "1082.2026-07"},
        }
    )
    inp = pathway_input(ACTOR)
    workflow_id = wf.workflow_id(inp.state.pathway_id, "1082")

    old = await _client(before)
    async with build_worker(old, before, store, pool):
        handle = await old.start_workflow(wf.PathwayWorkflow.run, inp, id=workflow_id, task_queue=queue)
        await handle.execute_update(
            wf.PathwayWorkflow.record_consent,
            wf.ConsentCommand(scope="dialogue", counterpart="751", state="given", form="written", actor=ACTOR),
        )

    new = await _client(after)
    async with build_worker(new, after, store, pool):  # a fresh worker: it replays the old payloads
        handle = new.get_workflow_handle_for(wf.PathwayWorkflow.run, workflow_id)
        view = await handle.query(wf.PathwayWorkflow.view)
        assert [c.state for c in view.consents] == ["given"]
        task = next(t for t in view.open_tasks if t.kind == "treatment_plan")
        await handle.execute_update(
            wf.PathwayWorkflow.complete_task, wf.CompleteTaskCommand(task_id=task.task_id, outcome="done", actor=ACTOR)
        )
        assert task.task_id not in {t.task_id for t in (await handle.query(wf.PathwayWorkflow.view)).open_tasks}
        await handle.terminate("test over")

    history = await new.get_workflow_handle(workflow_id).fetch_history()
    keys = {
        p.metadata[KEY_ID]
        for e in history.events
        for p in (
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
            if e.HasField("workflow_execution_update_accepted_event_attributes")
            else []
        )
    }
    assert keys == {b"1082.development", b"1082.2026-07"}
