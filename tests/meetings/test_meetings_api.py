"""Meetings and joint plans over real HTTP: call, invite, schedule, hold, cancel, version plans."""

from datetime import date

from dualpath.domain import copenhagen
from dualpath.eventstore import rebuild
from dualpath.readmodels.meetings import MeetingsProjection
from dualpath.workflows import meeting as wf
from tests.api.helpers import referral
from tests.poll import eventually

REGION = "region:1082"
MUNICIPALITY = "municipality:751"  # Aarhus, in region 1082
TODAY = copenhagen.today()

PARTICIPANTS = [
    {"role": "psychiatrist", "organisation": REGION},
    {"role": "nurse", "organisation": REGION, "name_or_function": "contact person"},
    {"role": "substance_treatment", "organisation": MUNICIPALITY},
    {"role": "social_worker", "organisation": MUNICIPALITY},
    {"role": "housing_staff", "organisation": "bosted:751-skovly"},
]
ORGS = {REGION, MUNICIPALITY, "bosted:751-skovly"}


async def _accepted_pathway(http, cpr: str | None = None) -> str:
    body = referral(cpr=cpr) if cpr else referral()
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        r = await c.post("/referrals", json=body)
        assert r.status_code == 201, r.text
        d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
        assert d.status_code == 200, d.text
        return d.json()["pathway_id"]


async def _call(c, pathway_id: str, **overrides) -> dict:
    body = {
        "kind": "network_meeting",
        "purpose": "plan the transition to coordinated treatment",
        "participants": PARTICIPANTS,
        "called_on": TODAY.isoformat(),
        **overrides,
    }
    r = await c.post(f"/pathways/{pathway_id}/meetings", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _plan(summary: str, *agreed: dict) -> dict:
    return {"kind": "koordinationsplan", "summary": summary, "agreed_by": list(agreed)}


async def _invitations_recorded(store, meeting_id: str, expected: int) -> list[str]:
    # Invitations go out after MeetingCalled, so after the API has answered.
    async def types() -> list[str]:
        return [e.type for e in await store.read_stream(wf.stream_id(meeting_id))]

    return await eventually(
        types, lambda recorded: recorded.count("InvitationSent") >= expected, what=f"{expected} invitations recorded"
    )


async def test_a_network_meeting_invites_each_organisation_once_and_versions_the_plan(http, store, pool, client):
    cpr = "0101801234"
    pathway_id = await _accepted_pathway(http, cpr)
    async with http.as_("clinician", REGION) as c:
        m = await _call(c, pathway_id)
        assert m["status"] == "called" and m["allowed"] == ["schedule", "record_held", "cancel"]
        types = await _invitations_recorded(store, m["meeting_id"], len(ORGS))
        assert types == ["MeetingCalled"] + ["InvitationSent"] * len(ORGS)

        rows = await pool.fetch(
            "SELECT recipient_org, count(*) AS n, min(subject) AS subject, min(body) AS body "
            "FROM notifications WHERE pathway_id = $1 AND channel = 'invitation' GROUP BY recipient_org",
            pathway_id,
        )
        assert {r["recipient_org"]: r["n"] for r in rows} == dict.fromkeys(ORGS, 1)
        notice = rows[0]
        assert "netværksmøde" in notice["subject"] and pathway_id in notice["body"]
        # Nothing about the patient: no CPR, and no purpose (it may be clinical).
        assert cpr not in notice["body"] and "transition" not in notice["body"]

        s = await c.post(
            f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/schedule",
            json={"at": "2026-11-25T10:00:00+01:00", "place": "Aarhus psychiatric clinic"},
        )
        assert s.status_code == 200, s.text
        assert s.json()["status"] == "scheduled" and s.json()["scheduled_at"] == "2026-11-25T09:00:00Z"

        agreed_1 = [{"role": "psychiatrist", "organisation": REGION}, {"role": "patient", "organisation": "patient"}]
        h = await c.post(
            f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/held",
            json={
                "held_on": TODAY.isoformat(),
                "outcome": "transition agreed",
                "attendees": PARTICIPANTS[:3],
                "joint_plan": _plan("first plan", *agreed_1),
            },
        )
        assert h.status_code == 200, h.text
        assert h.json()["status"] == "held" and h.json()["allowed"] == []
        assert len(h.json()["attendees"]) == 3
        # The meeting's process ends once held.
        handle = client.get_workflow_handle(wf.workflow_id(m["meeting_id"], "1082"), result_type=wf.MeetingView)
        assert (await handle.result()).status == "held"

        m2 = await _call(c, pathway_id)
        agreed_2 = [{"role": "substance_treatment", "organisation": MUNICIPALITY}]
        h2 = await c.post(
            f"/pathways/{pathway_id}/meetings/{m2['meeting_id']}/held",
            json={
                "held_on": TODAY.isoformat(),
                "outcome": "plan revised",
                "joint_plan": _plan("revised plan", *agreed_2),
            },
        )
        assert h2.status_code == 200, h2.text

        m3 = await _call(c, pathway_id, kind="collaboration_meeting", participants=PARTICIPANTS[2:3])
        h3 = await c.post(
            f"/pathways/{pathway_id}/meetings/{m3['meeting_id']}/held",
            json={
                "held_on": TODAY.isoformat(),
                "outcome": "discharge agreed",
                "joint_plan": {"kind": "udskrivningsaftale", "summary": "discharge", "agreed_by": agreed_2},
            },
        )
        assert h3.status_code == 200, h3.text

        plans = (await c.get(f"/pathways/{pathway_id}/joint-plans")).json()
        listed = (await c.get(f"/pathways/{pathway_id}/meetings")).json()
    # Versions count per kind: the udskrivningsaftale starts at 1 of its own.
    assert [(p["kind"], p["version"], p["meeting_id"]) for p in plans] == [
        ("udskrivningsaftale", 1, m3["meeting_id"]),
        ("koordinationsplan", 2, m2["meeting_id"]),
        ("koordinationsplan", 1, m["meeting_id"]),
    ]
    assert plans[1]["summary"] == "revised plan" and plans[1]["agreed_by"] == [
        {"role": "substance_treatment", "organisation": MUNICIPALITY, "name_or_function": None}
    ]
    assert [a["role"] for a in plans[2]["agreed_by"]] == ["psychiatrist", "patient"]
    assert {x["meeting_id"]: x["status"] for x in listed} == dict.fromkeys(
        [m["meeting_id"], m2["meeting_id"], m3["meeting_id"]], "held"
    )

    # Numbered by the projection in event order, so a rebuild numbers alike.
    before = await pool.fetch(
        "SELECT kind, version, meeting_id FROM rm_joint_plans WHERE pathway_id = $1 ORDER BY kind, version", pathway_id
    )
    await rebuild(pool, [MeetingsProjection()])
    after = await pool.fetch(
        "SELECT kind, version, meeting_id FROM rm_joint_plans WHERE pathway_id = $1 ORDER BY kind, version", pathway_id
    )
    assert [tuple(r) for r in after] == [tuple(r) for r in before] and len(before) == 3


async def test_cancelling_needs_a_reason_and_a_cancelled_meeting_cannot_be_held(http, store):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        m = await _call(c, pathway_id, kind="startup_meeting")
        url = f"/pathways/{pathway_id}/meetings/{m['meeting_id']}"

        r = await c.post(f"{url}/cancel", json={"reason": "  "})
        assert r.status_code == 409, r.text
        assert "needs a reason" in r.json()["message"]
        assert r.json()["allowed"] == ["schedule", "record_held", "cancel"]

        r = await c.post(f"{url}/cancel", json={"reason": "the patient was admitted"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "the patient was admitted"

        r = await c.post(f"{url}/held", json={"held_on": TODAY.isoformat(), "outcome": "x"})
        assert r.status_code == 409, r.text
        assert "cancelled" in r.json()["message"] and r.json()["allowed"] == []
        r = await c.post(f"{url}/schedule", json={"at": "2026-12-01T10:00:00+01:00", "place": "x"})
        assert r.status_code == 409, r.text
    types = [e.type for e in await store.read_stream(wf.stream_id(m["meeting_id"]))]
    assert types[0] == "MeetingCalled" and types[-1] == "MeetingCancelled" and "MeetingHeld" not in types


async def test_a_meeting_cannot_be_recorded_held_in_the_future_or_with_a_plan_no_one_agreed(http, store):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        m = await _call(c, pathway_id)
        url = f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/held"
        r = await c.post(url, json={"held_on": date(TODAY.year + 1, 1, 2).isoformat(), "outcome": "x"})
        assert r.status_code == 409 and "in the future" in r.json()["message"], r.text
        r = await c.post(url, json={"held_on": TODAY.isoformat(), "outcome": "x", "joint_plan": _plan("p")})
        assert r.status_code == 409 and "who agreed" in r.json()["message"], r.text
        r = await c.post(url, json={"held_on": TODAY.isoformat(), "outcome": " "})
        assert r.status_code == 409 and "outcome" in r.json()["message"], r.text
        # Refusals write nothing; then finish the meeting.
        r = await c.post(f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/cancel", json={"reason": "test over"})
        assert r.status_code == 200, r.text
    types = [e.type for e in await store.read_stream(wf.stream_id(m["meeting_id"]))]
    assert "MeetingHeld" not in types and "JointPlanRecorded" not in types


async def test_only_the_pathways_region_may_see_or_call_its_meetings(http):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        m = await _call(c, pathway_id)
    body = {"kind": "network_meeting", "participants": PARTICIPANTS}
    async with http.as_("clinician", "region:1084") as other, http.as_("municipality", MUNICIPALITY) as mun:
        for client in (other, mun):
            assert (await client.post(f"/pathways/{pathway_id}/meetings", json=body)).status_code == 404
            assert (await client.get(f"/pathways/{pathway_id}/meetings")).status_code == 404
            assert (await client.get(f"/pathways/{pathway_id}/joint-plans")).status_code == 404
            r = await client.post(f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/cancel", json={"reason": "x"})
            assert r.status_code == 404
    async with http.as_("visitation", REGION) as v:
        r = await v.post(f"/pathways/{pathway_id}/meetings", json=body)
        assert r.status_code == 403 and r.json()["allowed"] == ["clinician"]
        assert (await v.get(f"/pathways/{pathway_id}/meetings")).status_code == 200
    async with http.as_("clinician", REGION) as c:
        assert (
            await c.post(f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/cancel", json={"reason": "test over"})
        ).status_code == 200


async def test_hold_by_counts_danish_working_days_over_easter(http):
    pathway_id = await _accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        m = await _call(c, pathway_id, called_on="2026-04-01")
        # Called on Wednesday 1 April 2026. Maundy Thursday (2), Good Friday (3),
        # the weekend and Easter Monday (6) are closed; the five working days are
        # Tue 7, Wed 8, Thu 9, Fri 10 and Mon 13 April, so it must be held by the 13th.
        assert m["hold_by"] == "2026-04-13"

        # That date has long passed: the durable timer fires at once.
        async def listed() -> list[dict]:
            return (await c.get(f"/pathways/{pathway_id}/meetings")).json()

        meetings = await eventually(listed, lambda ms: ms[0]["overdue"], what="the meeting listed as overdue")
        assert meetings[0]["overdue"] is True and meetings[0]["status"] == "called"
        r = await c.post(f"/pathways/{pathway_id}/meetings/{m['meeting_id']}/cancel", json={"reason": "test over"})
        assert r.status_code == 200, r.text
