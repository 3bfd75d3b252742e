"""Entry through the acute function (issue #18, item 4), over real HTTP.

- Visitation accepts a referral straight into an inpatient course: the pathway and its first stay start
  together (the admission is in the pathway's opening; the stay is the pathway's child).
- `POST /acute-admissions`: a clinician of the serving region admits by CPR number; a patient with an
  active pathway has the admission attached to it, one without gets the integrated course started with it
  (a pathway whose origin is the admission, not a referral). A target group not yet open in the region,
  or an ineligible patient, starts nothing: refused with the reason.
- `POST /pathways/{id}/acute-contacts`: a contact at the acute function without admission, recorded by the
  pathway's workflow, shown on the pathway, counted in the monitoring report per region and outcome.
"""

from datetime import timedelta

from temporalio.worker import Replayer

from dualpath import temporal_client, workflow_ids
from dualpath.api.routes.acute_admissions import CANNOT_ADMIT
from dualpath.domain import acute, copenhagen
from dualpath.readmodels.report import MonitoringReport, render_text
from dualpath.worker import WORKFLOWS

from .helpers import accepted_pathway, cpr, referral

REGION = "region:1082"
TODAY = copenhagen.today()
WARD = "Afsnit for dobbeltdiagnoser, Aarhus"
FACTS = {"psychiatric_contact": "within_last_year", "municipal_substance_treatment": True}  # group 2
CRITERIA = {
    "mental_illness": "severe",
    "substance_problem": True,
    "reduced_functioning": True,
    "parallel_treatment_insufficient": True,
}


def _history(p: dict, kind: str) -> list[dict]:
    return [h for h in p["history"] if h["type"] == kind]


def _acute(cpr_number: str, **overrides) -> dict:
    body = {
        "cpr": cpr_number,
        "municipality": "751",
        "ward": WARD,
        "admitted_on": str(TODAY),
        "facts": FACTS,
        "criteria": CRITERIA,
    }
    body.update(overrides)
    return body


async def _process(http, region: str = "1082") -> dict:
    async with http.as_("ops", "ops:national") as o:
        r = await o.get("/reports/monitoring", params={"region": region})
    assert r.status_code == 200, r.text
    return next(p for p in r.json()["process"] if p["region"] == region)


# -- 1. acceptance into an inpatient course ------------------------------------------------------------


async def test_visitation_accepts_into_an_inpatient_course_and_the_stay_starts_with_the_pathway(http):
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        ref = (await c.post("/referrals", json=referral(source="acute_function"))).json()
        admission = {"ward": WARD, "via": "acute_function", "admitted_on": str(TODAY)}
        d = await v.post(
            f"/referrals/{ref['referral_id']}/decision",
            json={"accept": True, "setting": "inpatient", "admission": admission},
        )
        assert d.status_code == 200, d.text
        assert d.json()["status"] == "accepted"
        pathway_id = d.json()["pathway_id"]

        p = (await c.get(f"/pathways/{pathway_id}")).json()
        assert p["level_of_care"] == "inpatient" and p["phase"] == 1
        # The admission is recorded in the pathway's opening, right after its start.
        [started], [admitted] = _history(p, "PathwayStarted"), _history(p, "AdmissionRecorded")
        assert started["version"] < admitted["version"]
        assert admitted["data"]["via"] == "acute_function" and admitted["data"]["admitted_on"] == str(TODAY)

        [stay] = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
        assert stay["stay_id"] == admitted["data"]["stay_id"]
        assert (stay["number"], stay["phase"], stay["status"], stay["ward"]) == (1, 1, "admitted", WARD)
        assert stay["phase_name"] == "Henvendelse i akutfunktion/modtagelse"

        # The pathway knows its stay: a second admission is refused until discharge.
        again = await c.post(
            f"/pathways/{pathway_id}/admissions", json={"via": "planned", "ward": WARD, "admitted_on": str(TODAY)}
        )
        assert again.status_code == 409 and "admitted already" in again.json()["message"]


async def test_an_inpatient_acceptance_needs_its_admission_and_only_it_takes_one(http):
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        ref = (await c.post("/referrals", json=referral())).json()
        url = f"/referrals/{ref['referral_id']}/decision"
        r = await v.post(url, json={"accept": True, "setting": "inpatient"})
        assert r.status_code == 409 and "needs the admission" in r.json()["message"]
        admission = {"ward": WARD}
        r = await v.post(url, json={"accept": True, "setting": "ambulatory", "admission": admission})
        assert r.status_code == 409 and "inpatient course only" in r.json()["message"]
        r = await v.post(url, json={"accept": True, "setting": "inpatient", "admission": {"ward": ""}})
        assert r.status_code == 422
        # Nothing was decided: the referral still awaits visitation, and accepting ambulatory still works.
        assert (await c.get(f"/referrals/{ref['referral_id']}")).json()["status"] == "awaiting_visitation"
        r = await v.post(url, json={"accept": True})
        assert r.status_code == 200, r.text
        assert (await c.get(f"/pathways/{r.json()['pathway_id']}/admissions")).json() == []


# -- 2. the acute admission ----------------------------------------------------------------------------


async def test_an_acute_admission_starts_the_integrated_course_for_a_patient_without_one(http):
    before = await _process(http)
    patient = cpr()
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/acute-admissions", json=_acute(patient))
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["outcome"] == "started" and out["group"] == 2
        p = (await c.get(f"/pathways/{out['pathway_id']}")).json()
        assert (p["status"], p["phase"], p["level_of_care"], p["group"]) == ("active", 1, "inpatient", 2)
        # Its origin is the admission, not a referral: no §82c clock, and no referral by that id.
        assert p["start_deadline"] is None
        assert (await c.get(f"/referrals/{p['referral_id']}")).status_code == 404
        [stay] = (await c.get(f"/pathways/{out['pathway_id']}/admissions")).json()
        assert (stay["stay_id"], stay["via"], stay["phase"]) == (out["stay_id"], "acute_function", 1)
        # Tasks of both the pathway's phase 1 and the stay's phase 1 are open.
        kinds = {t["kind"] for t in p["tasks"]}
        assert "consent_dialogue" in kinds

        # The patient has a pathway now: a referral for them joins it instead of waiting for visitation.
        joined = await c.post("/referrals", json=referral(cpr=patient))
        assert joined.json()["status"] == "attached" and joined.json()["pathway_id"] == out["pathway_id"]
        # Admitted already: a second acute admission is attached to the pathway, and refused as admitted.
        again = await c.post("/acute-admissions", json=_acute(patient))
        assert again.status_code == 409 and "admitted already" in again.json()["message"]
    after = await _process(http)
    assert after["other_starts"] == before["other_starts"] + 1


async def test_an_acute_admission_is_attached_to_the_patients_active_pathway(http):
    patient = cpr()
    pathway_id = await accepted_pathway(http, cpr=patient)
    async with http.as_("clinician", REGION) as c:
        # Facts and criteria are not needed to attach.
        r = await c.post("/acute-admissions", json=_acute(patient, facts=None, criteria=None))
        assert r.status_code == 201, r.text
        assert (r.json()["outcome"], r.json()["pathway_id"]) == ("attached", pathway_id)
        [stay] = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
        assert (stay["stay_id"], stay["via"], stay["ward"]) == (r.json()["stay_id"], "acute_function", WARD)
        assert (await c.get(f"/pathways/{pathway_id}")).json()["level_of_care"] == "inpatient"


async def test_an_acute_admission_with_a_key_is_made_once(http):
    patient = cpr()
    async with http.as_("clinician", REGION) as c:
        headers = {"Idempotency-Key": f"acute-{patient}"}
        first = await c.post("/acute-admissions", json=_acute(patient), headers=headers)
        second = await c.post("/acute-admissions", json=_acute(patient), headers=headers)
        assert first.status_code == second.status_code == 201, second.text
        assert second.json() == first.json() and first.json()["outcome"] == "started"
        assert len((await c.get(f"/pathways/{first.json()['pathway_id']}/admissions")).json()) == 1


async def test_a_group_not_yet_open_or_an_ineligible_patient_starts_no_course(http):
    group3 = {"psychiatric_contact": "none", "municipal_substance_treatment": True}
    patient = cpr()
    # Køge is served by region 1085, where group 3 opens on 2027-06-01 (tests/conftest.py).
    async with http.as_("clinician", "region:1085") as c:
        r = await c.post("/acute-admissions", json=_acute(patient, municipality="259", facts=group3))
        assert r.status_code == 409
        assert "opens in region 1085 on 2027-06-01" in r.json()["message"] and "POST /referrals" in r.json()["message"]
        # Nothing started: a referral for the patient is held until the group opens, not attached.
        held = await c.post("/referrals", json=referral(cpr=patient, municipality="259", facts=group3))
        assert held.json()["status"] == "held_until_phase_in"
    async with http.as_("clinician", REGION) as c:
        unmet = {**CRITERIA, "parallel_treatment_insufficient": False}
        r = await c.post("/acute-admissions", json=_acute(cpr(), criteria=unmet))
        assert r.status_code == 409 and "not eligible" in r.json()["message"]
        r = await c.post("/acute-admissions", json=_acute(cpr(), facts=None))
        assert r.status_code == 422 and "needs facts" in r.json()["message"]


async def test_only_a_clinician_of_the_serving_region_admits_acutely(http):
    async with http.as_("clinician", "region:1084") as c:
        r = await c.post("/acute-admissions", json=_acute(cpr()))
    assert r.status_code == 403 and "served by region 1082" in r.json()["message"]
    async with http.as_("visitation", REGION) as v:
        assert (await v.post("/acute-admissions", json=_acute(cpr()))).status_code == 403
    async with http.as_("clinician", REGION) as c:
        future = str(TODAY + timedelta(days=1))
        assert (await c.post("/acute-admissions", json=_acute(cpr(), admitted_on=future))).status_code == 422
        assert (await c.post("/acute-admissions", json=_acute("3213990000"))).status_code == 422


# -- 3. acute contacts ----------------------------------------------------------------------------------


async def test_acute_contacts_are_recorded_on_the_pathway_and_counted_in_the_report(http):
    before = await _process(http)
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/acute-contacts"
    async with http.as_("clinician", REGION) as c:
        r = await c.post(url, json={"contact_on": str(TODAY - timedelta(days=3)), "outcome": "sent_home"})
        assert r.status_code == 201, r.text
        r = await c.post(url, json={"contact_on": str(TODAY), "outcome": "referred", "note": "til det ambulante team"})
        assert r.status_code == 201, r.text
        p = r.json()
        assert [(a["contact_on"], a["outcome"], a["note"]) for a in p["acute_contacts"]] == [
            (str(TODAY), "referred", "til det ambulante team"),
            (str(TODAY - timedelta(days=3)), "sent_home", None),
        ]
        recorded = _history(p, "AcuteContactRecorded")
        assert len(recorded) == 2 and recorded[0]["by"]["role"] == "clinician"
        # The pathway's phase and level are untouched: a contact without admission.
        assert (p["phase"], p["level_of_care"]) == (1, "integrated_unstable")

        r = await c.post(url, json={"contact_on": str(TODAY), "outcome": "referred"})
        assert r.status_code == 409 and "to whom" in r.json()["message"]
        assert set(acute.OUTCOMES) <= set(r.json()["allowed"])
        r = await c.post(url, json={"contact_on": str(TODAY + timedelta(days=1)), "outcome": "sent_home"})
        assert r.status_code == 422
        r = await c.post(url, json={"contact_on": str(TODAY), "outcome": "vanished"})
        assert r.status_code == 422
    async with http.as_("visitation", REGION) as v:
        assert (await v.post(url, json={"contact_on": str(TODAY), "outcome": "sent_home"})).status_code == 403
    async with http.as_("clinician", "region:1084") as other:
        assert (await other.post(url, json={"contact_on": str(TODAY), "outcome": "sent_home"})).status_code == 404

    after = await _process(http)
    assert after["acute_contacts"] == before["acute_contacts"] + 2
    by = after["acute_contacts_by_outcome"]
    assert by["sent_home"] == before["acute_contacts_by_outcome"]["sent_home"] + 1
    assert by["referred"] == before["acute_contacts_by_outcome"]["referred"] + 1
    async with http.as_("ops", "ops:national") as o:
        rep = (await o.get("/reports/monitoring", params={"region": "1082"})).json()
    text = render_text(MonitoringReport.model_validate(rep))
    assert "Contacts at the acute function recorded on pathways, per outcome" in text


async def test_an_ended_pathway_records_no_acute_contact(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away", "reason": "flyttet"})
        assert r.status_code == 200, r.text
        r = await c.post(
            f"/pathways/{pathway_id}/acute-contacts", json={"contact_on": str(TODAY), "outcome": "admitted"}
        )
        assert r.status_code == 409 and "ended" in r.json()["message"]


async def test_the_municipality_with_consent_sees_the_contact_but_not_psychiatrys_note(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        consent = {"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"}
        assert (await c.post(f"/pathways/{pathway_id}/consents", json=consent)).status_code == 200
        body = {"contact_on": str(TODAY), "outcome": "referred", "note": "CLIN-akut til psykiatrisk skadestue"}
        assert (await c.post(f"/pathways/{pathway_id}/acute-contacts", json=body)).status_code == 201
    async with http.as_("municipality", "municipality:751") as m:
        r = await m.get(f"/pathways/{pathway_id}")
    assert r.status_code == 200, r.text
    [contact] = r.json()["acute_contacts"]
    assert (contact["contact_on"], contact["outcome"], contact["note"]) == (str(TODAY), "referred", None)
    assert "CLIN-" not in r.text


async def test_the_pathways_that_start_with_their_stay_replay_on_the_current_code(http, client):
    """The new path (admit at start, acute contacts) is deterministic: its histories replay as they ran."""
    patient = cpr()
    async with http.as_("clinician", REGION) as c:
        out = (await c.post("/acute-admissions", json=_acute(patient))).json()
        body = {"contact_on": str(TODAY), "outcome": "admitted"}
        assert (await c.post(f"/pathways/{out['pathway_id']}/acute-contacts", json=body)).status_code == 201
    replayer = Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter())
    pathway = await client.get_workflow_handle(workflow_ids.pathway(out["pathway_id"], "1082")).fetch_history()
    # The pathway started its stay itself, as a child, in its opening.
    assert any(e.HasField("start_child_workflow_execution_initiated_event_attributes") for e in pathway.events)
    await replayer.replay_workflow(pathway)
    stay = await client.get_workflow_handle(workflow_ids.stay(out["pathway_id"], 1, "1082")).fetch_history()
    await replayer.replay_workflow(stay)


async def test_acute_contacts_are_group_2_evidence_on_a_campaign_list(http):
    """Seed 004: repeated contacts at the acute function within the last year point to group 2. A patient whose
    earlier pathway recorded them shows the count on a campaign's list, to region staff only."""
    patient, other = cpr(), cpr()
    region, municipality = "region:1084", "101"  # København, region Hovedstaden
    pathway_id = await accepted_pathway(http, region, cpr=patient, municipality=municipality)
    async with http.as_("clinician", region) as c:
        for days, outcome in ((400, "sent_home"), (100, "sent_home"), (10, "admitted")):
            body = {"contact_on": str(TODAY - timedelta(days=days)), "outcome": outcome}
            assert (await c.post(f"/pathways/{pathway_id}/acute-contacts", json=body)).status_code == 201
        r = await c.post(f"/pathways/{pathway_id}/end", json={"reason_kind": "patient_declined", "reason": "afslog"})
        assert r.status_code == 200, r.text
        meeting_on = str(TODAY + timedelta(days=20))
        r = await c.post(
            "/campaigns",
            json={"centre": "PC København", "municipality": municipality, "collaboration_meeting_on": meeting_on},
        )
        assert r.status_code == 201, r.text
        cid = r.json()["campaign_id"]
        listed = (
            f"cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit\n{patient};within_last_year;ja;\n"
        )
        listed += f"{other};current;ja;\n"
        r = await c.put(f"/campaigns/{cid}/lists/clinic", content=listed.encode(), headers={"Content-Type": "text/csv"})
        assert r.status_code in (200, 201), r.text
        people = (await c.get(f"/campaigns/{cid}")).json()["people"]
    # Two within the last year (the one 400 days ago is older); none for a patient without contacts.
    assert sorted(p["acute_contacts_last_year"] for p in people) == [0, 2]
    # The municipality sees the people on its own list, but not psychiatry's count.
    async with http.as_("municipality", f"municipality:{municipality}") as m:
        own = f"cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit\n{patient};within_last_year;ja;\n"
        r = await m.put(
            f"/campaigns/{cid}/lists/municipality", content=own.encode(), headers={"Content-Type": "text/csv"}
        )
        assert r.status_code in (200, 201), r.text
        seen = (await m.get(f"/campaigns/{cid}")).json()["people"]
    assert len(seen) == 1 and seen[0]["acute_contacts_last_year"] is None


async def test_a_pathway_of_another_region_is_neither_attached_to_nor_revealed(http):
    patient = cpr()
    await accepted_pathway(http, "region:1084", cpr=patient, municipality="101")
    async with http.as_("clinician", REGION) as c:
        r = await c.post("/acute-admissions", json=_acute(patient))
    # The least a caller who may not see that pathway must be told: not which, nor where.
    assert (r.status_code, r.json()["message"]) == (409, CANNOT_ADMIT)
