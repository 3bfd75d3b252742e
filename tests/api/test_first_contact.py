"""The §82c clock runs to the first treatment contact (issue #18, item 3), over real HTTP.

A clinician of the pathway's region records the first treatment contact in phase 1, once, with its day
(on or after the referral's receipt, not in the future); it is recorded as FirstTreatmentContact with
whether it came within the start deadline (14 calendar days: weekends and Danish holidays count). A
pathway accepted after its deadline starts with the deadline's task for its clinicians, overdue and
escalated; recording the contact closes it. The monitoring report measures "started within 14 days" to
the first contact. (The timers that warn and escalate while a pathway waits: tests/workflows/
test_first_contact_timers.py, on the time-skipping server.)
"""

from datetime import date, timedelta

from dualpath import search_attributes as sa
from dualpath.domain import copenhagen
from dualpath.workflows import pathway as pathway_wf
from tests.poll import eventually

from .helpers import accepted_pathway, close_open_tasks, referral

REGION = "region:1082"
FIRST_CONTACT = "/pathways/{}/first-contact"
TODAY = copenhagen.today()
# Received on the Friday before Palm Sunday 2026: the 14 days end on Good Friday, 3 April (a holiday), and
# the next working day after it is Tuesday 7 April (Easter Monday is a holiday too). The deadline does not move.
BEFORE_EASTER, GOOD_FRIDAY, TUESDAY_AFTER_EASTER = date(2026, 3, 20), date(2026, 4, 3), date(2026, 4, 7)


def _history(p: dict, kind: str) -> list[dict]:
    return [h for h in p["history"] if h["type"] == kind]


def _open(p: dict, kind: str) -> list[dict]:
    return [t for t in p["tasks"] if t["state"] == "open" and t["kind"] == kind]


async def test_a_clinician_records_the_first_contact_once_and_the_clock_stops_in_time(http):
    received = TODAY - timedelta(days=5)
    pathway_id = await accepted_pathway(http, received_on=str(received))
    async with http.as_("clinician", REGION) as c:
        before = (await c.get(f"/pathways/{pathway_id}")).json()
        assert before["received_on"] == str(received) and before["start_deadline"] == str(received + timedelta(14))
        assert before["first_contact_on"] is None and before["start_status"] == "running"
        assert not _open(before, "first_treatment_contact")  # nine days left: no warning yet

        r = await c.post(FIRST_CONTACT.format(pathway_id), json={"contact_on": str(TODAY - timedelta(days=1))})
        assert r.status_code == 200, r.text
        p = r.json()
        assert p["first_contact_on"] == str(TODAY - timedelta(days=1))
        assert p["first_contact_within_deadline"] is True and p["start_status"] == "started_in_time"
        [contact] = _history(p, "FirstTreatmentContact")
        assert contact["by"]["role"] == "clinician"
        assert contact["data"] == {
            "pathway_id": pathway_id,
            "contact_on": str(TODAY - timedelta(days=1)),
            "phase": 1,
            "received_on": str(received),
            "start_deadline": str(received + timedelta(14)),
            "within_deadline": True,
        }

        again = await c.post(FIRST_CONTACT.format(pathway_id), json={"contact_on": str(TODAY)})
        assert again.status_code == 409 and "recorded already" in again.json()["message"], again.text
        after = (await c.get(f"/pathways/{pathway_id}")).json()
    assert len(_history(after, "FirstTreatmentContact")) == 1
    assert after["first_contact_on"] == str(TODAY - timedelta(days=1))


async def test_a_first_contact_is_refused_with_what_is_allowed(http):
    received = TODAY - timedelta(days=3)
    pathway_id = await accepted_pathway(http, received_on=str(received))
    url = FIRST_CONTACT.format(pathway_id)
    async with http.as_("clinician", REGION) as c:
        early = await c.post(url, json={"contact_on": str(received - timedelta(days=1))})
        assert early.status_code == 409, early.text
        assert "before the referral was received" in early.json()["message"]
        assert early.json()["allowed"] == [f"contact_on from {received} to {TODAY}"]

        future = await c.post(url, json={"contact_on": str(TODAY + timedelta(days=1))})
        assert future.status_code == 422 and "in the future" in future.text, future.text
        for body in ({}, {"contact_on": "not a date"}, {"contact_on": "2026-02-30"}):
            r = await c.post(url, json=body)
            assert r.status_code == 422 and "contact_on" in r.text, (body, r.text)

        # Recorded in phase 1: a pathway that moved on without it is refused, naming its phase.
        await close_open_tasks(c, pathway_id)
        assert (await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})).status_code == 200
        moved = await c.post(url, json={"contact_on": str(TODAY)})
        assert (
            moved.status_code == 409 and "phase 1" in moved.json()["message"] and "phase 2" in moved.json()["message"]
        )
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        assert not _history(p, "FirstTreatmentContact") and p["first_contact_on"] is None

    body = {"contact_on": str(TODAY)}
    async with (
        http.as_("municipality", "municipality:751") as m,
        http.as_("ops", "ops:national") as ops,
        http.as_("visitation", REGION) as v,
    ):
        for who in (m, ops, v):
            assert (await who.post(url, json=body)).status_code == 403
    # Another region's clinician does not find the pathway at all.
    async with http.as_("clinician", "region:1084") as other:
        assert (await other.post(url, json=body)).status_code == 404


async def _late_pathway(http) -> str:
    """A referral received before Easter 2026 and accepted only now: its deadline (Good Friday) has passed."""
    pathway_id = await accepted_pathway(http, received_on=str(BEFORE_EASTER))
    async with http.as_("clinician", REGION) as c:
        p = (await c.get(f"/pathways/{pathway_id}")).json()
    assert p["start_deadline"] == str(GOOD_FRIDAY)
    return pathway_id


async def test_a_pathway_accepted_after_its_deadline_starts_escalated_with_a_task_for_its_clinicians(http, client):
    pathway_id = await _late_pathway(http)
    handle = client.get_workflow_handle(pathway_wf.workflow_id(pathway_id, "1082"))
    async with http.as_("clinician", REGION) as c:
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        assert p["start_status"] == "passed" and p["first_contact_deadline_passed"] is True
        [task] = _open(p, "first_treatment_contact")
        assert (task["owner_role"], task["owner_org"], task["due"], task["phase"], task["mandatory"]) == (
            "clinician",
            REGION,
            str(GOOD_FRIDAY),
            1,
            True,
        )
        assert task["overdue"] is True
        # Past the deadline already: escalated at once, no warning first.
        assert [h["data"]["start_deadline"] for h in _history(p, "FirstContactDeadlinePassed")] == [str(GOOD_FRIDAY)]
        assert not _history(p, "FirstContactDeadlineApproaching")
        assert (await handle.describe()).typed_search_attributes.get(sa.OVERDUE) is True

        # The task is the clinicians' to act on: it is closed by recording the contact, not by ticking it off,
        # and phase 1 is not left while it is open.
        ticked = await c.post(f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete", json={"outcome": "done"})
        assert ticked.status_code == 409 and "/first-contact" in ticked.json()["message"], ticked.text
        for t in p["tasks"]:
            if t["state"] == "open" and t["kind"] != "first_treatment_contact":
                if t["kind"] == "consent_dialogue":
                    body = {"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"}
                    assert (await c.post(f"/pathways/{pathway_id}/consents", json=body)).status_code == 200
                else:
                    done = {"outcome": "done"}
                    r = await c.post(f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete", json=done)
                    assert r.status_code == 200, r.text
        blocked = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert blocked.status_code == 409 and "first_treatment_contact" in blocked.json()["message"], blocked.text

        # The first contact on the Tuesday after Easter: one working day after the deadline, but late all the same.
        r = await c.post(FIRST_CONTACT.format(pathway_id), json={"contact_on": str(TUESDAY_AFTER_EASTER)})
        assert r.status_code == 200, r.text
        p = r.json()
        assert p["start_status"] == "started_late" and p["first_contact_within_deadline"] is False
        assert not _open(p, "first_treatment_contact")
        closed = next(t for t in p["tasks"] if t["task_id"] == task["task_id"])
        assert closed["state"] == "done" and "2026-04-07" in closed["note"]
        assert (await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})).status_code == 200

    async def not_overdue() -> bool:
        return (await handle.describe()).typed_search_attributes.get(sa.OVERDUE) is False

    await eventually(not_overdue)


async def test_a_first_contact_on_the_holiday_that_ends_the_deadline_is_in_time(http):
    pathway_id = await _late_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(FIRST_CONTACT.format(pathway_id), json={"contact_on": str(GOOD_FRIDAY)})
    assert r.status_code == 200, r.text
    assert r.json()["first_contact_within_deadline"] is True and r.json()["start_status"] == "started_in_time"


async def _caught_up(pool) -> None:
    from tests.report.test_monitoring_report import _caught_up as caught_up

    await caught_up(pool)


async def _process(http, region: str) -> dict:
    async with http.as_("ops", "ops:national") as c:
        r = await c.get("/reports/monitoring", params={"region": region})
    assert r.status_code == 200, r.text
    return next(p for p in r.json()["process"] if p["region"] == region)


async def test_the_report_measures_started_within_14_days_to_the_first_contact(http, pool):
    """Region Nordjylland (1081, Aalborg 851): the figures move by exactly what is done here."""
    region, org, municipality = "1081", "region:1081", "851"
    await _caught_up(pool)
    before = await _process(http, region)
    async with http.as_("clinician", org) as c, http.as_("visitation", org) as v:

        async def refer(received: date, accept: bool = True) -> str | None:
            r = await c.post("/referrals", json=referral(municipality=municipality, received_on=str(received)))
            assert r.status_code == 201, r.text
            if not accept:
                return None
            d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
            assert d.status_code == 200, d.text
            return d.json()["pathway_id"]

        async def contact(pathway_id: str | None, on: date) -> None:
            r = await c.post(FIRST_CONTACT.format(pathway_id), json={"contact_on": str(on)})
            assert r.status_code == 200, r.text

        waiting = await refer(TODAY)  # accepted, no contact yet, within its deadline: not counted yet
        in_time = await refer(TODAY - timedelta(days=2))
        await contact(in_time, TODAY)  # started in time
        late = await refer(TODAY - timedelta(days=30))
        await contact(late, TODAY)  # accepted late, started late
        await refer(TODAY - timedelta(days=30))  # accepted late, not started: past its deadline, not in time
        await refer(TODAY - timedelta(days=30), accept=False)  # still awaiting visitation past its deadline
        assert waiting
    await _caught_up(pool)
    after = await _process(http, region)
    # In time: the one with its contact by the deadline; of: that one, the late contact, the late acceptance not
    # started, and the referral still awaiting visitation past its deadline (the one within its deadline waits).
    figure = {
        k: after["started_within_14_days"][k] - before["started_within_14_days"][k]
        for k in ("numerator", "denominator")
    }
    assert figure == {"numerator": 1, "denominator": 4}
    assert after["awaiting_past_deadline"] - before["awaiting_past_deadline"] == 1
    assert after["accepted_not_started_past_deadline"] - before["accepted_not_started_past_deadline"] == 1
    assert after["awaiting_first_contact"] - before["awaiting_first_contact"] == 1


async def test_the_pathway_page_shows_the_first_contact_and_the_82c_status_and_records_it(api, http):
    from tests.web.helpers import csrf, signed_in, text

    pathway_id = await _late_pathway(http)
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(f"/forloeb/{pathway_id}")
        assert 'id="form-contact"' in page.text and "Registrér første behandlingskontakt" in text(page)
        assert "Fristen er overskredet: første behandlingskontakt mangler" in text(page)
        assert "Modtaget 20. marts 2026 · frist 3. april 2026" in text(page)
        assert "ikke registreret" in text(page)
        token = await csrf(c, f"/forloeb/{pathway_id}")
        refused = await c.post(
            f"/forloeb/{pathway_id}/kontakt", data={"csrf": token, "idem": "k1", "contact_on": "2026-03-19"}
        )
        assert refused.status_code == 409 and "before the referral was received" in text(refused)
        r = await c.post(
            f"/forloeb/{pathway_id}/kontakt", data={"csrf": token, "idem": "k2", "contact_on": str(GOOD_FRIDAY)}
        )
        assert r.status_code == 303, r.text
        after = await c.get(r.headers["location"])
        assert "Den første behandlingskontakt er registreret." in text(after)
        assert "Behandlingen startede inden for fristen" in text(after)
        assert 'id="form-contact"' not in after.text
        assert 'data-testid="first-contact">3. april 2026<' in after.text
    # Municipal staff and visitation are not offered the form.
    async with signed_in(api, "visitation", REGION) as v:
        assert 'id="form-contact"' not in (await v.get(f"/forloeb/{pathway_id}")).text
