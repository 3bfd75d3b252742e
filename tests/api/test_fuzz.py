"""Property-based fuzzing of the whole API and the staff pages' forms (schemathesis): no 5xx, and nothing freezes.

Run as the `st` command against the session's real API over HTTP, signed in as a clinician (a bearer
token for the API, the session cookie and its CSRF token for the pages): generated bodies, ids and
query strings must get answers with reasons, never a server error.

Besides the OpenAPI document, the run covers the staff pages' forms (described here as
x-www-form-urlencoded operations, since the pages are not in the API's document) and, through the hooks
in fuzz_hooks.py, what once froze a pathway for good: text PostgreSQL cannot store and control
characters in any string, boundary dates far outside the engine's bounds in any date, JSON under odd
spellings of its content type, campaign lists (CSV) with the generated text in a valid row, and real
ids in the paths (a few pathways, a stay, a meeting, a transition, a campaign, seeded first), so
commands reach real workflows. Afterwards every seeded process still answers a normal command, and no
running workflow of the session is stuck retrying an append or a calendar computation.
"""

import asyncio
import json
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from dualpath.domain import copenhagen
from dualpath.domain.ambulatory import EndReason
from tests.api import liveness
from tests.api.helpers import accepted_pathway, cpr
from tests.poll import eventually
from tests.web.helpers import CSRF

ST = Path(sys.executable).parent / "st"
ROOT = Path(__file__).resolve().parents[2]
REGION = "region:1082"
PARTIES = [
    {"role": "psychiatrist", "organisation": REGION},
    {"role": "substance_treatment", "organisation": "municipality:751"},
]
# Activities whose retries mean a process is stuck on its data (an outage is not expected during this test).
STUCK_IF_RETRIED = {"append_events", "discharge_advice", "working_day_deadline", "send_notice"}


def _text(**extra) -> dict:
    return {"type": "string", **extra}


def _form(path: str, properties: dict, required: list[str], csrf: str, params: list[str]) -> tuple[str, dict]:
    """One staff-page form as an OpenAPI operation."""
    return path, {
        "post": {
            "summary": f"staff page form {path}",
            "parameters": [{"name": p, "in": "path", "required": True, "schema": _text(format="uuid")} for p in params],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["csrf", *required],
                            "properties": {
                                "csrf": {"type": "string", "enum": [csrf]},
                                "idem": _text(maxLength=40),
                                **properties,
                            },
                        }
                    }
                },
            },
            "responses": {"default": {"description": "the page, a redirect, or the refused form with its reason"}},
        }
    }


def _forms(csrf: str) -> dict:
    """The staff pages' forms (dualpath/web/pages.py), their fields as the pages read them."""
    p, stay, meeting = "/forloeb/{pathway_id}", "/indlaeggelser/{stay_id}", "/moeder/{meeting_id}"
    date, dt = _text(format="date"), _text(format="date-time")
    phase = {"type": "string", "enum": ["1", "2", "3", "4"]}
    yes = {"type": "string", "enum": ["ja", "nej"]}
    forms = [
        _form(f"{p}/fase", {"to": phase, "reason": _text()}, ["to"], csrf, ["pathway_id"]),
        _form(
            f"{p}/afslut",
            {"reason_kind": {"type": "string", "enum": [e.value for e in EndReason]}, "reason": _text()},
            ["reason_kind"],
            csrf,
            ["pathway_id"],
        ),
        _form(
            f"{p}/samtykke",
            {
                "scope": {"type": "string", "enum": ["dialogue", "inform_municipal_treatment"]},
                "counterpart": _text(),
                "state": {"type": "string", "enum": ["given", "refused", "withdrawn"]},
                "consent_form": {"type": "string", "enum": ["written", "oral"]},
            },
            ["scope", "counterpart", "state", "consent_form"],
            csrf,
            ["pathway_id"],
        ),
        _form(
            f"{p}/opgaver/{{task_id}}",
            {"outcome": {"type": "string", "enum": ["done", "not_possible"]}, "note": _text()},
            ["outcome"],
            csrf,
            ["pathway_id", "task_id"],
        ),
        _form(
            f"{p}/moeder",
            {
                "kind": {"type": "string", "enum": ["network_meeting", "startup_meeting"]},
                "purpose": _text(),
                "participants": _text(),
                "called_on": date,
            },
            ["kind", "participants"],
            csrf,
            ["pathway_id"],
        ),
        _form(
            f"{p}{meeting}/planlaeg", {"at": dt, "place": _text()}, ["at", "place"], csrf, ["pathway_id", "meeting_id"]
        ),
        _form(
            f"{p}{meeting}/afholdt",
            {
                "held_on": date,
                "outcome": _text(),
                "attendees": _text(),
                "plan_kind": {"type": "string", "enum": ["", "koordinationsplan"]},
                "plan_summary": _text(),
                "plan_agreed_by": _text(),
            },
            ["held_on", "outcome"],
            csrf,
            ["pathway_id", "meeting_id"],
        ),
        _form(f"{p}{meeting}/aflys", {"reason": _text()}, [], csrf, ["pathway_id", "meeting_id"]),
        _form(
            f"{p}/indlaeggelser",
            {
                "via": {"type": "string", "enum": ["acute_function", "planned"]},
                "ward": _text(),
                "admitted_on": date,
                "in_ambulatory_pathway": yes,
            },
            ["via", "ward"],
            csrf,
            ["pathway_id"],
        ),
        _form(f"{p}{stay}/fase", {"to": phase, "reason": _text()}, ["to"], csrf, ["pathway_id", "stay_id"]),
        _form(
            f"{p}{stay}/udskrivelsesplan",
            {"planned_date": date, "keep_reason": _text()},
            ["planned_date"],
            csrf,
            ["pathway_id", "stay_id"],
        ),
        _form(
            f"{p}{stay}/udskrivelse",
            {"discharged_on": date, "acute_team_weekend": yes},
            ["discharged_on"],
            csrf,
            ["pathway_id", "stay_id"],
        ),
        _form(
            "/henvisning",
            {
                "cpr": _text(),
                "municipality": _text(),
                "source": _text(),
                "received_on": date,
                "psychiatric_contact": {"type": "string", "enum": ["current", "within_last_year"]},
                "municipal_substance_treatment": yes,
                "mental_illness": _text(),
                "substance_problem": yes,
                "reduced_functioning": yes,
                "parallel_treatment_insufficient": yes,
            },
            ["cpr", "municipality"],
            csrf,
            [],
        ),
    ]
    return dict(forms)


async def _seed(http) -> dict:
    """Real processes for the fuzzer's ids: pathways (one admitted, with a meeting), a transition, a campaign."""
    groups: list[dict[str, str]] = []
    async with http.as_("clinician", REGION) as c:
        for admitted in (True, False):
            pathway_id = await accepted_pathway(http)
            p = (await c.get(f"/pathways/{pathway_id}")).json()
            group = {
                "pathway_id": pathway_id,
                "task_id": next(t["task_id"] for t in p["tasks"] if t["state"] == "open"),
            }
            if admitted:
                r = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "acute_function", "ward": "P3"})
                assert r.status_code == 201, r.text
                group["stay_id"] = r.json()["stay_id"]
                r = await c.post(
                    f"/pathways/{pathway_id}/meetings", json={"kind": "network_meeting", "participants": PARTIES}
                )
                assert r.status_code == 201, r.text
                group["meeting_id"] = r.json()["meeting_id"]
            groups.append(group)
        r = await c.post(
            "/transitions",
            json={
                "direction": "to_integrated",
                "cpr": cpr(),
                "municipality": "751",
                "signs": ["crisis"],
                "dialogue_consent": "given",
            },
        )
        assert r.status_code == 201, r.text
        groups.append({"transition_id": r.json()["transition_id"]})
        r = await c.post(
            "/campaigns",
            json={
                "centre": "Psykiatrisk Center Aarhus",
                "municipality": "751",
                "collaboration_meeting_on": str(copenhagen.today() + timedelta(days=30)),
            },
        )
        assert r.status_code == 201, r.text
        groups.append({"campaign_id": r.json()["campaign_id"], "side": "clinic"})
    return {"groups": groups, "cprs": [cpr(), cpr()]}


async def _answers_afterwards(http, seeds: dict) -> None:
    async with http.as_("clinician", REGION) as c:
        for g in seeds["groups"]:
            await _group_answers(c, g)


async def _group_answers(c, g: dict) -> None:
    """Each seeded process answers a command, or refuses it with the engine's reason (the fuzzer may have ended it)."""
    if "pathway_id" in g:
        await liveness.pathway_answers(c, g["pathway_id"])
    if "stay_id" in g:
        await liveness.answers(
            lambda: c.post(
                f"/pathways/{g['pathway_id']}/admissions/{g['stay_id']}/discharge-plan",
                json={"planned_date": str(copenhagen.today() + timedelta(days=10))},
            ),
            f"stay {g['stay_id']}",
        )
    if "meeting_id" in g:
        await liveness.answers(
            lambda: c.post(
                f"/pathways/{g['pathway_id']}/meetings/{g['meeting_id']}/schedule",
                json={"at": f"{copenhagen.today() + timedelta(days=2)}T10:00:00+01:00", "place": "Klinik"},
            ),
            f"meeting {g['meeting_id']}",
        )
    if "transition_id" in g:
        await liveness.answers(
            lambda: c.post(
                f"/transitions/{g['transition_id']}/tasks",
                json={"title": "Ring tilbage", "owner": "region", "involves_patient": False},
            ),
            f"transition {g['transition_id']}",
        )
    if "campaign_id" in g:
        await liveness.campaign_takes_a_command(c, g["campaign_id"])


async def _stuck(client, task_queue: str) -> list[str]:
    """Running workflows of the session with an activity retried on and on (attempt > 2)."""
    stuck = []
    async for w in client.list_workflows(f'TaskQueue = "{task_queue}" AND ExecutionStatus = "Running"'):
        desc = await client.get_workflow_handle(w.id, run_id=w.run_id).describe()
        for a in desc.raw_description.pending_activities:
            if a.activity_type.name in STUCK_IF_RETRIED and a.attempt > 2:
                stuck.append(f"{w.id}: {a.activity_type.name} attempt {a.attempt}")
    return stuck


@pytest.mark.skipif(not ST.exists() and not shutil.which("st"), reason="schemathesis is not installed")
async def test_no_generated_request_gets_a_server_error_or_freezes_a_process(api, settings, http, client, tmp_path):
    import httpx

    from dualpath.api.auth import Role, issue_dev_token

    seeds = await _seed(http)
    token = issue_dev_token(settings, role=Role.clinician, org=REGION, subject="fuzzer")
    async with httpx.AsyncClient(base_url=api, timeout=30) as c:
        schema = (await c.get("/openapi.json")).json()
        r = await c.post("/sign-in", data={"role": f"clinician|{REGION}", "subject": "fuzzer", "next": "/forloeb"})
        session = r.cookies["dualpath_session"]
        page = await c.get("/forloeb")  # with the session's cookie, which the client kept
        csrf = CSRF.search(page.text).group(1)
    schema["paths"].update(_forms(csrf))
    document = tmp_path / "openapi-and-forms.json"
    document.write_text(json.dumps(schema))

    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(ST),
        "run",
        str(document),
        "--url",
        api,
        "--header",
        f"Authorization: Bearer {token}",
        "--header",
        f"Cookie: dualpath_session={session}",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "15",
        "--generation-deterministic",
        "--request-timeout",
        "30",
        # The codec endpoints take Temporal payloads; random ones are 422 by design,
        # and their contract is tested in tests/codec.
        "--exclude-path-regex",
        "^/codec",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=str(tmp_path),
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.api.fuzz_hooks",
            "PYTHONPATH": str(ROOT),
            "DUALPATH_FUZZ_SEEDS": json.dumps(seeds),
        },
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=280)
    text = out.decode()
    print(text[-3000:])
    print(f"fuzzing took {time.monotonic() - started:.0f} s")
    assert proc.returncode == 0, text[-6000:]

    # Nothing froze: every seeded process answers a normal command (or refuses it with the engine's
    # reason, if the fuzzer ended it), and no workflow of the session keeps retrying on its data.
    await _answers_afterwards(http, seeds)
    await eventually(
        lambda: _stuck(client, settings.task_queue),
        lambda stuck: not stuck,
        what="no workflow retrying on its data",
        timeout=liveness.CEILING,
        every=1.0,
    )
