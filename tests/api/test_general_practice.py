"""General practice (issue #15 item 5) over real HTTP: a general practitioner (role `gp`, organisation
`practice:<ydernummer>`) refers, reads the answers to its own practice's referrals (accepted or declined
with the reason, the pathway's start and the first treatment contact), and reaches nothing else."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import jwt
import pytest

from dualpath.api.auth import DEV_ISSUER, Role, issue_dev_token
from dualpath.api.disclosure import ROUTES, api_routes
from dualpath.api.main import create_app
from dualpath.domain import copenhagen
from tests.api.helpers import accepted_pathway, referral

PRACTICE, OTHER_PRACTICE = "practice:123456", "practice:654321"


def gp_referral(**overrides) -> dict:
    return referral(source="general_practice", **overrides)


async def _refer(http, org: str = PRACTICE, **overrides) -> dict:
    async with http.as_("gp", org, subject="dr-jensen") as gp:
        r = await gp.post("/referrals", json=gp_referral(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(
    "org, reason",
    [
        ("practice:12345", "6 digits"),
        ("practice:1234567", "6 digits"),
        ("practice:12a456", "6 digits"),
        ("practice:", "practice:<provider number>"),
        ("region:1082", "role gp belongs to a practice organisation"),
        ("municipality:751", "role gp belongs to a practice organisation"),
    ],
)
async def test_a_gp_token_must_name_a_practice_by_its_provider_number(http, settings, org, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        issue_dev_token(settings, role=Role.gp, org=org, subject="dr-jensen")
    claims = {
        "sub": "dr-jensen",
        "role": "gp",
        "org": org,
        "iss": DEV_ISSUER,
        "aud": settings.oidc_audience,
        "exp": int(time.time()) + 300,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    async with http.anonymous() as a:
        r = await a.post("/referrals", json=gp_referral(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and reason in r.json()["message"], r.text
    # A practice is a gp's organisation only.
    with pytest.raises(ValueError, match="role clinician belongs to a region organisation"):
        issue_dev_token(settings, role=Role.clinician, org=PRACTICE, subject="x")


def test_the_token_command_makes_a_gp_token_and_says_what_a_practice_is():
    command = [sys.executable, "-m", "dualpath.cli", "token", "--role", "gp"]
    ok = subprocess.run([*command, "--org", PRACTICE], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stdout.count(".") == 2, ok.stderr
    bad = subprocess.run([*command, "--org", "practice:12"], capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "ydernummer, 6 digits (e.g. practice:123456)" in bad.stderr, bad.stderr


async def test_a_gp_refers_and_reads_the_answer_and_when_treatment_started(http):
    sent = await _refer(http)
    assert sent["status"] == "awaiting_visitation" and sent["pathway_id"] is None
    referral_id = sent["referral_id"]
    async with http.as_("gp", PRACTICE) as gp, http.as_("visitation", "region:1082") as vis:
        r = await gp.get(f"/referrals/{referral_id}/answer")
        assert r.status_code == 200, r.text
        answer = r.json()
        assert (answer["status"], answer["decided_on"], answer["referred_by"]) == (
            "awaiting_visitation",
            None,
            PRACTICE,
        )
        assert answer["start_deadline"] == sent["start_deadline"]

        d = await vis.post(f"/referrals/{referral_id}/decision", json={"accept": True})
        assert d.status_code == 200, d.text
        pathway_id = d.json()["pathway_id"]
        r = await gp.get(f"/referrals/{referral_id}/answer")
        answer = r.json()
        assert answer["status"] == "accepted" and answer["decided_on"] == str(copenhagen.today()), answer
        assert answer["pathway_started_on"] == str(copenhagen.today())
        assert answer["treatment_started_on"] is None
        assert answer["pathway_id"] is None, "a referrer reads no pathway"

    async with http.as_("clinician", "region:1082") as cli:
        r = await cli.post(f"/pathways/{pathway_id}/first-contact", json={"contact_on": str(copenhagen.today())})
        assert r.status_code == 200, r.text
    async with http.as_("gp", PRACTICE) as gp:
        answer = (await gp.get(f"/referrals/{referral_id}/answer")).json()
        assert answer["treatment_started_on"] == str(copenhagen.today()), answer
        # The pathway itself stays out of reach.
        assert (await gp.get(f"/pathways/{pathway_id}")).status_code == 403
        sent_list = (await gp.get("/referrals/sent")).json()
        assert referral_id in [a["referral_id"] for a in sent_list]
        assert all(a["referred_by"] == PRACTICE and a["pathway_id"] is None for a in sent_list)


async def test_a_decline_reaches_the_practice_that_referred_with_its_reason_and_no_one_else(http):
    referral_id = (await _refer(http))["referral_id"]
    async with http.as_("visitation", "region:1082") as vis:
        d = await vis.post(
            f"/referrals/{referral_id}/decision", json={"accept": False, "reason": "parallel treatment suffices"}
        )
        assert d.status_code == 200, d.text
    async with http.as_("gp", PRACTICE) as gp:
        answer = (await gp.get(f"/referrals/{referral_id}/answer")).json()
    assert answer["status"] == "declined" and answer["decline_reason"] == "parallel treatment suffices", answer
    assert answer["decided_on"] == str(copenhagen.today()) and answer["pathway_started_on"] is None

    async with http.as_("gp", OTHER_PRACTICE) as other:
        r = await other.get(f"/referrals/{referral_id}/answer")
        missing = await other.get(f"/referrals/{uuid.uuid4()}/answer")
        assert (
            (r.status_code, r.json()["error"]) == (missing.status_code, missing.json()["error"]) == (404, "not_found")
        )
        assert referral_id not in [a["referral_id"] for a in (await other.get("/referrals/sent")).json()]
    # Region staff read the answer whole; ops its process state only (the reason is the referrer's).
    async with http.as_("clinician", "region:1082") as cli, http.as_("ops", "ops:national") as ops:
        assert (await cli.get(f"/referrals/{referral_id}/answer")).json()["decline_reason"] == (
            "parallel treatment suffices"
        )
        r = await ops.get(f"/referrals/{referral_id}/answer")
        assert r.status_code == 200 and r.json()["decline_reason"] is None and r.json()["status"] == "declined"
    async with http.as_("municipality", "municipality:751") as mun:
        assert (await mun.get(f"/referrals/{referral_id}/answer")).status_code == 404


async def test_a_referral_that_joins_an_open_pathway_does_not_tell_the_gp_that_one_exists(http):
    body = gp_referral()
    await accepted_pathway(http, cpr=body["cpr"])
    async with http.as_("gp", PRACTICE) as gp:
        r = await gp.post("/referrals", json=body)
        assert r.status_code == 201, r.text
        sent = r.json()
        assert sent["status"] == "awaiting_visitation" and sent["pathway_id"] is None, sent
        answer = (await gp.get(f"/referrals/{sent['referral_id']}/answer")).json()
    assert (answer["status"], answer["pathway_id"], answer["decided_on"]) == ("awaiting_visitation", None, None)
    assert answer["start_deadline"] == sent["start_deadline"]
    async with http.as_("visitation", "region:1082") as vis:
        assert (await vis.get(f"/referrals/{sent['referral_id']}/answer")).json()["status"] == "attached"


async def test_a_gp_refers_as_general_practice(http):
    async with http.as_("gp", PRACTICE) as gp:
        r = await gp.post("/referrals", json=referral(source="municipality"))
    assert r.status_code == 422 and "general_practice" in r.json()["message"], r.text


async def test_a_gp_reaches_nothing_but_its_referrals(http):
    """Every route of the API but the gp's own three, whatever the method: 403 before anything is done —
    pathways, worklist, lists, the report, other referrals, the codec server."""
    pathway_id = await accepted_pathway(http)
    allowed = ROUTES[Role.gp]
    checked = 0
    async with http.as_("gp", PRACTICE) as gp:
        for route in api_routes(create_app()):
            for method in route.methods:
                if f"{method} {route.path}" in allowed or route.path in ("/healthz", "/readyz"):
                    continue
                names = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
                ids = {n: pathway_id if n == "pathway_id" else str(uuid.uuid4()) for n in names}
                r = await gp.request(method, route.path.format(**ids), json={})
                assert r.status_code == 403, f"gp {method} {route.path}: {r.status_code} {r.text[:200]}"
                assert r.json()["error"] == "forbidden"
                checked += 1
        assert checked > 40
        for path in ("/codec/decode", "/codec/encode"):
            r = await gp.post(
                path,
                json={"payloads": []},
                headers={"X-Workflow-Id": f"pathway-1082-{pathway_id}", "X-Break-Glass-Reason": "curious"},
            )
            assert r.status_code == 403, r.text
        assert (await gp.get("/metrics")).status_code == 403
