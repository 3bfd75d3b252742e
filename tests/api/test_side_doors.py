"""The side doors, over real HTTP: /metrics needs the scrape token or ops, and its method label stays
bounded; a staff-page session ends at sign-out, also for a kept copy of its cookie; /docs loads nothing
from a CDN and is not there in production; request logs name the route template, not the path."""

import asyncio

import httpx
import structlog
import uvicorn

from dualpath.api.main import create_app
from dualpath.infra.ports import free_port
from tests.poll import until_serving

from .helpers import accepted_pathway

REGION = "region:1082"


async def _serve(settings):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await until_serving(server, task, "the API")
    return server, task, f"http://127.0.0.1:{port}"


async def test_metrics_need_the_scrape_token_or_ops(http):
    async with http.anonymous() as a:
        r = await a.get("/metrics")
        assert r.status_code == 401 and "scrape token" in r.json()["message"]
        assert (await a.get("/metrics", headers={"Authorization": "Bearer guessed"})).status_code == 401
    async with http.as_("clinician", REGION) as c:
        assert (await c.get("/metrics")).status_code == 403
    async with http.as_("ops", "ops:national") as o:
        r = await o.get("/metrics")
        assert r.status_code == 200 and "dualpath_api_requests_total" in r.text


async def test_prometheus_scrapes_with_its_token(settings):
    server, task, base = await _serve(settings.model_copy(update={"metrics_token": "scrape-me-0123456789"}))
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as a:
            r = await a.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
            assert r.status_code == 200 and "dualpath_api_requests_total" in r.text
            assert (await a.get("/metrics", headers={"Authorization": "Bearer scrape-me-01234567"})).status_code == 401
    finally:
        server.should_exit = True
        await task


async def test_the_method_label_takes_known_methods_only(http):
    async with http.as_("clinician", REGION) as c:
        for method in ("FROBNICATE", "X-NEW-SERIES-1"):
            await c.request(method, "/pathways")
    async with http.as_("ops", "ops:national") as o:
        text = (await o.get("/metrics")).text
    assert "FROBNICATE" not in text and "X-NEW-SERIES-1" not in text
    assert 'method="OTHER"' in text


async def test_a_session_ends_at_sign_out_even_for_a_kept_cookie(api):
    from tests.web.helpers import csrf, signed_in

    async with signed_in(api, "clinician", REGION, subject="signs-out") as c:
        kept = c.cookies.get("dualpath_session")
        token = await csrf(c)
        r = await c.post("/sign-out", data={"csrf": token})
        assert r.status_code == 303
    async with httpx.AsyncClient(
        base_url=api, timeout=30, follow_redirects=False, cookies={"dualpath_session": kept}
    ) as thief:
        r = await thief.get("/arbejdsliste")
        assert r.status_code == 303 and r.headers["location"].startswith("/sign-in"), r.text
    # Signing in again makes a new session that works.
    async with signed_in(api, "clinician", REGION, subject="signs-out") as c:
        assert (await c.get("/arbejdsliste")).status_code == 200


async def test_docs_load_vendored_scripts_in_development(http):
    async with http.anonymous() as a:
        page = await a.get("/docs")
        assert page.status_code == 200
        assert "/static/swagger-ui-bundle.js" in page.text and "/static/swagger-ui.css" in page.text
        assert "cdn." not in page.text and "https://" not in page.text.split("<body>")[0]
        assert (await a.get("/static/swagger-ui-bundle.js")).status_code == 200
        assert (await a.get("/redoc")).status_code == 404  # loads redoc from a CDN: not served


async def test_no_docs_in_production(settings):
    from fastapi.testclient import TestClient

    app = create_app(settings.model_copy(update={"environment": "production"}))
    client = TestClient(app)  # no lifespan: the routes alone
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


async def test_request_logs_name_the_route_template_not_the_path(http):
    pathway_id = await accepted_pathway(http)
    with structlog.testing.capture_logs() as logs:
        async with http.as_("clinician", REGION) as c:
            assert (await c.get(f"/pathways/{pathway_id}")).status_code == 200
    requests = [e for e in logs if e.get("event") == "request"]
    assert requests and all(pathway_id not in str(e) for e in requests), requests
    assert any(e.get("route") == "/pathways/{pathway_id}" for e in requests), requests
