"""The codec server over real HTTP: the Temporal UI's decode/encode, who may use it, CORS, the access log."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import time
import uuid

import httpx
import pytest
import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.contrib.pydantic import pydantic_data_converter

from dualpath.infra import temporal_server
from dualpath.infra.ports import free_port

UI = "http://localhost:8233"
REGION = "region:1082"


def _body(*values) -> dict:
    payloads = pydantic_data_converter.payload_converter.to_payloads(list(values))
    return json_format.MessageToDict(Payloads(payloads=payloads))


def _meta(payload: dict, key: str) -> bytes:
    return base64.b64decode(payload["metadata"][key])


async def test_decode_gives_back_what_encode_produced(http):
    plain = _body({"pathway_id": "p-123", "note": "stable"}, "second")
    async with http.as_("clinician", REGION) as c:
        enc = await c.post("/codec/encode", json=plain, headers={"X-Namespace": "default"})
        assert enc.status_code == 200, enc.text
        sealed = enc.json()["payloads"]
        assert len(sealed) == 2
        for p in sealed:
            assert _meta(p, "encoding") == b"binary/encrypted"
            assert _meta(p, "encryption-key-id") == b"development"
            assert b"p-123" not in base64.b64decode(p["data"])
        dec = await c.post("/codec/decode", json={"payloads": sealed}, headers={"X-Namespace": "default"})
    assert dec.status_code == 200, dec.text
    assert dec.json() == plain


async def test_decode_refuses_a_payload_under_an_unknown_key_id(http):
    async with http.as_("ops", "ops:national") as o:
        sealed = (await o.post("/codec/encode", json=_body("x"))).json()["payloads"]
        sealed[0]["metadata"]["encryption-key-id"] = base64.b64encode(b"retired-2019").decode()
        r = await o.post("/codec/decode", json={"payloads": sealed})
    assert r.status_code == 422, r.text
    assert "unknown key id 'retired-2019'" in r.json()["message"]


async def test_a_body_that_is_not_payloads_is_refused(http):
    async with http.as_("ops", "ops:national") as o:
        r = await o.post("/codec/decode", json={"payloads": [{"data": "not base64 !"}]})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
async def test_without_a_token_it_is_401(http, path):
    async with http.anonymous() as a:
        r = await a.post(path, json=_body("x"))
    assert r.status_code == 401, r.text


@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
@pytest.mark.parametrize("role, org", [("visitation", REGION), ("municipality", "municipality:751")])
async def test_only_clinicians_and_ops_may_use_it(http, path, role, org):
    async with http.as_(role, org) as s:
        r = await s.post(path, json=_body("x"))
    assert r.status_code == 403, r.text
    assert sorted(r.json()["allowed"]) == ["clinician", "ops"]


@pytest.mark.parametrize("origin", [UI, "http://127.0.0.1:8233"])
async def test_the_ui_origin_gets_a_preflight_answer_without_a_token(http, origin):
    async with http.anonymous() as a:
        r = await a.options("/codec/decode", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace"})
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
        elsewhere = await a.options("/codec/decode", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert "access-control-allow-origin" not in elsewhere.headers
        other_route = await a.options("/pathways", headers={
            "Origin": UI, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
        assert "access-control-allow-origin" not in other_route.headers


async def test_each_decode_is_in_the_access_log_without_the_content(http, pool):
    subject = f"clinician-{uuid.uuid4().hex[:8]}"
    secret = f"note-{uuid.uuid4()}"
    async with http.as_("clinician", REGION, subject=subject) as c:
        sealed = (await c.post("/codec/encode", json=_body(secret, "b", "c"))).json()
        with structlog.testing.capture_logs() as logs:
            for _ in range(2):
                r = await c.post("/codec/decode", json=sealed, headers={"X-Namespace": "default"})
                assert r.status_code == 200, r.text
    rows = await pool.fetch("SELECT * FROM access_log WHERE subject = $1 ORDER BY id", subject)
    assert [(r["role"], r["organisation"], r["action"]) for r in rows] == [
        ("clinician", REGION, "temporal_payloads.decode")] * 2
    assert all(r["pathway_id"] is None and r["legal_basis"] is None for r in rows)

    access = [e for e in logs if e.get("event") == "access" and e.get("subject") == subject]
    assert len(access) == 2
    assert access[0]["role"] == "clinician" and access[0]["org"] == REGION
    assert access[0]["payloads"] == 3 and access[0]["namespace"] == "default"
    assert secret not in repr(logs)
    # Encoding reveals nothing: it is not an access to health data.
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE subject = $1", subject) == 2


async def test_a_refused_caller_leaves_no_access_row(http, pool):
    subject = f"visitation-{uuid.uuid4().hex[:8]}"
    async with http.as_("visitation", REGION, subject=subject) as v:
        assert (await v.post("/codec/decode", json=_body("x"))).status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE subject = $1", subject) == 0


async def test_the_access_log_cannot_be_edited(pool):
    await pool.execute("INSERT INTO access_log (subject, role, organisation, action) VALUES ('t', 'ops', 'ops:x', 'a')")
    import asyncpg

    for statement in ("UPDATE access_log SET subject = 'u' WHERE subject = 't'",
                      "DELETE FROM access_log WHERE subject = 't'", "TRUNCATE access_log"):
        with pytest.raises(asyncpg.RaiseError, match="access_log is append-only"):
            await pool.execute(statement)


async def test_the_dev_server_ui_is_pointed_at_the_codec_endpoint():
    """What `make run` starts: the Web UI reports the codec endpoint it will call."""
    port, ui_port = free_port(), free_port()
    endpoint = "http://127.0.0.1:8000/codec"
    proc = temporal_server.start_dev_server(data_dir=None, host="127.0.0.1", port=port, ui_port=ui_port,
                                            codec_endpoint=endpoint)
    try:
        async with httpx.AsyncClient(timeout=2) as ui:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, "the dev server exited at start"
                try:
                    r = await ui.get(f"http://127.0.0.1:{ui_port}/api/v1/settings")
                    if r.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the Web UI did not answer within 60 s"
                await asyncio.sleep(0.3)
        assert r.json()["Codec"]["Endpoint"] == endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
