"""Every GET route and page, as every role: the status it answers and what it must not show.

One pathway in region 1082 (municipality 751, with the patient's consent to dialogue) carries
marker text in every kind of free text: `CLIN-…` is psychiatry's own (region staff only),
`SHARED-…` the sectors' shared record (region staff and the municipality with consent; never
ops). Each role reads every route; an answer that shows a marker it may not see fails. A GET
route this test has no value for fails too: a new route is walked from the day it exists.

A general practice (role gp) reaches only its own referrals' answers and the referral form: every
other route, page and command answers 403 to it, a new one included (api/disclosure.py, ROUTES).
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import routing
from fastapi.routing import APIRoute

from dualpath.api.auth import Role, issue_dev_token
from dualpath.api.disclosure import answers_through_policy, api_routes
from dualpath.api.main import create_app
from dualpath.domain import copenhagen
from dualpath.web.session import COOKIE, DEV_ROLES
from tests.api.helpers import accepted_pathway, referral
from tests.transitions.support import assessment
from tests.web.helpers import signed_in

REGION, MUNICIPALITY = "region:1082", "municipality:751"
CLIN, SHARED = "CLIN-", "SHARED-"


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    org: str


OWN_CLINICIAN = Caller("clinician of the region", "clinician", REGION)
OWN_VISITATION = Caller("visitation of the region", "visitation", REGION)
OTHER_CLINICIAN = Caller("clinician of another region", "clinician", "region:1084")
MUNICIPALITY_WITH_CONSENT = Caller("municipality with consent", "municipality", MUNICIPALITY)
OTHER_MUNICIPALITY = Caller("another municipality", "municipality", "municipality:101")
OPS = Caller("ops", "ops", "ops:national")
# The practice that sent one referral of the world (declined), and a practice that sent none.
OWN_PRACTICE = Caller("the referring general practice", "gp", "practice:123456")
OTHER_PRACTICE = Caller("another general practice", "gp", "practice:654321")
PRACTICES = (OWN_PRACTICE, OTHER_PRACTICE)
CALLERS = [
    OWN_CLINICIAN,
    OWN_VISITATION,
    OTHER_CLINICIAN,
    MUNICIPALITY_WITH_CONSENT,
    OTHER_MUNICIPALITY,
    OPS,
    OWN_PRACTICE,
    OTHER_PRACTICE,
]
GP_ROUTES = {"/referrals/sent", "/referrals/{referral_id}/answer"}  # the GET routes a practice reaches
GP_PAGES = {"/mine-henvisninger"}  # and its pages (the referral form, /henvisning, is not walked)

# What each caller may read of the marked objects.
MAY_READ = {OWN_CLINICIAN: {CLIN, SHARED}, OWN_VISITATION: {CLIN, SHARED}, MUNICIPALITY_WITH_CONSENT: {SHARED}}

# Open or without patient data: nothing to disclose.
NOT_WALKED = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/sign-in",
    "/campaigns/template.csv",
    "/",
    "/henvisning",
    # a reload of the discharge advice: the same redirect to the pathway page for everyone
    "/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelsesplan",
}


@pytest.fixture(scope="module")
async def world(http):
    """The marked pathway and everything hanging on it; a second pathway without consent."""
    pathway_id = await accepted_pathway(http)
    without_consent = await accepted_pathway(http)
    async with (
        http.as_("clinician", REGION) as cli,
        http.as_("visitation", REGION) as vis,
        http.as_("municipality", MUNICIPALITY) as mun,
    ):
        r = await cli.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text
        task = next(t for t in r.json()["tasks"] if t["state"] == "open")
        r = await cli.post(
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete",
            json={"outcome": "not_possible", "note": "CLIN-tasknote the patient was too unwell"},
        )
        assert r.status_code == 200, r.text
        r = await cli.post(
            f"/pathways/{pathway_id}/admissions",
            json={"via": "acute_function", "ward": "CLIN-ward P7", "admitted_on": "2026-11-02"},
        )
        assert r.status_code == 201, r.text
        stay_id = r.json()["stay_id"]
        r = await cli.post(
            f"/pathways/{pathway_id}/meetings",
            json={
                "kind": "network_meeting",
                "purpose": "CLIN-purpose relapse after admission",
                "participants": [
                    {"role": "clinician", "organisation": REGION, "name_or_function": "CLIN-name Dr Hansen"},
                    {"role": "substance_treatment", "organisation": MUNICIPALITY},
                ],
            },
        )
        assert r.status_code == 201, r.text
        meeting_id = r.json()["meeting_id"]
        r = await cli.post(
            f"/pathways/{pathway_id}/meetings/{meeting_id}/schedule",
            json={"at": f"{copenhagen.today() + timedelta(days=2)}T10:00:00+01:00", "place": "SHARED-place the clinic"},
        )
        assert r.status_code == 200, r.text
        r = await cli.post(
            f"/pathways/{pathway_id}/meetings/{meeting_id}/held",
            json={
                "held_on": str(copenhagen.today()),
                "outcome": "CLIN-outcome she wants to stop using",
                "joint_plan": {
                    "kind": "koordinationsplan",
                    "summary": "SHARED-summary who does what",
                    "agreed_by": [{"role": "clinician", "organisation": REGION}],
                },
            },
        )
        assert r.status_code == 200, r.text
        # The koordinationsplan revised on its own, with structured content (who does what, the crisis plan).
        r = await cli.post(
            f"/pathways/{pathway_id}/joint-plans",
            json={
                "kind": "koordinationsplan",
                "revises": 1,
                "summary": "SHARED-summary revised",
                "agreed_by": [{"role": "clinician", "organisation": REGION}],
                "actions": [{"party": "municipality", "who": "SHARED-who mentor", "what": "SHARED-action visits"}],
                "crisis_plan": {"warning_signs": "SHARED-crisis stops eating"},
                "next_review": str(copenhagen.today() + timedelta(days=30)),
            },
        )
        assert r.status_code == 201, r.text
        r = await cli.post(
            "/transitions",
            json={"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "SHARED-reason stable for a year"},
        )
        assert r.status_code == 201, r.text
        transition_id = r.json()["transition_id"]
        r = await cli.post(f"/transitions/{transition_id}/assessment", json=assessment(answer="SHARED-answer agreed"))
        assert r.status_code == 200, r.text
        r = await cli.post(
            f"/transitions/{transition_id}/tasks",
            json={"title": "CLIN-title ask about the voices", "owner": "region", "involves_patient": False},
        )
        assert r.status_code == 201, r.text
        r = await mun.get(f"/transitions/{transition_id}")
        assert r.status_code == 200, r.text
        not_eligible = referral(
            criteria={
                "mental_illness": "mild",
                "substance_problem": True,
                "reduced_functioning": True,
                "parallel_treatment_insufficient": True,
            }
        )
        r = await cli.post("/referrals", json=not_eligible)
        assert r.status_code == 201 and r.json()["reasons"], r.text
        referral_id = r.json()["referral_id"]
        r = await vis.post(
            "/campaigns",
            json={
                "centre": "Psykiatrien Aarhus",
                "municipality": "751",
                "collaboration_meeting_on": str(copenhagen.today() + timedelta(days=30)),
            },
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["campaign_id"]
        # A referral the municipality sent, declined: the coordinated course that follows is shared with it.
        r = await mun.post("/referrals", json=referral())
        assert r.status_code == 201, r.text
        declined = r.json()["referral_id"]
        r = await vis.post(f"/referrals/{declined}/decision", json={"accept": False, "reason": "CLIN-decline coping"})
        assert r.status_code == 200, r.text
        r = await vis.get("/coordinated-courses", params={"origin_id": declined})
        assert r.status_code == 200 and len(r.json()) == 1, r.text
        course_id = r.json()[0]["course_id"]
        # A staff member of the region, named the pathway's contact person (their name is shared with the
        # municipality on consent, never with ops).
        staff_subject = f"matrix-staff-{uuid.uuid4().hex[:8]}"
        r = await cli.post(
            "/staff",
            json={
                "subject": staff_subject,
                "display_name": "SHARED-staffname",
                "team": "ambulant_team",
                "role": "nurse",
            },
        )
        assert r.status_code == 201, r.text
        r = await cli.post(f"/pathways/{pathway_id}/contact-person", json={"subject": staff_subject})
        assert r.status_code == 200, r.text
        # A relative on the pathway (issue #15 item 4): name and contact are shared with the municipality on
        # consent, never with ops (who read the count).
        r = await cli.post(
            f"/pathways/{pathway_id}/relatives",
            json={"name": "SHARED-relname", "relation": "parent", "contact": "SHARED-relcontact"},
        )
        assert r.status_code == 201, r.text
    # A general practice's referral, declined: the answer (with its reason) is that practice's to read.
    async with http.as_(OWN_PRACTICE.role, OWN_PRACTICE.org) as gp, http.as_("visitation", REGION) as vis:
        r = await gp.post("/referrals", json=referral(source="general_practice"))
        assert r.status_code == 201, r.text
        gp_referral_id = r.json()["referral_id"]
        r = await vis.post(f"/referrals/{gp_referral_id}/decision", json={"accept": False, "reason": "GP-reason full"})
        assert r.status_code == 200, r.text
    return {
        "pathway_id": pathway_id,
        "stay_id": stay_id,
        "meeting_id": meeting_id,
        "transition_id": transition_id,
        "referral_id": referral_id,
        "campaign_id": campaign_id,
        "without_consent": without_consent,
        "task_id": task["task_id"],
        "course_id": course_id,
        "subject": staff_subject,
        "gp_referral_id": gp_referral_id,
    }


def _routes():
    api, pages = [], []
    for context in routing.iter_route_contexts(create_app().routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in route.methods or route.path in NOT_WALKED:
            continue
        (api if route.include_in_schema else pages).append(route.path)
    assert api and pages, "no routes found to walk"
    return sorted(api), sorted(pages)


API_ROUTES, PAGE_ROUTES = _routes()


def _fill(path: str, world: dict) -> str:
    params = {
        "pathway_id": world["pathway_id"],
        "stay_id": world["stay_id"],
        "meeting_id": world["meeting_id"],
        "referral_id": world["referral_id"],
        "transition_id": world["transition_id"],
        "campaign_id": world["campaign_id"],
        "course_id": world["course_id"],
        "subject": world["subject"],
        "kind": "koordinationsplan",
    }
    try:
        return path.format(**params)
    except KeyError as exc:
        raise AssertionError(f"the disclosure matrix has no value for {exc} in {path}: add one") from None


def _expected(path: str, caller: Caller) -> int:
    """The status each caller must get: 404 for what is not theirs, so that existence does not leak."""
    region_staff = caller in (OWN_CLINICIAN, OWN_VISITATION)
    if caller in PRACTICES:
        # Nothing but its own referrals' answers; the world's {referral_id} is not a practice's.
        return 404 if path == "/referrals/{referral_id}/answer" else 200 if path in GP_ROUTES else 403
    if path == "/referrals/sent":
        return 403  # a general practice's list of what it sent
    if path == "/access-log":
        return 200 if caller == OPS else 403
    if path == "/referrals":
        return 200 if caller.role == "visitation" else 403  # visitation's list of what it has to decide
    if path == "/reports/monitoring":
        return 403 if caller.role == "municipality" else 200
    if path in ("/staff/{subject}", "/staff/{subject}/competences"):
        return 200 if region_staff or caller == OPS else 404  # the staff member's organisation (ops: no name)
    if "{" not in path:
        return 200  # lists: each caller's own slice
    if "{referral_id}" in path:
        return 200 if region_staff or caller == OPS else 404
    if "{campaign_id}" in path:
        return 200 if region_staff or caller in (MUNICIPALITY_WITH_CONSENT, OPS) else 404
    return 200 if region_staff or caller in (MUNICIPALITY_WITH_CONSENT, OPS) else 404


@asynccontextmanager
async def _pages_as(api: str, settings, caller: Caller):
    """Signed in to the pages: through the sign-in form where it offers the role, else with the same
    token the form would have put in the session cookie."""
    if (Role(caller.role), caller.org) in DEV_ROLES:
        async with signed_in(api, caller.role, caller.org, subject=f"matrix-{caller.role}") as c:
            yield c
        return
    token = issue_dev_token(settings, role=Role(caller.role), org=caller.org, subject=f"matrix-{caller.role}")
    async with httpx.AsyncClient(base_url=api, cookies={COOKIE: token}, timeout=30) as c:
        yield c


def _forbidden(caller: Caller) -> set[str]:
    return {CLIN, SHARED} - MAY_READ.get(caller, set())


def test_every_api_route_answers_through_the_disclosure_policy():
    # Open routes answer no patient data; the codec server has its own rule (who decodes which key).
    exempt = {"/healthz", "/readyz", "/codec/decode", "/codec/encode"}
    unchecked = [
        f"{sorted(r.methods)} {r.path}"
        for r in api_routes(create_app())
        if r.path not in exempt and not answers_through_policy(r)
    ]
    assert unchecked == [], f"routes registered without disclosure.Router: {unchecked}"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_every_get_route_as_every_role(http, world, caller):
    seen: dict[str, int] = {}
    async with http.as_(caller.role, caller.org) as c:
        for template in API_ROUTES:
            path = _fill(template, world)
            r = await c.get(
                path,
                params={"limit": 200} if "{" not in template and template not in ("/reports/monitoring",) else None,
            )
            seen[template] = r.status_code
            assert r.status_code == _expected(template, caller), (
                f"{caller.name} GET {template}: {r.status_code} {r.text[:300]}"
            )
            for marker in _forbidden(caller):
                assert marker not in r.text, f"{caller.name} reads {marker}… through GET {template}"
        # The pathway without consent is the municipality's to know nothing of, through any of its routes.
        for template in (t for t in API_ROUTES if t.startswith("/pathways/{pathway_id}")):
            r = await c.get(template.format(pathway_id=world["without_consent"], kind="koordinationsplan"))
            expected = 200 if caller in (OWN_CLINICIAN, OWN_VISITATION, OPS) else 403 if caller in PRACTICES else 404
            assert r.status_code == expected, (
                f"{caller.name} GET {template} of the pathway without consent: {r.status_code}"
            )
    if caller in PRACTICES:
        # The practice's own referral: its answer with the reason, to that practice alone.
        async with http.as_(caller.role, caller.org) as c:
            r = await c.get(f"/referrals/{world['gp_referral_id']}/answer")
            sent = [a["referral_id"] for a in (await c.get("/referrals/sent")).json()]
        if caller == OWN_PRACTICE:
            assert r.status_code == 200 and r.json()["decline_reason"] == "GP-reason full", r.text
            assert world["gp_referral_id"] in sent
        else:
            assert r.status_code == 404 and world["gp_referral_id"] not in sent, r.text
    if caller in (OWN_CLINICIAN, OWN_VISITATION):
        # Region staff read every marker: the markers are really in the answers.
        async with http.as_(caller.role, caller.org) as c:
            text = "".join([(await c.get(_fill(t, world))).text for t in API_ROUTES if "{" in t])
        for marker in (
            "CLIN-tasknote",
            "CLIN-ward",
            "CLIN-purpose",
            "CLIN-outcome",
            "CLIN-name",
            "CLIN-title",
            "SHARED-place",
            "SHARED-summary",
            "SHARED-action",
            "SHARED-crisis",
            "SHARED-reason",
            "SHARED-answer",
            "SHARED-staffname",
        ):
            assert marker in text, f"{marker} was never shown to region staff: the matrix proves nothing"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
async def test_every_page_as_every_role(api, settings, world, caller):
    async with _pages_as(api, settings, caller) as c:
        for template in PAGE_ROUTES:
            path = _fill(template, world)
            r = await c.get(path)
            if caller in PRACTICES:
                # A practice's pages are the referral form and its referrals' answers; the rest refuse politely.
                expected = 200 if template in GP_PAGES else 303 if template == "/arbejdsliste" else 403
                assert r.status_code == expected, f"{caller.name} page {template}: {r.status_code}"
            elif template in GP_PAGES:
                assert r.status_code == 403, f"{caller.name} page {template}: {r.status_code}"  # a practice's page
            assert r.status_code in ((200, 303, 403) if caller in PRACTICES or template in GP_PAGES else (200, 404)), (
                f"{caller.name} page {template}: {r.status_code}"
            )
            if r.status_code == 404:
                assert template != "/arbejdsliste" and template != "/forloeb"
            for marker in _forbidden(caller):
                assert marker not in r.text, f"{caller.name} reads {marker}… on page {template}"
        page = await c.get(f"/forloeb/{world['pathway_id']}")
        if caller in PRACTICES:
            assert page.status_code == 403 and "praktiserende læge" in page.text, page.text[:300]
            return
        assert page.status_code == (404 if caller in (OTHER_CLINICIAN, OTHER_MUNICIPALITY) else 200)
        if caller == MUNICIPALITY_WITH_CONSENT:
            assert "SHARED-summary" in page.text  # the koordinationsplan is theirs too


@pytest.mark.parametrize(
    "caller", [OTHER_CLINICIAN, OTHER_MUNICIPALITY, MUNICIPALITY_WITH_CONSENT, OPS, OWN_PRACTICE], ids=lambda c: c.name
)
async def test_commands_answer_alike_for_what_exists_and_what_does_not(http, world, caller):
    """A command the caller may not give is refused; on something the caller may not see, the answer is
    the same whether it exists or not."""
    nobody = str(uuid.uuid4())
    # target → who may see it (and so may learn that it exists)
    targets = {
        "without_consent": {OPS},
        "referral_id": {OPS},
        "transition_id": {MUNICIPALITY_WITH_CONSENT, OPS},
        "campaign_id": {MUNICIPALITY_WITH_CONSENT, OPS},
    }
    async with http.as_(caller.role, caller.org) as c:
        for template in (
            "/pathways/{id}/ambulatory/phase",
            "/pathways/{id}/end",
            "/pathways/{id}/consents",
            "/pathways/{id}/admissions",
            "/pathways/{id}/meetings",
            "/pathways/{id}/medication-changes",
            "/referrals/{id}/decision",
            "/transitions/{id}/assessment",
            "/transitions/{id}/complete",
            "/campaigns/{id}/collaboration-meeting",
        ):
            kind = (
                "referral_id"
                if "referrals" in template
                else (
                    "transition_id"
                    if "transitions" in template
                    else ("campaign_id" if "campaigns" in template else "without_consent")
                )
            )
            body = {"to": 2} if template.endswith("phase") else {}
            existing = await c.post(template.format(id=world[kind]), json=body)
            missing = await c.post(template.format(id=nobody), json=body)
            if existing.status_code in (200, 201):
                pytest.fail(f"{caller.name} could POST {template}: {existing.text[:200]}")
            if caller not in targets[kind]:
                assert (existing.status_code, existing.json()["error"]) == (
                    missing.status_code,
                    missing.json()["error"],
                ), (
                    f"{caller.name} POST {template} tells existing ({existing.status_code}) from missing "
                    f"({missing.status_code})"
                )


@pytest.mark.parametrize("caller", [OTHER_CLINICIAN, OTHER_MUNICIPALITY, OWN_PRACTICE], ids=lambda c: c.name)
async def test_every_command_route_is_refused_alike_for_what_exists_and_what_does_not(http, world, caller):
    """Every POST and PUT route with an id in it, as callers who see none of these objects: never applied,
    and answered exactly as for ids that do not exist."""
    templates = sorted({r.path for r in api_routes(create_app()) if r.methods & {"POST", "PUT"} and "{" in r.path})
    assert templates
    fixed = {"side": "clinic"}
    async with http.as_(caller.role, caller.org) as c:
        for template in templates:
            names = [p.strip("{}") for p in template.split("/") if p.startswith("{")]
            existing_ids = {n: fixed.get(n) or world.get(n) or str(uuid.uuid4()) for n in names}
            missing_ids = {n: fixed.get(n) or str(uuid.uuid4()) for n in names}
            method = "PUT" if "lists" in template or "kkr" in template else "POST"
            existing = await c.request(method, template.format(**existing_ids), json={})
            missing = await c.request(method, template.format(**missing_ids), json={})
            assert existing.status_code >= 400, f"{caller.name} {method} {template} was applied: {existing.text[:200]}"
            assert (existing.status_code, existing.json().get("error")) == (
                missing.status_code,
                missing.json().get("error"),
            ), (
                f"{caller.name} {method} {template}: existing {existing.status_code} {existing.text[:150]} "
                f"vs missing {missing.status_code} {missing.text[:150]}"
            )


async def test_denied_looks_and_list_reads_are_in_the_access_log(http, world, pool):
    async with http.as_("clinician", "region:1084", subject="curious-1084") as c:
        assert (await c.get(f"/pathways/{world['pathway_id']}")).status_code == 404
        assert (await c.get(f"/pathways/{world['pathway_id']}/meetings")).status_code == 404
        assert (await c.get("/worklist")).status_code == 200
    async with http.as_("ops", "ops:national", subject="ops-matrix") as c:
        assert (await c.get(f"/referrals/{world['referral_id']}")).status_code == 200
        assert (await c.get(f"/transitions/{world['transition_id']}")).status_code == 200
        assert (await c.get("/access-log", params={"subject": "curious-1084"})).status_code == 200
    rows = await pool.fetch(
        "SELECT subject, action, object_kind, object_id, outcome, pathway_id FROM access_log "
        "WHERE subject IN ('curious-1084', 'ops-matrix') ORDER BY id"
    )
    looks = {(r["subject"], r["action"], r["object_kind"], r["object_id"], r["outcome"]) for r in rows}
    assert ("curious-1084", "GET /pathways/{pathway_id}", "pathway", world["pathway_id"], "denied") in looks
    assert ("curious-1084", "GET /pathways/{pathway_id}/meetings", "pathway", world["pathway_id"], "denied") in looks
    assert ("curious-1084", "GET /worklist", "list", "GET /worklist", "allowed") in looks
    assert ("ops-matrix", "GET /referrals/{referral_id}", "referral", world["referral_id"], "allowed") in looks
    assert ("ops-matrix", "GET /transitions/{transition_id}", "transition", world["transition_id"], "allowed") in looks
    assert ("ops-matrix", "GET /access-log", "list", "GET /access-log", "allowed") in looks
