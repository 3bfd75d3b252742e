"""Input the engine cannot take is refused at the door, at every door, and never freezes a process.

Over real HTTP against the session's API, worker, Temporal dev server and PostgreSQL. Text PostgreSQL
cannot store (NUL, an unpaired surrogate) in JSON of any content-type spelling; dates far outside the
engine's bounds in every date field of a command; NUL in path and query parameters. Each answers 4xx
naming the field (never 500, never an accepted command whose append then retries forever), and every
process touched still takes a normal command afterwards.
"""

import json
import uuid
from datetime import timedelta

import pytest

from dualpath.domain import copenhagen
from tests.api import liveness
from tests.api.helpers import accepted_pathway, cpr, referral

REGION = "region:1082"
CAMPAIGN_REGION, CAMPAIGN_MUNICIPALITY = "region:1084", "municipality:101"
TODAY = copenhagen.today()
PARTIES = [
    {"role": "psychiatrist", "organisation": REGION},
    {"role": "substance_treatment", "organisation": "municipality:751"},
]
FAR_FUTURE, DAWN = "9999-12-31", "0001-01-01"
NUL, SURROGATE = "a\u0000b", "\ud843"


def _fields(r) -> list[str]:
    return [f["field"] for f in r.json().get("fields") or []]


def refused(r, field: str, status: int = 422) -> None:
    assert r.status_code == status, f"{r.status_code} {r.text[:300]}"
    body = r.json()
    assert body["error"] == "invalid_input", body
    assert field in _fields(r), body


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "application/json; charset=utf-8", "Application/Json"])
@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "surrogate"])
async def test_unstorable_text_is_refused_whatever_the_content_type_is_called(http, content_type, text):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        headers = {"content-type": content_type}
        # json.dumps writes NUL as \u0000 and the surrogate as \ud843: what a client's JSON carries.
        r = await c.post(
            f"/pathways/{pathway_id}/end", headers=headers, content=json.dumps({"reason_kind": "other", "reason": text})
        )
        refused(r, "reason")
        assert "U+" in r.json()["message"] and text not in r.text
        r = await c.post(
            f"/pathways/{pathway_id}/meetings",
            headers=headers,
            content=json.dumps({"kind": "network_meeting", "participants": [{"role": text, "organisation": REGION}]}),
        )
        refused(r, "participants.0.role")
        r = await c.post(
            f"/pathways/{pathway_id}/medication-changes",
            headers=headers,
            content=json.dumps(
                {
                    "action": "start",
                    "drug": "quetiapin",
                    "changed_at": "2026-04-01T09:30:00+02:00",
                    "private": False,
                    "unknown": text,
                    "note": text,
                }
            ),
        )
        assert r.status_code == 201, r.text  # fields the model does not know are dropped, never stored
        await liveness.pathway_takes_a_command(c, pathway_id)
        p = (await c.get(f"/pathways/{pathway_id}")).json()
    assert p["status"] == "active" and p["phase"] == 1


async def test_control_characters_are_refused_in_free_text_and_line_breaks_in_one_line_fields(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "other", "reason": "escape \x1b[31m"})
        refused(r, "reason")
        assert "U+001B" in r.json()["message"]
        r = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "acute_function", "ward": "P3\nP4"})
        refused(r, "ward")
        # Free text keeps its line breaks and tabs.
        task = next(t for t in (await c.get(f"/pathways/{pathway_id}")).json()["tasks"] if t["state"] == "open")
        note = "the patient declined:\r\n\t- twice\n- by phone"
        r = await c.post(
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete", json={"outcome": "not_possible", "note": note}
        )
        assert r.status_code == 200, r.text
        done = next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])
        assert done["state"] == "not_possible"
        await liveness.pathway_takes_a_command(c, pathway_id)


async def _called_meeting(c, pathway_id: str) -> str:
    r = await c.post(f"/pathways/{pathway_id}/meetings", json={"kind": "network_meeting", "participants": PARTIES})
    assert r.status_code == 201, r.text
    return r.json()["meeting_id"]


async def _stay(c, pathway_id: str) -> str:
    r = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "acute_function", "ward": "P3"})
    assert r.status_code == 201, r.text
    return r.json()["stay_id"]


@pytest.mark.parametrize("day", [FAR_FUTURE, DAWN])
async def test_every_date_of_a_pathway_command_is_bounded(http, day):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        meeting_id = await _called_meeting(c, pathway_id)
        stay_id = await _stay(c, pathway_id)
        base = f"/pathways/{pathway_id}"
        refused(
            await c.post(f"{base}/admissions", json={"via": "acute_function", "ward": "P3", "admitted_on": day}),
            "admitted_on",
        )
        refused(
            await c.post(
                f"{base}/meetings", json={"kind": "network_meeting", "participants": PARTIES, "called_on": day}
            ),
            "called_on",
        )
        refused(
            await c.post(
                f"{base}/medication-changes",
                json={"action": "change", "drug": "quetiapin", "changed_at": f"{day}T09:30:00+01:00", "private": False},
            ),
            "changed_at",
        )
        refused(await c.post(f"{base}/admissions/{stay_id}/discharge-plan", json={"planned_date": day}), "planned_date")
        refused(await c.post(f"{base}/admissions/{stay_id}/discharge", json={"discharged_on": day}), "discharged_on")
        refused(
            await c.post(f"{base}/meetings/{meeting_id}/held", json={"held_on": day, "outcome": "agreed"}), "held_on"
        )
        refused(
            await c.post(
                f"{base}/meetings/{meeting_id}/schedule", json={"at": f"{day}T10:00:00+01:00", "place": "Klinik Nord"}
            ),
            "at",
        )
        assert (
            "1900-01-01"
            in (await c.post(f"{base}/admissions/{stay_id}/discharge-plan", json={"planned_date": day})).json()[
                "message"
            ]
        )
        # Every process touched goes on: the pathway, its stay, its meeting.
        await liveness.pathway_takes_a_command(c, pathway_id)
        await liveness.stay_takes_a_command(c, pathway_id, stay_id)
        await liveness.meeting_takes_a_command(c, pathway_id, meeting_id)


@pytest.mark.parametrize("day", [FAR_FUTURE, DAWN])
async def test_a_referral_received_far_away_in_time_is_refused_not_a_server_error(http, day):
    async with http.as_("clinician", REGION) as c, http.as_("municipality", "municipality:751") as m:
        refused(await c.post("/referrals", json=referral(received_on=day)), "received_on")
        r = await m.post(
            "/cvd-referrals",
            json={
                "cpr": cpr(),
                "treatment_ended_on": str(TODAY - timedelta(days=30)),
                "criteria": referral()["criteria"],
                "received_on": day,
            },
        )
        refused(r, "received_on")
        r = await m.post(
            "/cvd-referrals", json={"cpr": cpr(), "treatment_ended_on": day, "criteria": referral()["criteria"]}
        )
        refused(r, "treatment_ended_on")


async def test_a_referral_is_not_received_in_the_future_and_its_patient_was_born(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/referrals", json=referral(received_on=str(TODAY + timedelta(days=1))))
        refused(r, "received_on")
        assert "in the future" in r.json()["message"]
        born_later = f"0101{(TODAY.year + 1) % 100:02d}4{uuid.uuid4().int % 1000:03d}"  # 7th digit 4: 2000s
        r = await c.post("/referrals", json=referral(cpr=born_later))
        refused(r, "cpr")
        assert born_later not in r.text
        r = await c.post("/referrals", json=referral(received_on=str(TODAY)))
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("day", [FAR_FUTURE, DAWN])
async def test_every_date_of_a_campaign_command_is_bounded(http, day):
    async with http.as_("clinician", CAMPAIGN_REGION) as c:
        refused(
            await c.post(
                "/campaigns",
                json={"centre": "Psykiatrisk Center København", "municipality": "101", "collaboration_meeting_on": day},
            ),
            "collaboration_meeting_on",
        )
        r = await c.post(
            "/campaigns",
            json={
                "centre": "Psykiatrisk Center København",
                "municipality": "101",
                "collaboration_meeting_on": str(TODAY + timedelta(days=20)),
            },
        )
        assert r.status_code == 201, r.text
        cid, someone = r.json()["campaign_id"], str(uuid.uuid4())
        refused(await c.post(f"/campaigns/{cid}/collaboration-meeting", json={"held_on": day}), "held_on")
        refused(
            await c.post(
                f"/campaigns/{cid}/people/{someone}/decision", json={"decision": "integrated", "from_date": day}
            ),
            "from_date",
        )
        refused(
            await c.post(
                f"/campaigns/{cid}/people/{someone}/network-meeting",
                json={"on": day, "accompaniment": True, "outreach": False},
            ),
            "on",
        )
        await liveness.campaign_takes_a_command(c, cid)


@pytest.mark.parametrize("day", [FAR_FUTURE, DAWN])
async def test_every_date_of_a_transition_step_is_bounded(http, day):
    async with http.as_("municipality", "municipality:751") as m, http.as_("clinician", REGION) as c:
        r = await m.post(
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
        tid = r.json()["transition_id"]
        refused(
            await c.post(
                f"/transitions/{tid}/collaboration-meeting",
                json={
                    "held_on": day,
                    "attendees": PARTIES,
                    "region_view": "a",
                    "municipality_view": "b",
                    "outcome": "agree",
                },
            ),
            "held_on",
        )
        refused(
            await c.post(f"/transitions/{tid}/network-meeting", json={"called_on": day, "participants": PARTIES}),
            "called_on",
        )
        refused(
            await c.post(
                f"/transitions/{tid}/network-meeting/held",
                json={
                    "held_on": day,
                    "attendees": PARTIES,
                    "concrete_transition": "x",
                    "joint_plan": {"kind": "koordinationsplan", "summary": "s", "agreed_by": PARTIES},
                },
            ),
            "held_on",
        )
        refused(
            await c.post(
                f"/transitions/{tid}/patient-talk",
                json={"held_on": day, "summary": "s", "motivational_work": "m", "patient_agrees": True},
            ),
            "held_on",
        )
        await liveness.transition_takes_a_command(c, tid)


async def test_nul_and_garbage_in_path_and_query_parameters_are_4xx_never_a_server_error(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c, http.as_("ops", "ops:national") as ops:
        for path in [
            "/pathways/%00",
            "/pathways/not-an-id",
            "/referrals/%00",
            "/transitions/%00",
            "/campaigns/%00",
            f"/pathways/{pathway_id}/admissions/%00/phase",
            f"/pathways/{pathway_id}/tasks/%00/complete",
            "/pathways/%00/meetings",
            f"/pathways/{pathway_id}/meetings/%00/schedule",
        ]:
            r = await (c.get(path) if not path.endswith(("phase", "complete", "schedule")) else c.post(path, json={}))
            assert r.status_code in (404, 422), (path, r.status_code, r.text[:200])
        r = await c.get("/pathways/%00")
        refused(r, "path.pathway_id")
        assert "UUID" in r.json()["message"]
        refused(await c.get("/worklist", params={"kind": NUL}), "query.kind")
        refused(await ops.get("/access-log", params={"subject": NUL}), "query.subject")
        refused(await ops.get("/access-log", params={"pathway_id": "x\u0000"}), "query.pathway_id")
        # An id of the right form that is no one's is simply not found.
        assert (await c.get(f"/pathways/{uuid.uuid4()}")).status_code == 404
        await liveness.pathway_takes_a_command(c, pathway_id)
