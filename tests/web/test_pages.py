"""The staff pages over plain HTTP, without JavaScript: sign-in, CSRF, and forms that call
the same workflow updates as the API and show exactly what it would show."""

import html
import re
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

from dualpath import web
from tests.api.helpers import accepted_pathway, close_open_tasks, cpr

from .helpers import REGION, csrf, shared_and_private, signed_in, text


async def test_sign_in_lists_the_roles_and_sets_a_strict_http_only_cookie(api):
    async with httpx.AsyncClient(base_url=api, timeout=30) as c:
        page = await c.get("/sign-in")
        assert page.status_code == 200
        for role, org in [
            ("clinician", "region:1082"),
            ("visitation", "region:1082"),
            ("municipality", "municipality:751"),
            ("ops", "ops:national"),
        ]:
            assert f'value="{role}|{org}"' in page.text
        r = await c.post("/sign-in", data={"role": "clinician|region:1082", "next": "/forloeb"})
    assert r.status_code == 303 and r.headers["location"] == "/forloeb"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("dualpath_session=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


async def test_pages_send_you_to_sign_in_and_refuse_foreign_next_addresses(api):
    async with httpx.AsyncClient(base_url=api, timeout=30) as c:
        r = await c.get("/arbejdsliste?type=crisis_plan")
        assert r.status_code == 303
        assert r.headers["location"] == "/sign-in?next=%2Farbejdsliste%3Ftype%3Dcrisis_plan"
        r = await c.post("/sign-in", data={"role": "clinician|region:1082", "next": "//evil.example/x"})
        assert r.headers["location"] == "/arbejdsliste"
        r = await c.post("/sign-in", data={"role": "admin|region:1082"})
        assert r.status_code == 422 and "dualpath_session" not in r.headers.get("set-cookie", "")
    async with httpx.AsyncClient(base_url=api, timeout=30, cookies={"dualpath_session": "not-a-token"}) as c:
        r = await c.get("/arbejdsliste")
        assert r.status_code == 303 and "udloebet=1" in r.headers["location"]


async def test_the_session_cookie_is_accepted_by_the_pages_only(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c:
        assert (await c.get(f"/forloeb/{pathway_id}")).status_code == 200
        # The JSON API wants a bearer token; the cookie does not count there.
        assert (await c.get(f"/pathways/{pathway_id}")).status_code == 401
        assert (await c.get("/worklist")).status_code == 401


async def test_forms_need_the_session_csrf_token_and_this_origin(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c:
        consent = {"scope": "dialogue", "counterpart": "751", "state": "given", "consent_form": "written"}
        r = await c.post(f"/forloeb/{pathway_id}/samtykke", data=consent)
        assert r.status_code == 403 and "sikkerhedsnøglen" in text(r)
        token = await csrf(c, f"/forloeb/{pathway_id}")
        r = await c.post(
            f"/forloeb/{pathway_id}/samtykke",
            data={**consent, "csrf": token},
            headers={"origin": "https://evil.example"},
        )
        assert r.status_code == 403
        # Another session's token does not fit this one.
        async with signed_in(api, "clinician", REGION, subject="someone-else") as other:
            r = await c.post(f"/forloeb/{pathway_id}/samtykke", data={**consent, "csrf": await csrf(other)})
            assert r.status_code == 403
    async with http.as_("clinician", REGION) as api_client:
        assert (await api_client.get(f"/pathways/{pathway_id}")).json()["consents"] == []


async def test_production_offers_no_development_sign_in(settings):
    app = FastAPI()
    web.mount(app)
    prod = settings.model_copy(update={"environment": "production", "oidc_issuer": "https://login.region.example"})
    app.state.resources = SimpleNamespace(settings=prod)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pages") as c:
        page = await c.get("/sign-in")
        assert page.status_code == 200
        assert "OIDC" in page.text and "https://login.region.example" in page.text
        assert 'name="role"' not in page.text
        r = await c.post("/sign-in", data={"role": "clinician|region:1082"})
        assert r.status_code == 404 and "set-cookie" not in r.headers


async def test_a_refused_move_shows_the_engine_reason_and_keeps_the_input(api, http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as a:
        api_answer = await a.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2, "reason": "x"})
    assert api_answer.status_code == 409
    async with signed_in(api, "clinician", REGION) as c:
        token = await csrf(c, f"/forloeb/{pathway_id}")
        r = await c.post(
            f"/forloeb/{pathway_id}/fase",
            data={"csrf": token, "idem": "k1", "to": "2", "reason": "kaotisk hverdag <&>"},
        )
    assert r.status_code == 409
    page = text(r)
    assert "Motoren afviste handlingen" in page
    assert api_answer.json()["message"] in page  # the engine's own words
    assert "Åbne opgaver, der skal lukkes først" in page
    # Nothing lost: the reason typed is back in the form, the chosen phase still chosen.
    assert "kaotisk hverdag &lt;&amp;&gt;</textarea>" in r.text
    assert re.search(r'value="2" checked', r.text)


async def test_forms_call_the_same_workflow_updates_as_the_api(api, http, pool):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION, subject="web-clinician") as c, http.as_("clinician", REGION) as a:
        token = await csrf(c, f"/forloeb/{pathway_id}")
        r = await c.post(
            f"/forloeb/{pathway_id}/samtykke",
            data={
                "csrf": token,
                "idem": "c1",
                "scope": "dialogue",
                "counterpart": "751",
                "state": "given",
                "consent_form": "written",
            },
        )
        assert r.status_code == 303 and r.headers["location"].startswith(f"/forloeb/{pathway_id}?besked=samtykke")
        p = (await a.get(f"/pathways/{pathway_id}")).json()
        assert [(x["scope"], x["state"]) for x in p["consents"]] == [("dialogue", "given")]
        for t in [t for t in p["tasks"] if t["state"] == "open"]:
            r = await c.post(
                f"/forloeb/{pathway_id}/opgaver/{t['task_id']}",
                data={"csrf": token, "idem": t["task_id"], "outcome": "done"},
            )
            assert r.status_code == 303, text(r)
        r = await c.post(f"/forloeb/{pathway_id}/fase", data={"csrf": token, "idem": "m1", "to": "2", "reason": ""})
        assert r.status_code == 303
        p = (await a.get(f"/pathways/{pathway_id}")).json()
        assert p["phase"] == 2
        moved = [h for h in p["history"] if h["type"] == "PhaseChanged"][-1]
        assert moved["by"]["subject"] == "web-clinician" and moved["by"]["role"] == "clinician"
        page = await c.get(r.headers["location"])
        assert "Forløbet er flyttet til den nye fase." in text(page)
        assert 'aria-current="step"' in page.text and "2 Ustabil  ◀ nuværende fase" in page.text
    actions = {
        row["action"]
        for row in await pool.fetch(
            "SELECT action FROM access_log WHERE pathway_id = $1 AND subject = 'web-clinician'", pathway_id
        )
    }
    assert {"POST /forloeb/{pathway_id}/fase", "GET /forloeb/{pathway_id}"} <= actions


async def test_the_same_form_submitted_twice_acts_once(api, http, store):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        token = await csrf(c, f"/forloeb/{pathway_id}")
        task = next(
            t for t in (await a.get(f"/pathways/{pathway_id}")).json()["tasks"] if t["kind"] == "contact_person"
        )
        form = {"csrf": token, "idem": "double-click", "outcome": "done"}
        first = await c.post(f"/forloeb/{pathway_id}/opgaver/{task['task_id']}", data=form)
        again = await c.post(f"/forloeb/{pathway_id}/opgaver/{task['task_id']}", data=form)
        assert first.status_code == again.status_code == 303
        history = (await a.get(f"/pathways/{pathway_id}")).json()["history"]
        assert [h["data"]["task_id"] for h in history if h["type"] == "TaskCompleted"] == [task["task_id"]]
        # A new form (a new key) is a new command, which the engine refuses: the task is closed.
        r = await c.post(f"/forloeb/{pathway_id}/opgaver/{task['task_id']}", data={**form, "idem": "new"})
        assert r.status_code == 409


async def test_each_role_sees_what_the_api_shows_it_and_no_form_it_may_not_use(api, http):
    shared, private = await shared_and_private(http)
    async with signed_in(api, "visitation", REGION) as visitation:
        page = await visitation.get(f"/forloeb/{shared}")
        assert page.status_code == 200 and "Flyt forløbet" not in page.text and "Luk opgave" not in page.text
    async with signed_in(api, "ops", "ops:national") as ops:
        page = await ops.get(f"/forloeb/{shared}")
        assert page.status_code == 200 and "Din rolle ser hvad og hvornår" in page.text
        assert "test-staff" not in page.text and "Flyt forløbet" not in page.text  # no actors
    async with signed_in(api, "municipality", "municipality:751") as municipality:
        listing = await municipality.get("/forloeb")
        assert shared[:8] in listing.text and private[:8] not in listing.text
        page = await municipality.get(f"/forloeb/{shared}")
        assert page.status_code == 200
        assert "Registrér samtykket" not in page.text and "Indkald mødet" not in page.text
        assert (await municipality.get(f"/forloeb/{private}")).status_code == 404
        async with http.as_("clinician", REGION) as a:  # withdrawn: access ends at once
            await a.post(
                f"/pathways/{shared}/consents",
                json={"scope": "dialogue", "counterpart": "751", "state": "withdrawn", "form": "oral"},
            )
        assert (await municipality.get(f"/forloeb/{shared}")).status_code == 404
    async with signed_in(api, "clinician", REGION) as c:
        assert (await c.get("/forloeb/no-such-pathway")).status_code == 404


async def test_the_worklist_is_due_soonest_first_and_filters_by_kind_and_team(api, http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as a:
        await close_open_tasks(a, pathway_id)
        await a.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        api_rows = (await a.get("/worklist", params={"kind": "crisis_plan", "limit": 500})).json()
    async with signed_in(api, "clinician", REGION) as c:
        r = await c.get("/arbejdsliste", params={"type": "crisis_plan"})
        assert r.status_code == 200
        shown = re.findall(r'data-task="([^"]+)"', r.text)
        assert shown == [t["task_id"] for t in api_rows]  # the same rows, in the API's order
        assert f'href="/forloeb/{pathway_id}"' in r.text
        r = await c.get("/arbejdsliste", params={"team": "Akutteamet"})
        assert "Ingen åbne opgaver med det filter" in text(r) or "Akutteamet" in text(r)
        r = await c.get("/arbejdsliste", params={"team": "Ambulant team", "type": "crisis_plan"})
        assert re.findall(r'data-task="([^"]+)"', r.text) == shown


async def test_the_referral_form_names_unmet_criteria_and_keeps_a_refused_input(api):
    async with signed_in(api, "clinician", REGION) as c:
        token = await csrf(c, "/henvisning")
        form = {
            "csrf": token,
            "idem": "",
            "cpr": "12345",
            "municipality": "751",
            "source": "general_practice",
            "received_on": "2026-11-20",
            "psychiatric_contact": "current",
            "municipal_substance_treatment": "ja",
            "mental_illness": "severe",
            "substance_problem": "nej",
            "reduced_functioning": "ja",
            "parallel_treatment_insufficient": "ja",
        }
        r = await c.post("/henvisning", data=form)
        assert r.status_code == 422 and "CPR-nummer" in text(r)
        assert 'value="751" selected' in r.text and 'value="general_practice" selected' in r.text
        r = await c.post("/henvisning", data={**form, "cpr": cpr()})
        assert r.status_code == 200
        page = text(r)
        assert "Opfylder ikke kriterierne" in page and "criterion 2 unmet" in page
        assert form["cpr"] not in page
        referral_id = re.search(r'href="/henvisninger/([^"]+)"', r.text).group(1)
        assert "Opfylder ikke kriterierne" in text(await c.get(f"/henvisninger/{referral_id}"))


async def test_static_files_and_security_headers(api):
    async with httpx.AsyncClient(base_url=api, timeout=30) as c:
        js = await c.get("/static/htmx.min.js")
        assert js.status_code == 200 and "htmx" in js.text[:200]
        page = await c.get("/sign-in")
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert html.escape("Log ind") in page.text


async def test_a_clinician_decides_the_level_of_care_on_the_page_and_a_refusal_says_why(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        page = await c.get(f"/forloeb/{pathway_id}")
        assert 'id="form-level"' in page.text and "Beslut behandlingsniveau" in text(page)
        token = await csrf(c, f"/forloeb/{pathway_id}")
        refused = await c.post(
            f"/forloeb/{pathway_id}/niveau",
            data={"csrf": token, "idem": "l1", "level": "integrated_stable", "reason": " "},
        )
        assert refused.status_code == 409 and "needs the reason" in text(refused)
        r = await c.post(
            f"/forloeb/{pathway_id}/niveau",
            data={"csrf": token, "idem": "l2", "level": "integrated_stable", "reason": "stabil i tre uger"},
        )
        assert r.status_code == 303, r.text
        assert "Behandlingsniveauet er besluttet og begrundet." in text(await c.get(r.headers["location"]))
        p = (await a.get(f"/pathways/{pathway_id}")).json()
    assert p["level_of_care"] == "integrated_stable"
    decided = [h for h in p["history"] if h["type"] == "LevelOfCareChanged"][-1]
    assert decided["data"]["decided"] and decided["by"]["role"] == "clinician"
