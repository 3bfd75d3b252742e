"""The ambulatory pathway through the API: tasks gate phases, consent, worklist, ends, referral outcomes."""

import asyncio
import uuid

from dualpath.workflows import pathway as pathway_wf
from tests.poll import eventually

from ..conftest import LATE_OPENING
from .helpers import accepted_pathway, close_open_tasks, cpr, referral

REGION = "region:1082"


async def _pathway(c, pathway_id):
    r = await c.get(f"/pathways/{pathway_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _open(p, kind=None):
    return [t for t in p["tasks"] if t["state"] == "open" and (kind is None or t["kind"] == kind)]


async def test_whole_pathway_1_2_3_2_3_4_and_closure(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        p = await _pathway(c, pathway_id)
        assert p["phase_catalogue"]["key"] == "opstart"
        assert {t["kind"] for t in _open(p)} == {
            "contact_person",
            "consent_dialogue",
            "screening_diagnostics",
            "treatment_plan",
        }
        for to, reason in [(2, "chaotic"), (3, "stable"), (2, "relapse"), (3, "stable again"), (4, "ready")]:
            await close_open_tasks(c, pathway_id)
            r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": to, "reason": reason})
            assert r.status_code == 200, r.text
            assert r.json()["phase"] == to
            assert {t["phase"] for t in _open(r.json())} == {to}
        p = await _pathway(c, pathway_id)
        assert {t["kind"] for t in _open(p)} == {"network_meeting", "startup_meeting_accompaniment", "bridging_plan"}
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "transition_coordinated"})
        assert r.status_code == 409 and "phase 4's mandatory tasks" in r.json()["message"]

        # The netværksmøde agrees the transition and a koordinationsplan; the
        # opstartsmøde in the municipality is attended with the patient.
        await _hold_meeting(c, pathway_id, "network_meeting", plan="koordinationsplan")
        await _until_closed(c, pathway_id, "network_meeting")
        await _hold_meeting(c, pathway_id, "startup_meeting")
        await _until_closed(c, pathway_id, "startup_meeting_accompaniment")
        bridging = _open(await _pathway(c, pathway_id), "bridging_plan")[0]["task_id"]
        r = await c.post(
            f"/pathways/{pathway_id}/tasks/{bridging}/complete",
            json={"outcome": "done", "note": "plan for brobygning agreed with the municipality"},
        )
        assert r.status_code == 200
        plans = (await c.get(f"/pathways/{pathway_id}/joint-plans")).json()
        assert [(x["kind"], x["version"]) for x in plans] == [("koordinationsplan", 1)]
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "transition_coordinated"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ended" and r.json()["level_of_care"] == "coordinated"
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 3, "reason": "x"})
        assert r.status_code == 409 and "ended" in r.json()["message"]
    types = [e.type for e in await store.read_stream(pathway_wf.stream_id(pathway_id))]
    assert types.count("PhaseChanged") == 5 and types[-2:] == ["PathwayEnded", "LevelOfCareChanged"]
    levels = [
        e.data["to_level"]
        for e in await store.read_stream(pathway_wf.stream_id(pathway_id))
        if e.type == "LevelOfCareChanged"
    ]
    assert levels == ["integrated_stable", "integrated_unstable", "integrated_stable", "coordinated"]


PARTICIPANTS = [
    {"role": "clinician", "organisation": "region:1082"},
    {"role": "substance_treatment", "organisation": "municipality:751"},
    {"role": "bosted_staff", "organisation": "municipality:751"},
]


async def _hold_meeting(c, pathway_id, kind, plan=None):
    r = await c.post(f"/pathways/{pathway_id}/meetings", json={"kind": kind, "participants": PARTICIPANTS})
    assert r.status_code == 201, r.text
    held = {"held_on": r.json()["called_on"], "outcome": "transition to coordinated treatment agreed"}
    if plan:
        held["joint_plan"] = {"kind": plan, "summary": "who does what after the transition", "agreed_by": PARTICIPANTS}
    r = await c.post(f"/pathways/{pathway_id}/meetings/{r.json()['meeting_id']}/held", json=held)
    assert r.status_code == 200, r.text


async def _until_closed(c, pathway_id, kind):
    """A held meeting tells the pathway by signal: the task closes a moment later."""

    async def closed():
        tasks = [t for t in (await _pathway(c, pathway_id))["tasks"] if t["kind"] == kind]
        return tasks if tasks and all(t["state"] == "done" for t in tasks) else None

    tasks = await eventually(closed, what=f"the {kind} task closed by the held meeting")
    assert "held on" in tasks[-1]["note"]


async def test_a_phase_is_left_only_with_its_mandatory_tasks_closed(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert r.status_code == 409
        assert "open mandatory tasks" in r.json()["message"]
        assert {t["kind"] for t in r.json()["open_tasks"]} >= {"screening_diagnostics", "consent_dialogue"}

        p = await _pathway(c, pathway_id)
        screening = _open(p, "screening_diagnostics")[0]["task_id"]
        url = f"/pathways/{pathway_id}/tasks/{screening}/complete"
        r = await c.post(url, json={"outcome": "not_possible"})
        assert r.status_code == 409 and "needs the reason" in r.json()["message"]
        r = await c.post(url, json={"outcome": "not_possible", "note": "the patient declined screening"})
        assert r.status_code == 200
        done = next(t for t in r.json()["tasks"] if t["task_id"] == screening)
        assert done["state"] == "not_possible" and done["note"] == "the patient declined screening"
        r = await c.post(url, json={"outcome": "done"})
        assert r.status_code == 409 and "closed already" in r.json()["message"]

        consent_task = _open(p, "consent_dialogue")[0]["task_id"]
        r = await c.post(f"/pathways/{pathway_id}/tasks/{consent_task}/complete", json={"outcome": "done"})
        assert r.status_code == 409 and "/consents" in r.json()["message"]

        # An id of the engine's form that is no task of this pathway (one of another form is 422).
        r = await c.post(f"/pathways/{pathway_id}/tasks/{uuid.uuid4()}/complete", json={"outcome": "done"})
        assert r.status_code == 409 and "does not exist" in r.json()["message"]


async def test_consent_closes_its_task_and_withdrawal_takes_effect_at_once(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        body = {"scope": "dialogue", "counterpart": "751", "state": "withdrawn", "form": "oral"}
        r = await c.post(f"/pathways/{pathway_id}/consents", json=body)
        assert r.status_code == 409 and "only a given consent" in r.json()["message"]

        r = await c.post(f"/pathways/{pathway_id}/consents", json={**body, "state": "given", "form": "written"})
        assert r.status_code == 200, r.text
        assert r.json()["consents"][0]["state"] == "given"
        assert r.json()["consents"][0]["recorded_by"]["role"] == "clinician"
        assert not _open(r.json(), "consent_dialogue")

        r = await c.post(f"/pathways/{pathway_id}/consents", json=body)
        assert r.status_code == 200
        assert [(x["scope"], x["state"]) for x in r.json()["consents"]] == [("dialogue", "withdrawn")]

        r = await c.post(f"/pathways/{pathway_id}/consents", json={**body, "counterpart": "999"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "counterpart"


async def test_worklist_shows_the_organisations_open_tasks_soonest_first(http):
    pathway_id = await accepted_pathway(http, "region:1084", municipality="101")  # København
    async with http.as_("clinician", "region:1084") as c, http.as_("clinician", "region:1082") as other:
        tasks = [t for t in (await c.get("/worklist", params={"limit": 500})).json() if t["pathway_id"] == pathway_id]
        assert tasks[0]["kind"] == "contact_person"  # due in 3 days: first
        assert [t["due"] for t in tasks] == sorted(t["due"] for t in tasks)
        assert all(t["owner_org"] == "region:1084" and t["state"] == "open" for t in tasks)
        assert not [
            t for t in (await other.get("/worklist", params={"limit": 500})).json() if t["pathway_id"] == pathway_id
        ]
        only = (await c.get("/worklist", params={"kind": "treatment_plan", "limit": 500})).json()
        assert {t["kind"] for t in only} == {"treatment_plan"}
        await close_open_tasks(c, pathway_id)
        assert not [
            t for t in (await c.get("/worklist", params={"limit": 500})).json() if t["pathway_id"] == pathway_id
        ]


async def test_unplanned_end_from_any_phase_needs_a_reason_and_cancels_open_tasks(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away"})
        assert r.status_code == 409 and "needs a reason" in r.json()["message"]
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "transition_coordinated"})
        assert r.status_code == 409 and "from phase 4" in r.json()["message"]
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away", "reason": "to Norway"})
        assert r.status_code == 200
        assert r.json()["status"] == "ended" and r.json()["end_reason"] == "moved_away"
        assert {t["state"] for t in r.json()["tasks"]} == {"cancelled"}


async def test_a_second_referral_for_the_same_patient_attaches_to_the_open_pathway(http):
    patient = cpr()
    pathway_id = await accepted_pathway(http, cpr=patient)
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/referrals", json=referral(cpr=patient, source="general_practice"))
    assert r.status_code == 201
    assert r.json()["status"] == "attached" and r.json()["pathway_id"] == pathway_id


async def test_referral_outcomes_not_eligible_no_group_and_held(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            "/referrals",
            json=referral(
                criteria={
                    "mental_illness": "mild",
                    "substance_problem": True,
                    "reduced_functioning": False,
                    "parallel_treatment_insufficient": True,
                }
            ),
        )
        assert r.status_code == 201
        assert r.json()["status"] == "not_eligible" and len(r.json()["reasons"]) == 2
        assert r.json()["start_deadline"] is None

        r = await c.post(
            "/referrals", json=referral(facts={"psychiatric_contact": "none", "municipal_substance_treatment": False})
        )
        assert r.json()["group"] is None and r.json()["status"] == "not_eligible"
        assert any("ordinary psychiatric referral" in x for x in r.json()["reasons"])

        group3 = {"psychiatric_contact": "none", "municipal_substance_treatment": True}
        r = await c.post("/referrals", json=referral(municipality="259", facts=group3))  # Køge, region 1085
    assert r.json()["group"] == 3 and r.json()["status"] == "held_until_phase_in"
    assert r.json()["opens_on"] == LATE_OPENING
    async with http.as_("visitation", "region:1085") as v:
        d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
    assert d.status_code == 409 and f"opens on {LATE_OPENING}" in d.json()["message"]


async def test_visitation_decides_once_and_declining_needs_a_reason(http):
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        rid = (await c.post("/referrals", json=referral())).json()["referral_id"]
        r = await v.post(f"/referrals/{rid}/decision", json={"accept": False})
        assert r.status_code == 409 and "needs a reason" in r.json()["message"]
        r = await v.post(f"/referrals/{rid}/decision", json={"accept": False, "reason": "coordinated suffices"})
        assert r.status_code == 200 and r.json()["status"] == "declined"
        r = await v.post(f"/referrals/{rid}/decision", json={"accept": True})
        assert r.status_code == 409 and "final" in r.json()["message"]
        r = await c.post(f"/referrals/{rid}/decision", json={"accept": True})
        assert r.status_code == 403


async def test_concurrent_commands_on_one_pathway_are_applied_one_at_a_time(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        p = await _pathway(c, pathway_id)
        ids = [t["task_id"] for t in _open(p) if t["kind"] != "consent_dialogue"]
        results = await asyncio.gather(
            *[c.post(f"/pathways/{pathway_id}/tasks/{i}/complete", json={"outcome": "done"}) for i in ids * 2]
        )
    assert sorted(r.status_code for r in results) == [200] * len(ids) + [409] * len(ids)
    completed = [e for e in await store.read_stream(pathway_wf.stream_id(pathway_id)) if e.type == "TaskCompleted"]
    assert sorted(e.data["task_id"] for e in completed) == sorted(ids)


async def test_a_repeated_referral_with_the_same_idempotency_key_creates_nothing_new(http, pool):
    body = referral()
    async with http.as_("clinician", REGION) as c:
        first, second, third = await asyncio.gather(
            *[c.post("/referrals", json=body, headers={"Idempotency-Key": "send-1"}) for _ in range(3)]
        )
        other = await c.post("/referrals", json=body, headers={"Idempotency-Key": "send-2"})
    assert first.status_code == second.status_code == third.status_code == 201
    assert first.json() == second.json() == third.json()
    # One referral for this key; a different key is a different referral (attached to nothing yet).
    assert other.json()["referral_id"] != first.json()["referral_id"]
    patient = await pool.fetchval(
        "SELECT patient_id FROM rm_referrals WHERE referral_id = $1", first.json()["referral_id"]
    )
    assert await pool.fetchval("SELECT count(*) FROM rm_referrals WHERE patient_id = $1", str(patient)) == 2


async def test_a_repeated_command_with_the_same_idempotency_key_is_applied_once(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await close_open_tasks(c, pathway_id)
        move = {"to": 2, "reason": "relapse"}
        first, again = await asyncio.gather(
            *[
                c.post(f"/pathways/{pathway_id}/ambulatory/phase", json=move, headers={"Idempotency-Key": "k-1"})
                for _ in range(2)
            ]
        )
        assert first.status_code == again.status_code == 200, (first.text, again.text)
        # Without a key the same move is a new command, and now an illegal one.
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json=move)
        assert r.status_code == 409
    moves = [e for e in await store.read_stream(pathway_wf.stream_id(pathway_id)) if e.type == "PhaseChanged"]
    assert len(moves) == 1
