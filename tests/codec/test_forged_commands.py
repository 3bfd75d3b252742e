"""On the real dev server: a command that reaches Temporal without coming through the API.

Anyone who reaches the Temporal frontend can start workflows and send updates and signals,
with any actor in the payload. The worker takes only payloads encrypted under a key of the
workflow's region and bound to the workflow (dualpath/codec.py): a forged command is refused,
the workflow task never fails over it, and the pathway goes on taking genuine commands.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.converter import WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from dualpath import workflow_ids
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.workflows import pathway as wf
from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL

from ..api.helpers import accepted_pathway, close_open_tasks

REGION = "region:1082"
MALLORY = {"subject": "mallory", "role": "clinician", "organisation": REGION}


@pytest.fixture(scope="module")
async def plain_client(settings) -> Client:
    """What an intruder at the frontend has: a client, no payload keys."""
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)


async def _refusal(client: Client, err: BaseException) -> ApplicationError:
    """The refusal as the worker wrote it (its message is encrypted: read it with our keys)."""
    assert isinstance(err, ApplicationError), repr(err)
    assert err.failure is not None
    decoded = await client.data_converter.decode_failure(err.failure)
    assert isinstance(decoded, ApplicationError)
    return decoded


async def _history_kinds(plain_client: Client, workflow_id: str) -> list[int]:
    return [e.event_type for e in (await plain_client.get_workflow_handle(workflow_id).fetch_history()).events]


async def _takes_a_normal_command(http, pathway_id: str) -> None:
    """A genuine command through the API: accepted and applied (the API waits for it, within its own bound)."""
    async with http.as_("clinician", REGION) as c:
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        assert p["status"] == "active", "a forged command ended the pathway"
        # Not a meeting's task: those are what a forged "meeting held" signal would close.
        task = next(
            t
            for t in p["tasks"]
            if t["state"] == "open" and t["kind"] not in ("network_meeting", "startup_meeting_accompaniment")
        )
        r = await c.post(
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete",
            json={"outcome": "not_possible", "note": "after the forgery"},
        )
        assert r.status_code == 200, r.text
        assert next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])["state"] != "open"


async def test_a_plaintext_update_is_refused_and_the_pathway_goes_on(http, client, plain_client):
    pathway_id = await accepted_pathway(http)
    workflow_id = wf.workflow_id(pathway_id, "1082")
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await asyncio.wait_for(
            plain_client.get_workflow_handle(workflow_id).execute_update(
                "end_pathway", {"reason_kind": "other", "reason": "forged", "actor": MALLORY}
            ),
            timeout=60,
        )
    refusal = await _refusal(client, failed.value.cause)
    assert refusal.type == "PayloadRefused"
    assert "payload refused: not encrypted" in refusal.message
    await _takes_a_normal_command(http, pathway_id)
    kinds = await _history_kinds(plain_client, workflow_id)
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    # A rejected update leaves nothing in the history.
    async with http.as_("clinician", REGION) as c:
        history = (await c.get(f"/pathways/{pathway_id}")).json()["history"]
    assert "PathwayEnded" not in {e["type"] for e in history}
    assert all((e["by"] or {}).get("subject") != "mallory" for e in history)


async def test_a_plaintext_signal_is_dropped_without_failing_the_workflow_task(http, plain_client):
    pathway_id = await accepted_pathway(http)
    workflow_id = wf.workflow_id(pathway_id, "1082")
    async with http.as_("clinician", REGION) as c:
        for to in (2, 3, 4):  # phase 4 holds the network meeting a "meeting held" signal closes
            await close_open_tasks(c, pathway_id)
            assert (await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": to})).status_code == 200
        tasks = (await c.get(f"/pathways/{pathway_id}")).json()["tasks"]
    meeting = next(t for t in tasks if t["kind"] == "network_meeting" and t["state"] == "open")
    forged = {"meeting_id": "forged", "kind": "network_meeting", "held_on": copenhagen.today().isoformat()}
    await plain_client.get_workflow_handle(workflow_id).signal(MEETING_HELD_SIGNAL, forged)
    await _takes_a_normal_command(http, pathway_id)
    async with http.as_("clinician", REGION) as c:
        tasks = (await c.get(f"/pathways/{pathway_id}")).json()["tasks"]
    assert next(t for t in tasks if t["task_id"] == meeting["task_id"])["state"] == "open", (
        "the forged signal closed the network meeting"
    )
    kinds = await _history_kinds(plain_client, workflow_id)
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds


async def test_a_plaintext_start_fails_its_own_workflow_at_once(client, plain_client, settings):
    workflow_id = workflow_ids.pathway(str(uuid.uuid4()), "1082")
    handle = await plain_client.start_workflow(
        "PathwayWorkflow",
        {
            "state": {
                "pathway_id": "x",
                "referral_id": "r",
                "patient_id": "p",
                "group": 2,
                "region": "1082",
                "municipality": "751",
                "catalogue_version": "v1",
            },
            "actor": MALLORY,
        },
        id=workflow_id,
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=120)
    refusal = await _refusal(client, failed.value.cause)
    assert refusal.type == "PayloadRefused" and "not encrypted" in refusal.message
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in await _history_kinds(plain_client, workflow_id)


async def test_a_payload_encrypted_for_another_region_or_workflow_is_refused(http, client, plain_client):
    pathway_id = await accepted_pathway(http)
    workflow_id = wf.workflow_id(pathway_id, "1082")
    end = wf.EndPathwayCommand(
        reason_kind="other", reason="replayed", actor=Actor(subject="mallory", role="clinician", organisation=REGION)
    )

    async def sealed_for(target: str):
        converter = client.data_converter.with_context(
            WorkflowSerializationContext(namespace=client.namespace, workflow_id=target)
        )
        [payload] = await converter.encode([end])
        return payload

    elsewhere_1082 = await accepted_pathway(http)
    for target, why in (
        # Another region's key: as if replayed from a region-1084 workflow.
        (workflow_ids.pathway(pathway_id, "1084"), "encrypted for workflow pathway-1084-"),
        # This region's key, but another pathway's: replayed from one pathway into the next.
        (wf.workflow_id(elsewhere_1082, "1082"), f"encrypted for workflow {wf.workflow_id(elsewhere_1082, '1082')}"),
        # The national key of workflows of no region.
        (workflow_ids.legacy("pathway", pathway_id), "encrypted for workflow pathway-"),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await asyncio.wait_for(
                plain_client.get_workflow_handle(workflow_id).execute_update(
                    "end_pathway", RawValue(await sealed_for(target))
                ),
                timeout=60,
            )
        refusal = await _refusal(client, failed.value.cause)
        assert refusal.type == "PayloadRefused" and why in refusal.message, refusal.message
        assert f"not for {workflow_id}" in refusal.message

    # A real command captured from another pathway's history, replayed here: refused too.
    history = await plain_client.get_workflow_handle(wf.workflow_id(elsewhere_1082, "1082")).fetch_history()
    captured = next(
        (e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), None
    )
    if captured is None:
        async with http.as_("clinician", REGION) as c:
            r = await c.post(
                f"/pathways/{elsewhere_1082}/consents",
                json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
            )
            assert r.status_code == 200, r.text
        history = await plain_client.get_workflow_handle(wf.workflow_id(elsewhere_1082, "1082")).fetch_history()
        captured = next(
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        )
    request = captured.workflow_execution_update_accepted_event_attributes.accepted_request
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await asyncio.wait_for(
            plain_client.get_workflow_handle(workflow_id).execute_update(
                request.input.name, RawValue(request.input.args.payloads[0])
            ),
            timeout=60,
        )
    assert "encrypted for workflow" in (await _refusal(client, failed.value.cause)).message

    await _takes_a_normal_command(http, pathway_id)
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in await _history_kinds(plain_client, workflow_id)


async def test_the_region_key_is_the_only_door_a_genuine_command_still_works_from_a_plain_transport(
    http, client, plain_client
):
    """The same command, encrypted for this pathway under its region's key, is accepted: the refusals
    above are about the payload, not about who sent it."""
    pathway_id = await accepted_pathway(http)
    workflow_id = wf.workflow_id(pathway_id, "1082")
    converter = client.data_converter.with_context(
        WorkflowSerializationContext(namespace=client.namespace, workflow_id=workflow_id)
    )
    [sealed] = await converter.encode(
        [
            wf.ConsentCommand(
                scope="dialogue",
                counterpart="751",
                state="given",
                form="written",
                actor=Actor(subject="test-staff", role="clinician", organisation=REGION),
            )
        ]
    )
    result = await asyncio.wait_for(
        plain_client.get_workflow_handle(workflow_id).execute_update(
            "record_consent", RawValue(sealed), result_type=RawValue
        ),
        timeout=60,
    )
    [answer] = await converter.decode([result.payload])
    assert answer["position"] > 0
