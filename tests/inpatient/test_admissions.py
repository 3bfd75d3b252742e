"""Inpatient stays through the API: admission, phases, discharge rules, follow-ups, consent-gated notices."""

import asyncio

from dualpath.workflows import inpatient_stay as stay_wf

from ..api.helpers import accepted_pathway, close_open_tasks

REGION = "region:1082"


async def _admit(c, pathway_id, admitted_on, **kw):
    r = await c.post(
        f"/pathways/{pathway_id}/admissions",
        json={"via": "acute_function", "ward": "Afsnit P3", "admitted_on": admitted_on, **kw},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _to_phase_4(c, pathway_id, stay_id):
    base = f"/pathways/{pathway_id}/admissions/{stay_id}"
    for to in (2, 3, 4):
        stay = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
        for t in next(s for s in stay if s["stay_id"] == stay_id)["tasks"]:
            if t["state"] == "open" and t["phase"] == to - 1:
                r = await c.post(
                    f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete",
                    json={"outcome": "not_possible", "note": "test: done outside the engine"},
                )
                assert r.status_code == 200, r.text
        r = await c.post(f"{base}/phase", json={"to": to})
        assert r.status_code == 200, r.text


async def _pathway(c, pathway_id):
    return (await c.get(f"/pathways/{pathway_id}")).json()


async def test_the_easter_discharge_plan_warns_and_books_the_home_visit_on_tuesday(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-03-20")
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge-plan", json={"planned_date": "2026-04-01"}
        )
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["before_non_working_days"] is True and plan["proposed_date"] == "2026-03-31"
    assert plan["network_meeting_required"] is True and plan["offer_leave"] is True
    assert {"kind": "home_visit", "due": "2026-04-07"} in plan["followups"]
    assert "Maundy Thursday" in plan["warning"]


async def test_admission_makes_the_level_inpatient_and_the_ambulatory_pathway_goes_on(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-03-02")
        assert stay["phase"] == 1 and stay["status"] == "admitted"
        # In municipal substance treatment: the consent task comes with the admission.
        assert "consent_municipal_information" in {t["kind"] for t in stay["tasks"]}
        p = await _pathway(c, pathway_id)
        assert p["level_of_care"] == "inpatient"
        again = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "planned", "ward": "X"})
        assert again.status_code == 409 and "admitted already" in again.json()["message"]
        await close_open_tasks(c, pathway_id)
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert r.status_code == 200 and r.json()["phase"] == 2 and r.json()["level_of_care"] == "inpatient"


async def test_the_admission_answers_with_the_stays_tasks(http):
    # Answered once the read models have reached the stay's opening events (by position), not when
    # its row merely exists: under load the answer used to lack its phase-1 tasks.
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-03-02")
        assert stay["tasks"], "the admission's answer lacks the stay's phase-1 tasks"
        assert {(t["stay_id"], t["phase"], t["state"]) for t in stay["tasks"]} == {(stay["stay_id"], 1, "open")}
        listed = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
        again = next(s for s in listed if s["stay_id"] == stay["stay_id"])
        assert {t["task_id"] for t in stay["tasks"]} == {t["task_id"] for t in again["tasks"]}


async def test_discharge_rules_refusals_and_follow_ups(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-11-02")
        base = f"/pathways/{pathway_id}/admissions/{stay['stay_id']}"
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-11-13"})
        assert r.status_code == 409 and "from phase 4" in r.json()["message"]
        await _to_phase_4(c, pathway_id, stay["stay_id"])
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-10-30"})
        assert r.status_code == 409 and "before the admission" in r.json()["message"]
        # Friday 13 November 2026: the weekend follows. Such a discharge is avoided: kept only with the reason.
        friday = {"discharged_on": "2026-11-13", "acute_team_weekend": True}
        r = await c.post(f"{base}/discharge", json=friday)
        assert r.status_code == 409 and "kept only with the reason" in r.json()["message"], r.text
        assert "Thursday 12 November 2026" in r.json()["message"]  # the proposal of an earlier day stays
        insists = {**friday, "reason": "the patient insists; family home all weekend"}
        r = await c.post(f"{base}/discharge", json=insists)
        # A stay of 11 days ends with a network meeting: without it, the reason is recorded too.
        assert r.status_code == 409 and "network meeting" in r.json()["message"], r.text
        r = await c.post(f"{base}/discharge", json={**insists, "meeting_reason": "the patient declined a meeting"})
        assert r.status_code == 200, r.text
        follow_ups = {(t["kind"], t["due"]) for t in r.json()["followups"]}
        assert follow_ups == {
            ("home_visit", "2026-11-16"),
            ("ward_contact", "2026-11-14"),
            ("acute_team_weekend", "2026-11-14"),
        }
        assert r.json()["stay"]["status"] == "discharged"
        r = await c.post(f"{base}/discharge", json={"discharged_on": "2026-11-13"})
        assert r.status_code == 409 and "not admitted" in r.json()["message"]
        for _ in range(100):
            if (await _pathway(c, pathway_id))["level_of_care"] == "integrated_unstable":
                break
            await asyncio.sleep(0.05)
        assert (await _pathway(c, pathway_id))["level_of_care"] == "integrated_unstable"
        worklist = (await c.get("/worklist", params={"kind": "home_visit", "limit": 500})).json()
        assert [t["due"] for t in worklist if t["pathway_id"] == pathway_id] == ["2026-11-16"]
    [discharged] = [
        e for e in await store.read_stream(stay_wf.stream_id(pathway_id, 1)) if e.type == "PatientDischarged"
    ]
    assert discharged.data["before_non_working_days"] is True
    assert discharged.data["reason_before_non_working_days"] == "the patient insists; family home all weekend"


async def test_a_christmas_discharge_and_a_short_stay(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-12-20")
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge-plan",
            json={"planned_date": "2026-12-23", "keep_reason": "the patient's wish, family ready"},
        )
    plan = r.json()
    assert plan["before_non_working_days"] and plan["proposed_date"] == "2026-12-22"
    assert plan["transition_conversation_required"] and not plan["network_meeting_required"]
    assert plan["kept_despite_warning"] == "the patient's wish, family ready"
    assert {"kind": "home_visit", "due": "2026-12-28"} in plan["followups"]


async def test_notices_to_the_municipality_follow_consent_given_and_withdrawn_mid_stay(http, pool, store):
    pathway_id = await accepted_pathway(http)
    consent = {"scope": "inform_municipal_treatment", "counterpart": "751", "form": "written"}

    async def notices():
        return [
            r["channel"]
            for r in await pool.fetch("SELECT channel FROM notifications WHERE pathway_id = $1 ORDER BY id", pathway_id)
        ]

    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-11-02")
        assert await notices() == []  # no consent: nothing sent at admission
        r = await c.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "given"})
        assert r.status_code == 200
        for _ in range(100):  # the stay hears of it by signal, and informs of the admission then
            if await notices() == ["admission"]:
                break
            await asyncio.sleep(0.05)
        assert await notices() == ["admission"]
        r = await c.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "withdrawn"})
        assert r.status_code == 200
        await _to_phase_4(c, pathway_id, stay["stay_id"])
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge",
            json={"discharged_on": "2026-11-11", "meeting_reason": "not the point of this test"},
        )
        assert r.status_code == 200
    assert await notices() == ["admission"]  # withdrawn: the discharge was not told
    events = await store.read_stream(stay_wf.stream_id(pathway_id, 1))
    not_told = [e.data for e in events if e.type == "MunicipalityNotInformed"]
    assert [(x["about"], "consent" in x["reason"]) for x in not_told] == [("admission", True), ("discharge", True)]
    body = await pool.fetchrow("SELECT subject, body FROM notifications WHERE pathway_id = $1", pathway_id)
    assert "Afsnit" not in body["body"] and "P3" not in body["body"]
