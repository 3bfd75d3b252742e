"""Idempotency-Key over real HTTP: a key names one request (its route and body), in one namespace for every
command, bound in PostgreSQL so that the binding outlives the API process."""

import asyncio
import json
import uuid

import uvicorn

from dualpath.api.main import create_app
from dualpath.infra.ports import free_port
from dualpath.workflows import pathway as pathway_wf
from tests.poll import until_serving

from .helpers import accepted_pathway, referral

REGION = "region:1082"
CONSENT = {"scope": "dialogue", "counterpart": "751", "form": "written"}
MEETING = {
    "kind": "network_meeting",
    "purpose": "plan the next step",
    "participants": [
        {"role": "psychiatrist", "organisation": REGION},
        {"role": "substance_treatment", "organisation": "municipality:751"},
    ],
}


def _key() -> dict:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


async def test_a_key_reused_for_another_referral_is_refused_and_the_same_body_gets_the_first_answer(http, pool):
    key = _key()
    first_body, other_body = referral(), referral()
    async with http.as_("clinician", REGION, subject="idem-referrer") as c:
        first = await c.post("/referrals", json=first_body, headers=key)
        assert first.status_code == 201, first.text
        # Another patient's referral with the same key: refused, saying why and what to do.
        other = await c.post("/referrals", json=other_body, headers=key)
        assert other.status_code == 422, other.text
        assert other.json()["error"] == "idempotency_key_reused"
        assert "different body" in other.json()["message"] and "new Idempotency-Key" in other.json()["message"]
        # The same request again (its JSON spelled differently): the first answer, nothing new.
        again = await c.post(
            "/referrals",
            content=json.dumps(first_body, indent=2, sort_keys=True),
            headers={**key, "content-type": "application/json"},
        )
        assert again.status_code == 201 and again.json() == first.json()
        # The other patient's referral goes through with a key of its own.
        fresh = await c.post("/referrals", json=other_body, headers=_key())
        assert fresh.status_code == 201 and fresh.json()["referral_id"] != first.json()["referral_id"]
    # Keys are the caller's own: another caller may use the same key for their own request.
    async with http.as_("clinician", REGION, subject="idem-someone-else") as c:
        theirs = await c.post("/referrals", json=referral(), headers=key)
        assert theirs.status_code == 201 and theirs.json()["referral_id"] != first.json()["referral_id"]


async def test_a_key_reused_for_another_command_is_refused_and_nothing_is_recorded(http, store):
    pathway_id = await accepted_pathway(http)
    key = _key()
    async with http.as_("clinician", REGION, subject="idem-consents") as c:
        given = await c.post(f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "given"}, headers=key)
        assert given.status_code == 200, given.text
        withdrawn = await c.post(
            f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "withdrawn"}, headers=key
        )
        assert withdrawn.status_code == 422 and withdrawn.json()["error"] == "idempotency_key_reused", withdrawn.text
        # The same key on another route is another request too.
        moved = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2, "reason": "x"}, headers=key)
        assert moved.status_code == 422 and "POST /pathways/" in moved.json()["message"], moved.text
        repeat = await c.post(f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "given"}, headers=key)
        assert repeat.status_code == 200, repeat.text
        p = (await c.get(f"/pathways/{pathway_id}")).json()
    assert [(x["scope"], x["state"]) for x in p["consents"]] == [("dialogue", "given")]
    recorded = [e for e in await store.read_stream(pathway_wf.stream_id(pathway_id)) if e.type == "ConsentRecorded"]
    assert len(recorded) == 1


async def test_calling_a_meeting_honours_the_key(http):
    pathway_id = await accepted_pathway(http)
    key = _key()
    async with http.as_("clinician", REGION, subject="idem-meetings") as c:
        answers = await asyncio.gather(
            *[c.post(f"/pathways/{pathway_id}/meetings", json=MEETING, headers=key) for _ in range(2)]
        )
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        again = await c.post(f"/pathways/{pathway_id}/meetings", json=MEETING, headers=key)
        assert again.status_code == 201
        assert len({a.json()["meeting_id"] for a in [*answers, again]}) == 1
        other = await c.post(f"/pathways/{pathway_id}/meetings", json={**MEETING, "purpose": "another"}, headers=key)
        assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
        meetings = (await c.get(f"/pathways/{pathway_id}/meetings")).json()
    assert len(meetings) == 1


async def test_the_binding_outlives_the_api_process(http, settings):
    """A second API process (as after a restart) knows the key: the binding is in PostgreSQL."""
    pathway_id = await accepted_pathway(http)
    key = _key()
    async with http.as_("clinician", REGION, subject="idem-restart") as c:
        r = await c.post(f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "given"}, headers=key)
        assert r.status_code == 200, r.text
        token = c.headers["Authorization"]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await until_serving(server, task, "a second API process")
        import httpx

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": token}, timeout=30
        ) as fresh:
            r = await fresh.post(f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "refused"}, headers=key)
            assert r.status_code == 422 and r.json()["error"] == "idempotency_key_reused", r.text
            r = await fresh.post(f"/pathways/{pathway_id}/consents", json={**CONSENT, "state": "given"}, headers=key)
            assert r.status_code == 200, r.text
    finally:
        server.should_exit = True
        await task


async def test_a_malformed_key_is_refused(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/referrals", json=referral(), headers={"Idempotency-Key": "has spaces in it"})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["message"]


async def test_a_page_form_is_bound_to_its_input_too(api, http):
    from tests.web.helpers import csrf, signed_in

    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION, subject="idem-web") as c, http.as_("clinician", REGION) as a:
        token = await csrf(c, f"/forloeb/{pathway_id}")
        form = {
            "csrf": token,
            "idem": f"web-{uuid.uuid4()}",
            "scope": "dialogue",
            "counterpart": "751",
            "state": "given",
            "consent_form": "written",
        }
        first = await c.post(f"/forloeb/{pathway_id}/samtykke", data=form)
        again = await c.post(f"/forloeb/{pathway_id}/samtykke", data=form)  # a double click
        assert first.status_code == again.status_code == 303
        other = await c.post(f"/forloeb/{pathway_id}/samtykke", data={**form, "state": "refused"})
        assert other.status_code == 422 and "Idempotency-Key" in other.text
        p = (await a.get(f"/pathways/{pathway_id}")).json()
    assert [(x["scope"], x["state"]) for x in p["consents"]] == [("dialogue", "given")]
    assert len([h for h in p["history"] if h["type"] == "ConsentRecorded"]) == 1
