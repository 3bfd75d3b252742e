"""On the real dev server: what Temporal stores is ciphertext, and our clients still read it."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

from dualpath.api import auth
from dualpath.codec import ENCODING, KEY_ID, WORKFLOW_ID
from dualpath.infra.binaries import temporal_cli
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows import referral as referral_wf

from ..api.helpers import accepted_pathway, referral
from .failing_workflow import FailingWorkflow, refuse

REGION = "region:1082"


def payloads_in(message, path: str = "") -> list[tuple[str, Payload]]:
    """Every Payload inside a protobuf message, with where it sits; search
    attributes are skipped (Temporal indexes them, so they are never encoded)."""
    found: list[tuple[str, Payload]] = []
    if isinstance(message, Payload):
        return [(path, message)]
    if isinstance(message, SearchAttributes):
        return []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        where = f"{path}.{field.name}"
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                for k, v in value.items():
                    found += payloads_in(v, f"{where}[{k}]")
        elif field.is_repeated:
            for i, v in enumerate(value):
                found += payloads_in(v, f"{where}[{i}]")
        else:
            found += payloads_in(value, where)
    return found


@pytest.fixture
async def plain_client(settings) -> Client:
    """A client without our converter: it sees what the Temporal server stores."""
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)


async def _raw_history(plain_client, workflow_id: str):
    return await plain_client.get_workflow_handle(workflow_id).fetch_history()


def _patch_marker(where: str) -> bool:
    # Written by the SDK's core, past the codec: a `workflow.patched` marker holds the patch id only; a local
    # activity's marker its bookkeeping (sequence, attempt, activity type, times), its result sealed beside it.
    return any(f"marker_recorded_event_attributes.details[{key}]" in where for key in ("patch-data", "data"))


def _assert_all_encrypted(history, *secrets: str) -> int:
    found = [
        (f"{e.event_id}:{EventType.Name(e.event_type)}{where}", p)
        for e in history.events
        for where, p in payloads_in(e)
    ]
    for where, p in found:
        if _patch_marker(where):
            assert all(secret.encode() not in p.data for secret in secrets), where
    found = [(where, p) for where, p in found if not _patch_marker(where)]
    assert found, "the history holds no payloads at all"
    for where, p in found:
        assert p.metadata.get("encoding") == ENCODING, f"{where} is stored as {p.metadata.get('encoding')}"
        assert KEY_ID in p.metadata, where
        for secret in secrets:
            assert secret.encode() not in p.data, f"{where} holds {secret!r} in clear"
    return len(found)


async def test_pathway_and_referral_histories_hold_only_ciphertext(http, client, plain_client):
    body = referral()
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        r = await c.post("/referrals", json=body)
        assert r.status_code == 201, r.text
        referral_id = r.json()["referral_id"]
        d = await v.post(f"/referrals/{referral_id}/decision", json={"accept": True})
        assert d.status_code == 200, d.text
        pathway_id = d.json()["pathway_id"]
        # An update with a body, so update payloads are in the history too.
        consent = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert consent.status_code == 200, consent.text

    pathway_history = await _raw_history(plain_client, pathway_wf.workflow_id(pathway_id, "1082"))
    referral_history = await _raw_history(plain_client, referral_wf.workflow_id(referral_id, "1082"))
    kinds = {e.event_type for e in pathway_history.events}
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in kinds
    # The appends run as local activities: their results are in markers (sealed: `_assert_all_encrypted`).
    assert any(
        "marker_recorded_event_attributes.details[result]" in where
        for e in pathway_history.events
        for where, _ in payloads_in(e)
    )

    assert _assert_all_encrypted(pathway_history, pathway_id, referral_id) > 3
    assert _assert_all_encrypted(referral_history, pathway_id, referral_id) > 3
    # Both belong to region 1082: every payload is under its key, bound to the workflow it went to
    # (the pathway's start input, sent by the referral, to the pathway; the SDK seals a child's
    # summary, which no worker reads, in the parent's context).
    ids = {referral_wf.workflow_id(referral_id, "1082"), pathway_wf.workflow_id(pathway_id, "1082")}
    for h in (pathway_history, referral_history):
        found = [p for e in h.events for where, p in payloads_in(e) if not _patch_marker(where)]
        assert {p.metadata[KEY_ID] for p in found} == {b"1082.development"}
        assert {p.metadata[WORKFLOW_ID].decode() for p in found} <= ids
    # Nothing anywhere in either history, payload or not, carries the CPR number.
    for h in (pathway_history, referral_history):
        assert all(body["cpr"].encode() not in e.SerializeToString() for e in h.events)

    # Our own client (the session's, with the codec) reads the workflow as before.
    view = await client.get_workflow_handle(pathway_wf.workflow_id(pathway_id, "1082")).query(
        pathway_wf.PathwayWorkflow.view
    )
    assert view.pathway_id == pathway_id
    assert [c.scope for c in view.consents] == ["dialogue"]


async def test_the_codec_endpoint_decodes_a_payload_from_the_real_history(http, plain_client):
    pathway_id = await accepted_pathway(http)
    history = await _raw_history(plain_client, pathway_wf.workflow_id(pathway_id, "1082"))
    started = history.events[0].workflow_execution_started_event_attributes.input
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/codec/decode", json=json_format.MessageToDict(started))
    assert r.status_code == 200, r.text
    [decoded] = r.json()["payloads"]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert pathway_id in base64.b64decode(decoded["data"]).decode()


async def test_a_failure_message_leaves_the_process_encoded(client, plain_client):
    note = f"patient-note-{uuid.uuid4()}"
    queue = f"codec-failure-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[FailingWorkflow], activities=[refuse]):
        handle = await client.start_workflow(
            FailingWorkflow.run, note, id=f"codec-failure-{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    # Through our converter, the message is whole again.
    assert isinstance(failed.value.cause, ActivityError)
    assert isinstance(failed.value.cause.cause, ApplicationError)
    assert failed.value.cause.cause.message == f"refused: {note}"

    history = await _raw_history(plain_client, handle.id)
    failures = [
        e.activity_task_failed_event_attributes.failure
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
    ]
    failures += [
        e.workflow_execution_failed_event_attributes.failure
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    ]
    assert len(failures) == 2
    for f in failures:
        assert f.message == "Encoded failure" and f.stack_trace == ""
        assert f.encoded_attributes.metadata["encoding"] == ENCODING
    # Not in the message, the stack trace, the details or anywhere else.
    assert all(note.encode() not in e.SerializeToString() for e in history.events)
    _assert_all_encrypted(history, note)


async def test_the_temporal_cli_reads_the_history_through_the_codec_endpoint(http, settings):
    """`temporal --codec-endpoint` speaks the protocol the Web UI speaks: a real client of ours."""
    pathway_id = await accepted_pathway(http)
    token = auth.issue_dev_token(settings, role=auth.Role.clinician, org=REGION, subject="cli")
    show = [
        str(temporal_cli()),
        "workflow",
        "show",
        "--workflow-id",
        pathway_wf.workflow_id(pathway_id, "1082"),
        "--address",
        settings.temporal_address,
        "--namespace",
        settings.temporal_namespace,
        "--output",
        "json",
    ]

    async def run(*extra: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *show, *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    raw = _payload_data(json.loads(await run()))
    decoded = _payload_data(
        json.loads(await run("--codec-endpoint", f"{http.base}/codec", "--codec-auth", f"Bearer {token}"))
    )
    assert pathway_id.encode() not in raw
    assert pathway_id.encode() in decoded


async def test_the_temporal_cli_can_break_glass_with_codec_headers(http, settings, pool, monkeypatch):
    """Named support staff read one workflow's history with a reason: `--codec-header`."""
    pathway_id = await accepted_pathway(http)
    workflow_id = pathway_wf.workflow_id(pathway_id, "1082")
    subject = f"support-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(settings, "break_glass_subjects", [subject])
    token = auth.issue_dev_token(settings, role=auth.Role.ops, org="ops:national", subject=subject)
    show = [
        str(temporal_cli()),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        settings.temporal_address,
        "--namespace",
        settings.temporal_namespace,
        "--output",
        "json",
        "--codec-endpoint",
        f"{http.base}/codec",
        "--codec-auth",
        f"Bearer {token}",
    ]

    async def run(*extra: str) -> bytes:
        proc = await asyncio.create_subprocess_exec(
            *show, *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        return _payload_data(json.loads(out.decode()))

    assert pathway_id.encode() not in await run()  # ops, without break-glass: nothing
    reason = "ticket 4711: the pathway does not move on"
    assert pathway_id.encode() in await run(
        "--codec-header", f"X-Workflow-Id={workflow_id}", "--codec-header", f"X-Break-Glass-Reason={reason}"
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM access_log WHERE subject = $1 AND action = 'temporal_payloads.break_glass_decode' "
            "AND object_id = $2 AND reason = $3",
            subject,
            workflow_id,
            reason,
        )
        >= 1
    )


def _payload_data(doc) -> bytes:
    """The data of every payload in `temporal workflow show --output json`, decoded from base64."""
    if isinstance(doc, list):
        return b"".join(_payload_data(d) for d in doc)
    if not isinstance(doc, dict):
        return b""
    if isinstance(doc.get("metadata"), dict) and isinstance(doc.get("data"), str):
        return base64.b64decode(doc["data"]) + b"\n"
    return b"".join(_payload_data(v) for v in doc.values())
