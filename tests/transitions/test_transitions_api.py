"""The transition process end to end over real HTTP on the real dev server, one test per branch of
seed 002's gateway, and principle 3: the patient is not involved before the parties agree."""

import json

from temporalio.client import WorkflowExecutionStatus

from dualpath.eventstore import rebuild
from dualpath.readmodels.transitions import TransitionsProjection
from dualpath.workflows import transition as wf
from tests.api.helpers import accepted_pathway, close_open_tasks
from tests.poll import eventually

from .support import (
    MUNICIPALITY,
    PARTIES,
    REGION,
    TODAY,
    WHO_SAYS_WHAT,
    WITH_PATIENT,
    assessment,
    held,
    network_meeting_and_complete,
    start,
    step,
    to_integrated,
)


async def _types(store, tid):
    return [e.type for e in await store.read_stream(wf.stream_id(tid))]


async def _found(client, query: str) -> list[str]:
    async def probe():
        return [w.id async for w in client.list_workflows(query)]

    return await eventually(probe, what=f"a workflow found by {query}")


async def test_agreement_moves_the_patient_into_an_integrated_pathway(http, store, client, pool):
    body = to_integrated()
    async with (
        http.as_("municipality", MUNICIPALITY) as mun,
        http.as_("visitation", REGION) as vis,
        http.as_("clinician", REGION) as cli,
    ):
        created = await start(mun, body)
        tid = created["transition_id"]
        assert created["state"] == "reported" and created["branch"] == "dialogue"

        t = (await cli.get(f"/transitions/{tid}")).json()
        assert t["reported_by"] == "municipality" and t["signs"] == ["missed_attendance", "crisis"]
        assert t["current_step"] == "assessment" and t["allowed"][0] == "assess"
        [task] = [x for x in t["tasks"] if x["state"] == "open"]
        assert (task["kind"], task["owner_org"], task["owner_role"]) == ("transition_assessment", REGION, "visitation")
        assert task["due"] == t["step_due"] and task["referral_id"] == tid
        assert any(x["task_id"] == task["task_id"] for x in (await vis.get("/worklist")).json())

        # The assessment is psychiatry's (its visitation right).
        r = await mun.post(f"/transitions/{tid}/assessment", json=assessment())
        assert r.status_code == 403, r.text
        t = await step(vis, tid, "assessment", assessment())
        assert t["state"] == "assessed" and t["current_step"] == "agreement"
        assert t["assessment"]["answer_to_municipality"] == "we see the same: integrated treatment"
        # The municipality answers: its task is on its worklist.
        assert any(
            x["referral_id"] == tid and x["kind"] == "transition_agreement" for x in (await mun.get("/worklist")).json()
        )

        t = await step(mun, tid, "agreement", {"on": "transition", "note": "agreed on the phone"})
        assert t["state"] == "agreed" and t["patient_may_be_involved"] and t["current_step"] == "who_says_what"

        # Who says what is both parties' task; the meeting is called before it is recorded;
        # the network meeting makes or revises a joint plan.
        one_side = {"statements": WHO_SAYS_WHAT["statements"][:1]}
        r = await mun.post(f"/transitions/{tid}/who-says-what", json=one_side)
        assert r.status_code == 409 and "both parties" in r.json()["message"], r.text
        await step(mun, tid, "who-says-what", WHO_SAYS_WHAT)
        r = await mun.post(f"/transitions/{tid}/network-meeting/held", json=held())
        assert r.status_code == 409 and "call the network meeting" in r.json()["message"], r.text
        await step(cli, tid, "network-meeting", {"participants": WITH_PATIENT, "relatives_invited": True})
        r = await cli.post(f"/transitions/{tid}/network-meeting/held", json=held(joint_plan=None))
        assert r.status_code == 409 and "joint plan" in r.json()["message"], r.text
        t = await step(cli, tid, "network-meeting/held", held())
        assert t["network_meeting"]["concrete_transition"].startswith("starts in the clinic")
        assert t["network_meeting"]["called_on"] == TODAY and t["current_step"] == "completion"

        r = await mun.post(f"/transitions/{tid}/complete", json={})
        assert r.status_code == 403, r.text
        t = await step(cli, tid, "complete", {"note": "the pathway starts"})
        assert (t["state"], t["outcome"], t["closure"]) == ("completed", "transition", "started")
        assert t["current_step"] is None and all(x["state"] != "open" for x in t["tasks"])
        pathway_id = t["pathway_id"]

        p = (await cli.get(f"/pathways/{pathway_id}")).json()
        assert p["status"] == "active" and p["phase"] == 1 and p["referral_id"] == tid and p["group"] == 2
        plans = (await cli.get(f"/pathways/{pathway_id}/joint-plans")).json()
        assert [(x["kind"], x["version"], x["meeting_id"]) for x in plans] == [
            ("koordinationsplan", 1, wf.stream_id(tid))
        ]
        # With consent the municipality follows the whole process.
        seen = (await mun.get(f"/transitions/{tid}")).json()
        assert seen["state"] == "completed" and seen["pathway_id"] == pathway_id

        r = await cli.post(f"/transitions/{tid}/agreement", json={})
        assert r.status_code == 409 and "completed" in r.json()["message"], r.text

    types = await _types(store, tid)
    assert [x for x in types if not x.startswith("Task") and x != "TransitionStepStarted"] == [
        "TransitionReported",
        "TransitionAssessed",
        "TransitionAgreed",
        "WhoSaysWhatAgreed",
        "TransitionNetworkMeetingCalled",
        "TransitionNetworkMeetingHeld",
        "TransitionCompleted",
        "JointPlanRecorded",
    ]
    handle = client.get_workflow_handle(wf.workflow_id(tid, "1082"))
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert await _found(
        client,
        f'WorkflowId = "{wf.workflow_id(tid, "1082")}" AND PathwayKind = "transition" '
        'AND Phase = "completed" AND Region = "1082" AND Municipality = "751"',
    )
    # The child outlives the transition (ABANDON).
    assert (
        await client.get_workflow_handle(wf.pathway.workflow_id(pathway_id, "1082")).describe()
    ).status == WorkflowExecutionStatus.RUNNING

    # The CPR number stays in the patient register.
    assert await pool.fetchval("SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%'", body["cpr"]) == 0
    assert body["cpr"] not in json.dumps((await handle.fetch_history()).to_json_dict())

    before = await pool.fetchrow("SELECT * FROM rm_transitions WHERE transition_id = $1", tid)
    await rebuild(pool, [TransitionsProjection()])
    assert await pool.fetchrow("SELECT * FROM rm_transitions WHERE transition_id = $1", tid) == before


async def test_disagreement_then_a_collaboration_meeting_that_agrees(http, store):
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("clinician", REGION) as cli:
        tid = (await start(cli, to_integrated(reported_by="region")))["transition_id"]
        await step(cli, tid, "assessment", assessment())
        t = await step(
            mun,
            tid,
            "disagreement",
            {
                "region_view": "too chaotic for parallel treatment",
                "municipality_view": "our substance treatment is working; give it a month",
            },
        )
        assert t["state"] == "disagreed" and t["current_step"] == "collaboration_meeting"
        assert t["reported_by"] == "region" and not t["patient_may_be_involved"]

        r = await mun.post(
            f"/transitions/{tid}/collaboration-meeting",
            json={
                "held_on": TODAY,
                "attendees": WITH_PATIENT,
                "region_view": "a",
                "municipality_view": "b",
                "outcome": "agree",
            },
        )
        assert r.status_code == 409 and "without the patient" in r.json()["message"], r.text
        t = await step(
            mun,
            tid,
            "collaboration-meeting",
            {
                "held_on": TODAY,
                "attendees": PARTIES,
                "region_view": "missed every appointment for six weeks",
                "municipality_view": "agrees after hearing it",
                "outcome": "agree",
            },
        )
        assert t["state"] == "agreed" and t["agreement"]["via"] == "collaboration_meeting"
        assert t["collaboration_meeting"]["outcome"] == "agree"

        t = await network_meeting_and_complete(mun, cli, tid)
        assert (t["state"], t["outcome"], t["closure"]) == ("completed", "transition", "started")
        assert (await cli.get(f"/pathways/{t['pathway_id']}")).status_code == 200
    types = await _types(store, tid)
    assert (
        types.index("TransitionDisagreed")
        < types.index("CollaborationMeetingHeld")
        < types.index("TransitionAgreed")
        < types.index("TransitionNetworkMeetingCalled")
    )


async def test_disagreement_then_psychiatry_decides_and_says_what_it_would_take(http, store, pool):
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("visitation", REGION) as vis:
        tid = (await start(mun, to_integrated()))["transition_id"]
        await step(vis, tid, "assessment", assessment(recommends=False, answer="coordinated treatment suffices"))
        await step(
            mun,
            tid,
            "disagreement",
            {"region_view": "coordinated suffices", "municipality_view": "we cannot reach the patient"},
        )
        t = await step(
            vis,
            tid,
            "collaboration-meeting",
            {
                "held_on": TODAY,
                "attendees": PARTIES,
                "region_view": "no worsening of the mental illness",
                "municipality_view": "the substance problem is out of hand",
                "outcome": "still_disagree",
            },
        )
        assert t["state"] == "collaboration_meeting_held" and t["current_step"] == "psychiatry_decision"
        assert t["allowed"][0] == "psychiatry_decides"

        decision = {"decision": "no_transition", "reason": "the mental illness is stable"}
        r = await mun.post(f"/transitions/{tid}/psychiatry-decision", json=decision)
        assert r.status_code == 403, r.text
        r = await vis.post(f"/transitions/{tid}/psychiatry-decision", json=decision)
        assert r.status_code == 409 and "what it would take" in r.json()["message"], r.text
        t = await step(
            vis,
            tid,
            "psychiatry-decision",
            {**decision, "what_it_would_take": "psychotic symptoms again, or two acute contacts in a month"},
        )
        assert t["state"] == "psychiatry_decided" and t["settled"] == "no_transition"
        assert t["allowed"][0] == "complete" and not t["patient_may_be_involved"]
        r = await vis.post(f"/transitions/{tid}/network-meeting", json={"participants": WITH_PATIENT})
        assert r.status_code == 409, r.text

        t = await step(vis, tid, "complete")
        assert (t["state"], t["outcome"], t["pathway_id"], t["closure"]) == ("completed", "no_transition", None, None)
        # The municipality reads psychiatry's decision, and what it would take.
        seen = (await mun.get(f"/transitions/{tid}")).json()
        assert seen["decision"]["what_it_would_take"].startswith("psychotic symptoms")
    assert await pool.fetchval("SELECT count(*) FROM rm_pathways WHERE referral_id = $1", tid) == 0
    assert "PsychiatryDecided" in await _types(store, tid)


async def test_without_consent_psychiatry_goes_alone_and_nothing_reaches_the_municipality(http, store, pool):
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("clinician", REGION) as cli:
        created = await start(mun, to_integrated(dialogue_consent="refused"))
        tid = created["transition_id"]
        assert created["branch"] == "no_consent" and "nothing more is shared" in created["note"]
        # From here on the municipality learns nothing, not even that the transition exists.
        assert (await mun.get(f"/transitions/{tid}")).status_code == 404
        assert tid not in {x["transition_id"] for x in (await mun.get("/transitions")).json()}

        r = await cli.post(f"/transitions/{tid}/assessment", json=assessment())
        assert r.status_code == 409 and "nothing is shared with the municipality" in r.json()["message"], r.text
        t = await step(cli, tid, "assessment", assessment(answer=None))
        assert t["state"] == "assessed_alone" and t["current_step"] == "patient_talk"
        assert t["allowed"][0] == "record_patient_talk"
        for path, body in [
            ("agreement", {}),
            ("who-says-what", WHO_SAYS_WHAT),
            ("network-meeting", {"participants": WITH_PATIENT}),
            ("tasks", {"title": "tell the municipality", "owner": "municipality", "involves_patient": False}),
        ]:
            r = await cli.post(f"/transitions/{tid}/{path}", json=body)
            assert r.status_code == 409 and "nothing is shared" in r.json()["message"], (path, r.text)
        r = await mun.post(f"/transitions/{tid}/agreement", json={})
        assert r.status_code == 404, r.text

        t = await step(
            cli,
            tid,
            "patient-talk",
            {
                "held_on": TODAY,
                "summary": "talked through the integrated offer",
                "motivational_work": "motivational interviewing: the patient set own goals",
                "patient_agrees": True,
            },
        )
        assert t["state"] == "patient_talk_held" and len(t["patient_talks"]) == 1
        t = await step(cli, tid, "complete")
        assert (t["state"], t["outcome"], t["closure"]) == ("completed", "transition", "started")
        assert (await mun.get(f"/transitions/{tid}")).status_code == 404
        assert not [x for x in (await mun.get("/worklist")).json() if x["referral_id"] == tid]
    owners = {r["owner_org"] for r in await pool.fetch("SELECT owner_org FROM rm_tasks WHERE referral_id = $1", tid)}
    assert owners == {REGION}
    events = await store.read_stream(wf.stream_id(tid))
    assessed = next(e for e in events if e.type == "TransitionAssessed")
    assert assessed.data["answer_to_municipality"] is None
    assert [
        e.type for e in events if e.type.startswith(("Transition", "Patient")) and e.type != "TransitionStepStarted"
    ] == ["TransitionReported", "TransitionAssessed", "PatientTalkRecorded", "TransitionCompleted"]


async def test_the_patient_is_not_involved_before_the_parties_agree(http, store, pool):
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("clinician", REGION) as cli:
        tid = (await start(mun, to_integrated()))["transition_id"]
        attempts = [
            ("network-meeting", {"participants": WITH_PATIENT}, "calling the network meeting"),
            ("network-meeting/held", held(), "the network meeting"),
            (
                "patient-talk",
                {"held_on": TODAY, "summary": "s", "motivational_work": "m", "patient_agrees": True},
                "a talk with the patient",
            ),
            ("tasks", {"title": "invite the patient", "involves_patient": True}, "a task addressed to the patient"),
        ]
        for state_step in ("reported", "assessed", "disagreed"):
            if state_step == "assessed":
                await step(cli, tid, "assessment", assessment())
            if state_step == "disagreed":
                await step(mun, tid, "disagreement", {"region_view": "a", "municipality_view": "b"})
            for path, body, what in attempts:
                for who in (cli, mun):
                    if path == "patient-talk" and who is mun:
                        continue  # psychiatry's step: 403 before any rule
                    r = await who.post(f"/transitions/{tid}/{path}", json=body)
                    assert r.status_code == 409, (state_step, path, r.text)
                    message = r.json()["message"]
                    assert "the patient is not involved before the parties agree" in message, message
                    assert what in message and f"the transition is {state_step}" in message, message
            r = await cli.post(f"/transitions/{tid}/who-says-what", json=WHO_SAYS_WHAT)
            assert r.status_code == 409 and "once the parties agree" in r.json()["message"], r.text

        # A task between the parties is fine: on the municipality's worklist, closed by it.
        t = await step(
            cli,
            tid,
            "tasks",
            {"title": "send the attendance record", "owner": "municipality", "involves_patient": False},
            status=201,
        )
        [task] = [x for x in t["tasks"] if x["kind"] == "transition_task"]
        assert task["owner_org"] == MUNICIPALITY and task["state"] == "open"
        assert any(x["task_id"] == task["task_id"] for x in (await mun.get("/worklist")).json())
        t = await step(mun, tid, f"tasks/{task['task_id']}/complete", {"outcome": "done"})
        assert next(x for x in t["tasks"] if x["task_id"] == task["task_id"])["state"] == "done"
        # A step's own task closes by recording the step.
        step_task = next(
            x
            for x in (await cli.get(f"/transitions/{tid}")).json()["tasks"]
            if x["kind"] == "transition_collaboration_meeting"
        )
        r = await cli.post(f"/transitions/{tid}/tasks/{step_task['task_id']}/complete", json={"outcome": "done"})
        assert r.status_code == 409 and "closes when the step is recorded" in r.json()["message"], r.text

        # After agreement the same requests go through.
        await step(
            cli,
            tid,
            "collaboration-meeting",
            {"held_on": TODAY, "attendees": PARTIES, "region_view": "a", "municipality_view": "b", "outcome": "agree"},
        )
        t = await step(cli, tid, "tasks", {"title": "invite the patient", "involves_patient": True}, status=201)
        assert any(x["kind"] == "transition_patient_task" for x in t["tasks"])
        await step(cli, tid, "who-says-what", WHO_SAYS_WHAT)
        await step(cli, tid, "network-meeting", {"participants": WITH_PATIENT})
        await step(cli, tid, "network-meeting/held", held(patient_agrees=False, joint_plan=None))
        t = await step(cli, tid, "complete")
        # The patient said no at the network meeting: no move, and the open patient task is cancelled.
        assert (t["outcome"], t["pathway_id"]) == ("no_transition", None)
        assert all(x["state"] != "open" for x in t["tasks"])
    types = await _types(store, tid)
    first_patient_step = types.index("TransitionNetworkMeetingCalled")
    assert types.index("CollaborationMeetingHeld") < first_patient_step
    kinds = [
        r["kind"] for r in await pool.fetch("SELECT kind FROM rm_tasks WHERE referral_id = $1 ORDER BY opened_at", tid)
    ]
    assert kinds.index("transition_patient_task") > kinds.index("transition_who_says_what")


async def test_back_to_coordinated_closes_the_pathway_with_its_bridging_plan(http, store, client, pool):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as cli, http.as_("municipality", MUNICIPALITY) as mun:
        for to in (3, 4):  # the dialogue consent is given on the way (close_open_tasks)
            await close_open_tasks(cli, pathway_id)
            r = await cli.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": to, "reason": "stable"})
            assert r.status_code == 200, r.text

        r = await mun.post(
            "/transitions", json={"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "stable"}
        )
        # Municipal staff follow the pathway (consent is given), but the move back is psychiatry's proposal.
        assert r.status_code == 403 and "psychiatry's clinicians" in r.json()["message"], r.text
        created = await start(
            cli,
            {
                "direction": "to_coordinated",
                "pathway_id": pathway_id,
                "reason": "stable for six months; ready for coordinated treatment",
            },
        )
        tid = created["transition_id"]
        assert created["branch"] == "dialogue" and created["pathway_id"] == pathway_id
        r = await cli.post(
            "/transitions", json={"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "again"}
        )
        assert r.status_code == 409 and "under way already" in r.json()["message"], r.text

        t = await step(cli, tid, "assessment", assessment(answer="we propose coordinated treatment"))
        assert t["tasks"][-1]["pathway_id"] is None and t["tasks"][-1]["owner_org"] == MUNICIPALITY
        await step(mun, tid, "agreement", {"on": "transition"})
        await step(mun, tid, "who-says-what", WHO_SAYS_WHAT)
        await step(cli, tid, "network-meeting", {"participants": WITH_PATIENT})
        await step(cli, tid, "network-meeting/held", held())

        # The transition's network meeting is the pathway's phase-4 netværksmøde.
        async def network_task_closed():
            tasks = (await cli.get(f"/pathways/{pathway_id}")).json()["tasks"]
            return [x for x in tasks if x["kind"] == "network_meeting" and x["state"] == "done"]

        [closed] = await eventually(network_task_closed, what="the pathway's network meeting task closed")
        assert wf.stream_id(tid) in closed["note"]
        plans = (await cli.get(f"/pathways/{pathway_id}/joint-plans")).json()
        assert [(x["kind"], x["meeting_id"]) for x in plans] == [("koordinationsplan", wf.stream_id(tid))]

        t = await step(cli, tid, "complete")
        assert (t["state"], t["closure"], t["current_step"]) == ("closure_awaited", "awaited", "closure")
        assert t["allowed"] == [] and t["pathway_id"] == pathway_id
        assert await _found(
            client,
            f'WorkflowId = "{wf.workflow_id(tid, "1082")}" AND PathwayKind = "transition" '
            'AND Phase = "closure_awaited"',
        )
        assert (await cli.get("/transitions?state=closure_awaited")).json()[0]["transition_id"] == tid

        # The clinician closes the pathway its own way: phase 4's tasks, then the planned end.
        p = (await cli.get(f"/pathways/{pathway_id}")).json()
        for x in [x for x in p["tasks"] if x["state"] == "open"]:
            body = (
                {"outcome": "done", "note": "plan for brobygning agreed"}
                if x["kind"] == "bridging_plan"
                else {"outcome": "not_possible", "note": "the patient went to the start-up meeting alone"}
            )
            r = await cli.post(f"/pathways/{pathway_id}/tasks/{x['task_id']}/complete", json=body)
            assert r.status_code == 200, r.text
        r = await cli.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "transition_coordinated"})
        assert r.status_code == 200 and r.json()["level_of_care"] == "coordinated", r.text

        async def completed():
            t = (await cli.get(f"/transitions/{tid}")).json()
            return t if t["state"] == "completed" else None

        t = await eventually(completed, what="the transition completed")
        assert t and (t["closure"], t["outcome"], t["current_step"]) == ("done", "transition", None)
        assert all(x["state"] != "open" for x in t["tasks"])
    assert (
        await client.get_workflow_handle(wf.workflow_id(tid, "1082")).describe()
    ).status == WorkflowExecutionStatus.COMPLETED
    events = await store.read_stream(wf.stream_id(tid))
    closed_event = events[-2]
    assert (
        closed_event.type == "TransitionPathwayClosed" and closed_event.data["reason_kind"] == "transition_coordinated"
    )


async def test_who_sees_which_transitions(http, client):
    body = to_integrated(dialogue_consent="not_asked")
    async with http.as_("municipality", MUNICIPALITY) as mun, http.as_("clinician", REGION) as cli:
        first = await start(cli, body)
        assert first["branch"] == "no_consent"  # not asked is no consent: nothing goes to the municipality
        # One transition per patient at a time; the municipality is not told why (it may not see the first).
        r = await mun.post("/transitions", json={**body, "dialogue_consent": "given"})
        assert r.status_code == 409 and first["transition_id"] not in r.text, r.text
        r = await cli.post("/transitions", json=body)
        assert r.status_code == 409 and first["transition_id"] in r.json()["message"], r.text

        tid = (await start(mun, to_integrated()))["transition_id"]
        await step(cli, tid, "assessment", assessment())
    async with (
        http.as_("clinician", "region:1084") as other_region,
        http.as_("municipality", "municipality:101") as other_mun,
        http.as_("ops", "ops:national") as ops,
        http.as_("clinician", REGION) as cli,
        http.as_("municipality", MUNICIPALITY) as mun,
    ):
        for c in (other_region, other_mun):
            assert (await c.get(f"/transitions/{tid}")).status_code == 404
            assert tid not in {x["transition_id"] for x in (await c.get("/transitions")).json()}
            r = await c.post(f"/transitions/{tid}/agreement", json={})
            assert r.status_code == 404, r.text
        assert (await ops.get(f"/transitions/{tid}")).json()["state"] == "assessed"
        r = await ops.post(f"/transitions/{tid}/agreement", json={})
        assert r.status_code == 403, r.text
        for c in (cli, mun):
            listed = (await c.get("/transitions", params={"state": "assessed"})).json()
            assert tid in {x["transition_id"] for x in listed} and {x["state"] for x in listed} == {"assessed"}
            assert tid not in {
                x["transition_id"] for x in (await c.get("/transitions", params={"state": "agreed"})).json()
            }
        # Others cannot start one for patients who are not theirs.
        r = await other_mun.post("/transitions", json=to_integrated())
        assert r.status_code == 403 and "its own citizens" in r.json()["message"], r.text
        r = await other_region.post("/transitions", json=to_integrated())
        assert r.status_code == 403 and "served by region 1082" in r.json()["message"], r.text
        r = await mun.post("/transitions", json=to_integrated(reported_by="region"))
        assert r.status_code == 403, r.text
        r = await mun.post("/transitions", json=to_integrated(signs=[]))
        assert r.status_code == 422, r.text
    assert await _found(
        client,
        f'WorkflowId = "{wf.workflow_id(tid, "1082")}" AND PathwayKind = "transition" '
        'AND Phase = "assessed" AND Overdue = false AND NextDue > "2000-01-01T00:00:00Z"',
    )


async def test_shared_with_the_municipality_only_while_consent_lasts_and_never_with_ops(http, pool):
    pathway_id = await accepted_pathway(http)
    async with (
        http.as_("clinician", REGION, subject="psychiatrist-3") as cli,
        http.as_("municipality", MUNICIPALITY, subject="caseworker-9") as mun,
        http.as_("ops", "ops:national") as ops,
    ):
        consent = {"scope": "dialogue", "counterpart": "751", "form": "written"}
        r = await cli.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "given"})
        assert r.status_code == 200, r.text
        tid = (
            await start(cli, {"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "stable for a year"})
        )["transition_id"]
        await step(cli, tid, "assessment", assessment(answer="we propose coordinated treatment"))

        full = (await cli.get(f"/transitions/{tid}")).json()
        assert full["assessment"]["assessment"].startswith("worsening") and full["description"] == "stable for a year"
        assert any(h["data"] for h in full["history"])
        shared = (await mun.get(f"/transitions/{tid}")).json()
        # The answer is the municipality's; psychiatry's own assessment text is not.
        assert shared["assessment"] == {k: v for k, v in full["assessment"].items() if k != "assessment"}
        assert all(h["data"] == {} and h["by"] is None for h in shared["history"])
        assert {t["owner_org"] for t in shared["tasks"]} == {MUNICIPALITY}
        seen = (await ops.get(f"/transitions/{tid}")).json()
        assert (seen["state"], seen["current_step"], seen["step_due"]) == (
            full["state"],
            full["current_step"],
            full["step_due"],
        )
        assert seen["assessment"] is None and seen["description"] is None and seen["signs"] == []
        assert all(h["data"] == {} for h in seen["history"]) and "patient_id" not in str(seen)
        assert (
            next(x for x in (await ops.get("/transitions", params={"limit": 500})).json() if x["transition_id"] == tid)[
                "assessment"
            ]
            is None
        )

        r = await cli.post(f"/pathways/{pathway_id}/consents", json={**consent, "state": "withdrawn"})
        assert r.status_code == 200, r.text
        # Withdrawal takes effect at once: from now on nothing is shared.
        assert (await mun.get(f"/transitions/{tid}")).status_code == 404
        assert tid not in {x["transition_id"] for x in (await mun.get("/transitions", params={"limit": 500})).json()}
        r = await mun.post(f"/transitions/{tid}/agreement", json={})
        assert r.status_code == 404, r.text
    actions = {
        (r["subject"], r["action"])
        for r in await pool.fetch("SELECT subject, action FROM access_log WHERE pathway_id = $1", pathway_id)
    }
    assert {
        ("psychiatrist-3", "GET /transitions/{transition_id}"),
        ("psychiatrist-3", "POST /transitions/{transition_id}/assessment"),
        ("caseworker-9", "GET /transitions/{transition_id}"),
    } <= actions
