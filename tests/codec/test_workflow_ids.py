"""Workflow ids carry the region; a pathway started before they did keeps working through the API."""

from __future__ import annotations

import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from dualpath import workflow_ids
from dualpath.codec import KEY_ID, WORKFLOW_ID
from dualpath.domain.events import Actor
from dualpath.readmodels import queries
from dualpath.workflows import pathway as wf
from tests.pathways import pathway_input
from tests.poll import eventually

from ..api.helpers import accepted_pathway

REGION = "region:1082"


async def test_a_pathway_made_through_the_api_runs_under_its_regions_id(http, client):
    pathway_id = await accepted_pathway(http)
    handle = client.get_workflow_handle(f"pathway-1082-{pathway_id}")
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert workflow_ids.region_of(handle.id) == "1082"


async def test_a_legacy_pathway_is_still_addressed_by_the_api_and_its_new_stay_gets_a_region_id(
    http, client, settings, pool
):
    """Started under `pathway-<id>` (before the region was in ids): the API falls back to that id,
    its payloads stay under the national key, and a stay it starts now is `stay-1082-…`."""
    pathway_id = str(uuid.uuid4())
    legacy = workflow_ids.legacy("pathway", pathway_id)
    inp = pathway_input(actor=Actor(subject="t", role="clinician", organisation=REGION), pathway_id=pathway_id)
    handle = await client.start_workflow(wf.PathwayWorkflow.run, inp, id=legacy, task_queue=settings.task_queue)
    assert await queries.wait_for_row(pool, "rm_pathways", "pathway_id", pathway_id, timeout=30)

    async with http.as_("clinician", REGION) as c:
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        task = next(t for t in p["tasks"] if t["state"] == "open" and t["kind"] != "consent_dialogue")
        r = await c.post(f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete", json={"outcome": "done"})
        assert r.status_code == 200, r.text
        r = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "planned", "ward": "P3"})
        assert r.status_code == 201, r.text
        # The consent reaches the stay (the pathway signals it by the id it started it under).
        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text

    stay = client.get_workflow_handle(workflow_ids.stay(pathway_id, 1, "1082"))
    assert (await stay.describe()).status == WorkflowExecutionStatus.RUNNING

    async def history():
        return (await stay.fetch_history()).events

    def signals(events) -> list:
        return [
            e.workflow_execution_signaled_event_attributes
            for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]

    events = await eventually(history, signals, what="the stay signalled")
    told = signals(events)
    assert [s.signal_name for s in told] == ["consents_changed"]
    assert told[0].input.payloads[0].metadata[KEY_ID] == b"1082.development"
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in {e.event_type for e in events}

    history = await client.get_workflow_handle(legacy).fetch_history()
    sealed = [
        p
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
        for p in e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
    ]
    assert sealed and {p.metadata[KEY_ID] for p in sealed} == {b"development"}
    assert {p.metadata[WORKFLOW_ID] for p in sealed} == {legacy.encode()}
    await stay.terminate("test over")
    await handle.terminate("test over")
