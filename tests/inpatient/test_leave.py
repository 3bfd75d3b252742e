"""Leave before discharge (orlov; issue #18 item 6): the plan that advises it opens the offer task, a leave is
granted from–to across a weekend, and how it went is recorded (a task asks for it the day after it ends)."""

import uuid
from datetime import timedelta

from dualpath.domain import copenhagen
from dualpath.workflows import inpatient_stay as stay_wf

from ..api.helpers import accepted_pathway
from .test_admissions import REGION, _admit


async def _stay(c, pathway_id, stay_id):
    return next(s for s in (await c.get(f"/pathways/{pathway_id}/admissions")).json() if s["stay_id"] == stay_id)


def _tasks(stay, kind, state="open"):
    return [t for t in stay["tasks"] if t["kind"] == kind and t["state"] == state]


async def test_a_leave_over_a_weekend_closes_the_offer_and_asks_how_it_went(http, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, "2026-11-16")
        base = f"/pathways/{pathway_id}/admissions/{stay['stay_id']}"
        r = await c.post(f"{base}/discharge-plan", json={"planned_date": "2026-12-02"})
        assert r.status_code == 200 and r.json()["offer_leave"], r.text
        [offer] = _tasks(await _stay(c, pathway_id, stay["stay_id"]), "leave_offer")
        assert offer["mandatory"] is False and offer["due"] == "2026-12-02"
        # A second plan opens no second offer.
        r = await c.post(f"{base}/discharge-plan", json={"planned_date": "2026-12-03"})
        assert r.status_code == 200
        assert len(_tasks(await _stay(c, pathway_id, stay["stay_id"]), "leave_offer")) == 1

        # Friday 20 to Sunday 22 November 2026.
        r = await c.post(f"{base}/leave", json={"from_date": "2026-11-20", "to_date": "2026-11-22"})
        assert r.status_code == 201, r.text
        shown = r.json()
        [leave] = shown["leaves"]
        assert (leave["kind"], leave["from_date"], leave["to_date"], leave["went"]) == (
            "orlov",
            "2026-11-20",
            "2026-11-22",
            None,
        )
        assert [t["task_id"] for t in _tasks(shown, "leave_offer", "done")] == [offer["task_id"]]
        [ask] = _tasks(shown, "leave_outcome")
        assert ask["due"] == "2026-11-23"  # the Monday after

        overlapping = await c.post(f"{base}/leave", json={"from_date": "2026-11-22", "to_date": "2026-11-24"})
        assert overlapping.status_code == 409 and "already" in overlapping.json()["message"]
        early = f"{base}/leave/{leave['leave_id']}/outcome"
        r = await c.post(early, json={"went": "ended_early"})
        assert r.status_code == 409 and "needs a note" in r.json()["message"]
        r = await c.post(early, json={"went": "sometimes"})
        assert r.status_code == 422
        r = await c.post(early, json={"went": "ended_early", "note": "came back Saturday, unsettled at home"})
        assert r.status_code == 200, r.text
        shown = r.json()
        assert shown["leaves"][0]["went"] == "ended_early"
        assert shown["leaves"][0]["note"] == "came back Saturday, unsettled at home"
        assert not _tasks(shown, "leave_outcome")
        again = await c.post(early, json={"went": "as_planned"})
        assert again.status_code == 409 and "recorded already" in again.json()["message"]
    types = [e.type for e in await store.read_stream(stay_wf.stream_id(pathway_id, 1))]
    assert types.count("LeaveGranted") == 1 and types.count("LeaveEnded") == 1


async def test_a_leave_is_refused_outside_the_stay_or_for_too_long(http):
    pathway_id = await accepted_pathway(http)
    today = copenhagen.today()
    async with http.as_("clinician", REGION) as c:
        stay = await _admit(c, pathway_id, str(today - timedelta(days=3)))
        base = f"/pathways/{pathway_id}/admissions/{stay['stay_id']}"
        before = {"from_date": str(today - timedelta(days=5)), "to_date": str(today)}
        r = await c.post(f"{base}/leave", json=before)
        assert r.status_code == 409 and "before the admission" in r.json()["message"]
        backwards = {"from_date": str(today), "to_date": str(today - timedelta(days=1))}
        r = await c.post(f"{base}/leave", json=backwards)
        assert r.status_code == 409 and "before it starts" in r.json()["message"]
        r = await c.post(f"{base}/leave", json={"from_date": str(today), "to_date": str(today + timedelta(days=30))})
        assert r.status_code == 409 and "plan the discharge instead" in r.json()["message"]
        future = {"from_date": str(today + timedelta(days=2)), "to_date": str(today + timedelta(days=3))}
        r = await c.post(f"{base}/leave", json={**future, "kind": "overnight_at_home"})
        assert r.status_code == 201, r.text
        [leave] = r.json()["leaves"]
        # How it went is recorded once it has begun.
        r = await c.post(f"{base}/leave/{leave['leave_id']}/outcome", json={"went": "as_planned"})
        assert r.status_code == 409 and "once it has begun" in r.json()["message"]
        r = await c.post(f"{base}/leave/{uuid.uuid4()}/outcome", json={"went": "as_planned"})
        assert r.status_code == 409 and "no leave" in r.json()["message"]
    async with http.as_("municipality", "municipality:751") as m:
        r = await m.post(f"{base}/leave", json=future)
        assert r.status_code in (403, 404)
