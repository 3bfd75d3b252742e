"""The codec server over real HTTP: who decodes which region's payloads, break-glass, encode,
rotation, CORS and the access log. Payloads come from the real history of a pathway made
through the API."""

from __future__ import annotations

import base64
import subprocess
import uuid

import httpx
import pytest
import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from dualpath import workflow_ids
from dualpath.codec import KEY_ID, WORKFLOW_ID, EncryptionCodec
from dualpath.infra import temporal_server
from dualpath.infra.ports import free_port
from dualpath.workflows import pathway as pathway_wf
from tests.poll import eventually

from ..api.helpers import accepted_pathway

UI = "http://localhost:8233"
REGION = "region:1082"


def _body(*values) -> dict:
    payloads = pydantic_data_converter.payload_converter.to_payloads(list(values))
    return json_format.MessageToDict(Payloads(payloads=payloads))


def _meta(payload: dict, key: str) -> bytes:
    return base64.b64decode(payload["metadata"][key])


def _plain(payloads: list[dict]) -> bytes:
    """Everything the answer holds in clear: the data of the payloads that are no longer encrypted."""
    return b"".join(
        base64.b64decode(p.get("data", "")) for p in payloads if _meta(p, "encoding") != b"binary/encrypted"
    )


class Made:
    def __init__(self, pathway_id: str, workflow_id: str, note: str, payloads: list[dict]):
        self.pathway_id, self.workflow_id, self.note, self.payloads = pathway_id, workflow_id, note, payloads

    @property
    def body(self) -> dict:
        return {"payloads": self.payloads}


@pytest.fixture(scope="module")
async def plain_client(settings) -> Client:
    """A client without our converter: it sees what the Temporal server stores."""
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)


async def _made(http, plain_client, region: str = REGION, **referral) -> Made:
    """A pathway made through the API, one of its tasks closed with a note; its history's payloads."""
    pathway_id = await accepted_pathway(http, region, **referral)
    note = f"note-{uuid.uuid4()}"
    async with http.as_("clinician", region) as c:
        task = next(t for t in (await c.get(f"/pathways/{pathway_id}")).json()["tasks"] if t["state"] == "open")
        r = await c.post(
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete", json={"outcome": "not_possible", "note": note}
        )
        assert r.status_code == 200, r.text
    workflow_id = pathway_wf.workflow_id(pathway_id, region.partition(":")[2])
    history = await plain_client.get_workflow_handle(workflow_id).fetch_history()
    payloads = []
    for e in history.events:
        for field in (
            "workflow_execution_started_event_attributes",
            "activity_task_scheduled_event_attributes",
            "workflow_execution_update_accepted_event_attributes",
        ):
            if e.HasField(field):
                attrs = getattr(e, field)
                found = (
                    attrs.accepted_request.input.args if field.startswith("workflow_execution_update") else attrs.input
                )
                payloads += [json_format.MessageToDict(p) for p in found.payloads]
    assert payloads and all(_meta(p, "encoding") == b"binary/encrypted" for p in payloads)
    assert note.encode() not in b"".join(base64.b64decode(p["data"]) for p in payloads)
    return Made(pathway_id, workflow_id, note, payloads)


@pytest.fixture(scope="module")
async def made(http, plain_client) -> Made:
    return await _made(http, plain_client)


async def test_a_clinician_of_another_region_gets_no_plaintext(http, made):
    async with http.as_("clinician", "region:1084") as c:
        r = await c.post("/codec/decode", json=made.body, headers={"X-Namespace": "default"})
    assert r.status_code == 200, r.text
    # Back as it came: still encrypted, so the UI shows ciphertext, not an error.
    assert r.json()["payloads"] == made.payloads
    assert made.note.encode() not in _plain(r.json()["payloads"])


@pytest.mark.parametrize("role", ["clinician", "visitation"])
async def test_the_regions_own_staff_read_its_payloads(http, made, role):
    async with http.as_(role, REGION) as s:
        r = await s.post("/codec/decode", json=made.body)
    assert r.status_code == 200, r.text
    decoded = r.json()["payloads"]
    assert all(_meta(p, "encoding") == b"json/plain" for p in decoded)
    clear = _plain(decoded)
    assert made.note.encode() in clear and made.pathway_id.encode() in clear


@pytest.mark.parametrize("role, org", [("ops", "ops:national"), ("municipality", "municipality:751")])
async def test_ops_and_municipal_staff_get_no_plaintext(http, made, role, org):
    async with http.as_(role, org) as s:
        r = await s.post("/codec/decode", json=made.body)
    assert r.status_code == 200, r.text
    assert r.json()["payloads"] == made.payloads
    assert _plain(r.json()["payloads"]) == b""


async def test_national_key_payloads_are_decoded_for_no_region(http):
    """Workflows of no region (and legacy ids) use the national key: no region's staff reads them."""
    national = EncryptionCodec.from_settings(http.settings).encrypt(
        pydantic_data_converter.payload_converter.to_payloads(["secret-national"])[0], "pathway-legacy-1"
    )
    body = {"payloads": [json_format.MessageToDict(national)]}
    for region in ("region:1081", "region:1082", "region:1084"):
        async with http.as_("clinician", region) as c:
            r = await c.post("/codec/decode", json=body)
        assert r.status_code == 200 and r.json() == body


def _glass(workflow_id: str | None, reason: str | None) -> dict:
    headers = {}
    if workflow_id is not None:
        headers["X-Workflow-Id"] = workflow_id
    if reason is not None:
        headers["X-Break-Glass-Reason"] = reason
    return headers


@pytest.fixture
def support(settings, monkeypatch) -> str:
    subject = f"support-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(settings, "break_glass_subjects", [subject])
    return subject


async def test_break_glass_by_a_named_subject_decodes_one_workflow_and_is_logged(http, made, pool, support):
    reason = f"Vagtsag 4711: workflow står stille — {uuid.uuid4().hex[:6]}"
    other = workflow_ids.pathway(str(uuid.uuid4()), "1082")
    async with http.as_("ops", "ops:national", subject=support) as o:
        r = await o.post(
            "/codec/decode",
            json=made.body,
            headers={"X-Workflow-Id": made.workflow_id, "X-Break-Glass-Reason": reason.encode()},
        )  # UTF-8, as the CLI sends it
        assert r.status_code == 200, r.text
        assert made.note.encode() in _plain(r.json()["payloads"])
        # Naming another workflow opens only that one: these stay encrypted.
        elsewhere = await o.post("/codec/decode", json=made.body, headers=_glass(other, "checking"))
        assert elsewhere.status_code == 200 and elsewhere.json()["payloads"] == made.payloads
    rows = await pool.fetch("SELECT * FROM access_log WHERE subject = $1 ORDER BY id", support)
    assert [(r["action"], r["object_kind"], r["object_id"], r["outcome"], r["reason"]) for r in rows] == [
        ("temporal_payloads.break_glass_decode", "workflow", made.workflow_id, "allowed", reason),
        ("temporal_payloads.break_glass_decode", "workflow", made.workflow_id, "denied", "checking"),
    ]
    assert rows[0]["pathway_id"] == made.pathway_id and rows[0]["legal_basis"].startswith("break-glass")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Workflow-Id": "pathway-1082-x"}, id="no reason"),
        pytest.param({"X-Workflow-Id": "pathway-1082-x", "X-Break-Glass-Reason": ""}, id="empty reason"),
        pytest.param({"X-Break-Glass-Reason": "stuck"}, id="no workflow id"),
    ],
)
async def test_break_glass_without_a_reason_or_a_workflow_is_refused(http, made, support, headers):
    async with http.as_("ops", "ops:national", subject=support) as o:
        r = await o.post("/codec/decode", json=made.body, headers=headers)
    assert r.status_code == 422, r.text
    assert "a break-glass needs a reason and a workflow id" in r.json()["message"]


async def test_break_glass_by_an_unlisted_subject_is_refused_and_the_attempt_logged(http, made, pool, support):
    subject = f"ops-{uuid.uuid4().hex[:8]}"
    for role, org in (("ops", "ops:national"), ("clinician", REGION)):
        async with http.as_(role, org, subject=subject) as o:
            r = await o.post("/codec/decode", json=made.body, headers=_glass(made.workflow_id, "curious"))
        assert r.status_code == 403, r.text
        assert made.note not in r.text
    rows = await pool.fetch("SELECT outcome, object_id, reason FROM access_log WHERE subject = $1", subject)
    assert [tuple(r) for r in rows] == [("denied", made.workflow_id, "curious")] * 2


async def test_each_decode_is_in_the_access_log_without_the_content(http, made, pool):
    subject = f"clinician-{uuid.uuid4().hex[:8]}"
    async with (
        http.as_("clinician", REGION, subject=subject) as c,
        http.as_("clinician", "region:1084", subject=subject) as elsewhere,
    ):
        with structlog.testing.capture_logs() as logs:
            here = await c.post("/codec/decode", json=made.body, headers={"X-Namespace": "default"})
            assert here.status_code == 200
            assert (await elsewhere.post("/codec/decode", json=made.body)).status_code == 200
    rows = await pool.fetch("SELECT * FROM access_log WHERE subject = $1 ORDER BY id", subject)
    assert [(r["organisation"], r["action"], r["object_id"], r["pathway_id"], r["outcome"]) for r in rows] == [
        (REGION, "temporal_payloads.decode", made.workflow_id, made.pathway_id, "allowed"),
        ("region:1084", "temporal_payloads.decode", made.workflow_id, made.pathway_id, "denied"),
    ]
    assert rows[0]["legal_basis"] and rows[1]["legal_basis"] is None
    access = [e for e in logs if e.get("event") == "access" and e.get("subject") == subject]
    assert [(e["payloads"], e["decoded"]) for e in access] == [
        (len(made.payloads), len(made.payloads)),
        (len(made.payloads), 0),
    ]
    assert access[0]["namespace"] == "default"
    assert made.note not in repr(logs)


async def test_a_payload_under_an_unknown_key_id_of_the_callers_region_is_a_clear_422(http, made):
    payload = dict(made.payloads[0], metadata=dict(made.payloads[0]["metadata"]))
    payload["metadata"][KEY_ID] = base64.b64encode(b"1082.retired-2019").decode()
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/codec/decode", json={"payloads": [payload]})
    assert r.status_code == 422, r.text
    assert "unknown key id '1082.retired-2019'" in r.json()["message"]


async def test_a_body_that_is_not_payloads_is_refused(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/codec/decode", json={"payloads": [{"data": "not base64 !"}]})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
async def test_without_a_token_it_is_401(http, path):
    async with http.anonymous() as a:
        r = await a.post(path, json=_body("x"))
    assert r.status_code == 401, r.text


@pytest.mark.parametrize(
    "role, org",
    [("clinician", REGION), ("visitation", REGION), ("ops", "ops:national"), ("municipality", "municipality:751")],
)
async def test_encode_is_refused_to_everyone_but_break_glass(http, role, org):
    async with http.as_(role, org) as s:
        r = await s.post("/codec/encode", json=_body({"reason_kind": "completed", "actor": {"subject": "x"}}))
    assert r.status_code == 403, r.text
    assert "only a named break-glass subject may encode" in r.json()["message"]


async def test_a_break_glass_encode_is_bound_to_the_named_workflow_and_logged(http, made, pool, support):
    async with http.as_("ops", "ops:national", subject=support) as o:
        enc = await o.post("/codec/encode", json=_body("repair"), headers=_glass(made.workflow_id, "repair run"))
        assert enc.status_code == 200, enc.text
        [sealed] = enc.json()["payloads"]
        assert _meta(sealed, KEY_ID) == b"1082.development"
        assert _meta(sealed, WORKFLOW_ID) == made.workflow_id.encode()
        dec = await o.post("/codec/decode", json=enc.json(), headers=_glass(made.workflow_id, "check it"))
    assert dec.json() == _body("repair")
    rows = await pool.fetch("SELECT action, object_id, reason FROM access_log WHERE subject = $1 ORDER BY id", support)
    assert [tuple(r) for r in rows] == [
        ("temporal_payloads.break_glass_encode", made.workflow_id, "repair run"),
        ("temporal_payloads.break_glass_decode", made.workflow_id, "check it"),
    ]


async def test_after_rotation_old_payloads_still_decode_and_new_ones_use_the_new_key(http, made, settings, monkeypatch):
    new_key = base64.b64encode(b"r" * 32).decode()
    monkeypatch.setattr(settings, "payload_keys", {**settings.payload_keys, "1082.2026-07": new_key})
    monkeypatch.setattr(settings, "payload_key_ids", {**settings.payload_key_ids, "1082": "1082.2026-07"})
    rotated = EncryptionCodec.from_settings(settings)
    fresh = rotated.encrypt(
        pydantic_data_converter.payload_converter.to_payloads(["after rotation"])[0], made.workflow_id
    )
    assert fresh.metadata[KEY_ID] == b"1082.2026-07"
    body = {"payloads": made.payloads + [json_format.MessageToDict(fresh)]}
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/codec/decode", json=body)
    assert r.status_code == 200, r.text
    clear = _plain(r.json()["payloads"])
    assert made.note.encode() in clear and b"after rotation" in clear
    assert _plain([p for p in r.json()["payloads"]]).count(b"after rotation") == 1


@pytest.mark.parametrize("origin", [UI, "http://127.0.0.1:8233"])
async def test_the_ui_origin_gets_a_preflight_answer_without_a_token(http, origin):
    async with http.anonymous() as a:
        r = await a.options(
            "/codec/decode",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
            },
        )
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == origin
        allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "x-namespace"} <= allowed
        assert "POST" in r.headers["access-control-allow-methods"]
        # The answer to the POST itself carries the origin too, so the browser hands it to the UI
        # (a refusal as well, so the UI can show why).
        post = await a.post("/codec/decode", json=_body("x"), headers={"Origin": origin})
        assert post.status_code == 401
        assert post.headers["access-control-allow-origin"] == origin


async def test_other_origins_and_other_routes_get_no_cors(http):
    async with http.anonymous() as a:
        elsewhere = await a.options(
            "/codec/decode",
            headers={
                "Origin": "http://evil.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert "access-control-allow-origin" not in elsewhere.headers
        other_route = await a.options(
            "/pathways",
            headers={
                "Origin": UI,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert "access-control-allow-origin" not in other_route.headers


async def test_the_access_log_cannot_be_edited(pool):
    await pool.execute("INSERT INTO access_log (subject, role, organisation, action) VALUES ('t', 'ops', 'ops:x', 'a')")
    import asyncpg

    for statement in (
        "UPDATE access_log SET subject = 'u' WHERE subject = 't'",
        "DELETE FROM access_log WHERE subject = 't'",
        "TRUNCATE access_log",
    ):
        with pytest.raises(asyncpg.RaiseError, match="access_log is append-only"):
            await pool.execute(statement)


async def test_the_dev_server_ui_is_pointed_at_the_codec_endpoint():
    """What `make run` starts: the Web UI reports the codec endpoint it will call."""
    port, ui_port = free_port(), free_port()
    endpoint = "http://127.0.0.1:8000/codec"
    proc = temporal_server.start_dev_server(
        data_dir=None, host="127.0.0.1", port=port, ui_port=ui_port, codec_endpoint=endpoint
    )
    try:
        async with httpx.AsyncClient(timeout=2) as ui:

            async def settings() -> httpx.Response:
                assert proc.poll() is None, "the dev server exited at start"
                return await ui.get(f"http://127.0.0.1:{ui_port}/api/v1/settings")

            r = await eventually(
                settings,
                lambda r: r.status_code == 200,
                what="the Web UI's settings",
                every=0.3,
                ignoring=(httpx.HTTPError,),
            )
        assert r.json()["Codec"]["Endpoint"] == endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
