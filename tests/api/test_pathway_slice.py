"""The first slice end to end over real HTTP: referral → visitation → phase moves."""

from datetime import timedelta

import pytest

from dualpath.domain import copenhagen
from dualpath.workflows import pathway as pathway_wf

from .helpers import accepted_pathway as _accepted_pathway
from .helpers import close_open_tasks, referral

REGION = "region:1082"


async def test_referral_is_assessed_and_answered(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/referrals", json=referral())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["group"] == 2 and body["region"] == "1082"
    assert body["status"] == "awaiting_visitation"
    # Received today (the helper's default): 14 calendar days on.
    assert body["start_deadline"] == str(copenhagen.today() + timedelta(days=14))
    assert body["reasons"] == []


async def test_phase_moves_show_in_read_model_event_store_and_temporal(http, store, client):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        p = await c.get(f"/pathways/{pathway_id}")
        assert p.status_code == 200, p.text
        assert p.json()["phase"] == 1 and p.json()["level_of_care"] == "integrated_unstable"
        await close_open_tasks(c, pathway_id)

        m = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 3, "reason": "stable quickly"})
        assert m.status_code == 200, m.text
        assert m.json()["phase"] == 3 and m.json()["level_of_care"] == "integrated_stable"

        p = await c.get(f"/pathways/{pathway_id}")
    history = [h for h in p.json()["history"] if not h["type"].startswith(("Task", "Consent"))]
    assert [h["type"] for h in history] == ["PathwayStarted", "PhaseChanged", "LevelOfCareChanged"]
    assert history[1]["by"]["role"] == "clinician"

    events = await store.read_stream(pathway_wf.stream_id(pathway_id))
    assert [e.type for e in events] == [h["type"] for h in p.json()["history"]]
    moved = next(e for e in events if e.type == "PhaseChanged")
    assert moved.data == {"pathway_id": pathway_id, "from_phase": 1, "to_phase": 3, "reason": "stable quickly"}

    view = await client.get_workflow_handle(pathway_wf.workflow_id(pathway_id, "1082")).query(
        pathway_wf.PathwayWorkflow.view
    )
    assert view.phase == 3


async def test_illegal_move_is_refused_with_allowed_moves_and_changes_nothing(http, store):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await close_open_tasks(c, pathway_id)
        before = await store.read_stream(pathway_wf.stream_id(pathway_id))
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 4})
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "refused"
        assert "allowed moves are to 2 (Ustabil), 3 (Stabil)" in r.json()["message"]
        assert [m["to"] for m in r.json()["allowed"]] == [2, 3]
        p = await c.get(f"/pathways/{pathway_id}")
    assert p.json()["phase"] == 1
    assert await store.read_stream(pathway_wf.stream_id(pathway_id)) == before


@pytest.mark.parametrize("path", ["/pathways", "/referrals/x"])
async def test_routes_need_a_token(http, path):
    async with http.anonymous() as a:
        r = await a.get(path)
    assert r.status_code == 401
    assert "bearer token" in r.json()["message"]


async def test_a_forged_token_is_refused(http):
    async with http.anonymous() as a:
        r = await a.get("/pathways", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


async def test_wrong_role_gets_403_naming_the_allowed_role(http):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("visitation", REGION) as v:
        r = await v.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
    assert r.status_code == 403 and r.json()["allowed"] == ["clinician"]


async def test_another_regions_pathway_is_not_found(http):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", "region:1084") as other:
        r = await other.get(f"/pathways/{pathway_id}")
    assert r.status_code == 404


async def test_health_is_open_and_ready(http):
    async with http.anonymous() as a:
        assert (await a.get("/healthz")).status_code == 200
        r = await a.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"postgres": "ok", "migrations": "current", "temporal": "ok"}


async def test_bad_input_names_the_field(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/referrals", json=referral(cpr="3213121234", municipality="999"))
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"cpr", "municipality"}


async def test_metrics_count_requests_by_route_template_without_ids(http):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await c.get(f"/pathways/{pathway_id}")
    async with http.as_("ops", "ops:national") as a:
        r = await a.get("/metrics")
    assert r.status_code == 200
    assert 'dualpath_api_requests_total{method="GET",route="/pathways/{pathway_id}",status="200"}' in r.text
    assert pathway_id not in r.text


async def test_an_expired_token_is_refused(http, settings):
    from dualpath.api.auth import Role, issue_dev_token

    expired = issue_dev_token(settings, role=Role.clinician, org=REGION, subject="late", ttl_seconds=-60)
    async with http.anonymous() as a:
        r = await a.get("/pathways", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["message"]


@pytest.mark.parametrize("text", ["a\u0000b", "\ud843"])
async def test_text_postgresql_cannot_store_is_refused_at_the_door(http, text):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        body = '{"reason_kind": "other", "reason": ' + __import__("json").dumps(text) + "}"
        r = await c.post(f"/pathways/{pathway_id}/end", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "reason"
        assert (await c.get(f"/pathways/{pathway_id}")).json()["status"] == "active"
