"""Scored screening instruments on the pathway (issue #15 item 6), over real HTTP on the real servers.

- `POST /pathways/{id}/screenings`: AUDIT and DUDIT answers scored by the pathway's workflow at every zone
  boundary of the published rules (WHO AUDIT zones; DUDIT cut-offs by sex, and 25 for probable dependence),
  recorded as `ScreeningRecorded`, listed by `GET /pathways/{id}/screenings` and shown on the pathway page.
- Bad answers: 422 naming the item and the allowed values, and nothing recorded (also when the command goes
  straight to Temporal, past the API).
- The answers and the result are clinical: a municipality with consent, and ops, see that a screening took
  place, never its answers, total or zone.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer

from dualpath import temporal_client
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor, ScreeningAnswer
from dualpath.domain.screening import AUDIT, DUDIT
from dualpath.worker import WORKFLOWS
from dualpath.workflows import pathway as wf
from dualpath.workflows.pathway_messages import ScreeningCommand
from tests.domain.test_screening import answers_totalling

from .helpers import accepted_pathway

REGION = "region:1082"
TODAY = copenhagen.today()


def _body(instrument: str, total: int, sex: str | None = None) -> dict:
    inst = AUDIT if instrument == "AUDIT" else DUDIT
    answers = [{"item": i, "answer": a} for i, a in answers_totalling(inst, total)]
    body: dict = {"instrument": instrument, "answers": answers, "screened_on": str(TODAY)}
    if sex:
        body["cutoff_sex"] = sex
    return body


AUDIT_BOUNDARIES = [(0, "I"), (7, "I"), (8, "II"), (15, "II"), (16, "III"), (19, "III"), (20, "IV"), (40, "IV")]
DUDIT_BOUNDARIES = [
    ("female", 0, "no_problem"),
    ("female", 1, "no_problem"),
    ("female", 2, "drug_related_problems"),
    ("male", 5, "no_problem"),
    ("male", 6, "drug_related_problems"),
    ("male", 24, "drug_related_problems"),
    ("male", 25, "probable_dependence"),
    ("female", 24, "drug_related_problems"),
    ("female", 25, "probable_dependence"),
    ("male", 44, "probable_dependence"),
]


async def test_screenings_are_scored_at_every_boundary_recorded_and_listed(http):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/screenings"
    async with http.as_("clinician", REGION) as c:
        assert (await c.get(url)).json() == []
        for total, zone in AUDIT_BOUNDARIES:
            r = await c.post(url, json=_body("AUDIT", total))
            assert r.status_code == 201, r.text
            latest = max(r.json(), key=lambda s: s["recorded_at"])
            assert (latest["instrument"], latest["total"], latest["zone"]) == ("AUDIT", total, zone)
            assert latest["version"] == "WHO-2001" and "Babor" in latest["rule"] and latest["cutoff_sex"] is None
        for sex, total, zone in DUDIT_BOUNDARIES:
            r = await c.post(url, json=_body("DUDIT", total, sex))
            assert r.status_code == 201, r.text
            latest = max(r.json(), key=lambda s: s["recorded_at"])
            assert (latest["instrument"], latest["total"], latest["zone"], latest["cutoff_sex"]) == (
                "DUDIT",
                total,
                zone,
                sex,
            )
            assert f"for {'men' if sex == 'male' else 'women'}" in latest["rule"]

        listed = (await c.get(url)).json()
        assert len(listed) == len(AUDIT_BOUNDARIES) + len(DUDIT_BOUNDARIES)
        forty = next(s for s in listed if s["instrument"] == "AUDIT" and s["total"] == 40)
        assert forty["answers"] == [{"item": i, "answer": a} for i, a in answers_totalling(AUDIT, 40)]
        # The pathway's history holds the events, with who recorded them.
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        recorded = [h for h in p["history"] if h["type"] == "ScreeningRecorded"]
        assert len(recorded) == len(listed) and recorded[0]["by"]["role"] == "clinician"
        assert {h["data"]["zone"] for h in recorded} >= {"I", "II", "III", "IV", "probable_dependence"}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda b: b["answers"].pop(), "AUDIT item 10 not answered"),
        (lambda b: b["answers"].append({"item": 2, "answer": 0}), "AUDIT item 2 is answered more than once"),
        (lambda b: b["answers"][8].update(answer=3), "AUDIT item 9: 3 is not an allowed answer; allowed: 0, 2, 4"),
        (lambda b: b["answers"][0].update(answer=5), "allowed: 0, 1, 2, 3, 4"),
        (lambda b: b["answers"].append({"item": 11, "answer": 0}), "AUDIT has no item 11"),
        (lambda b: b.update(cutoff_sex="female"), "leave cutoff_sex out for AUDIT"),
        (lambda b: b.update(_body("DUDIT", 3)), "cutoff_sex is required, allowed: male, female"),
        (lambda b: b.update(instrument="CAGE"), "instrument"),
        (lambda b: b.update(cutoff_sex="other"), "cutoff_sex"),
    ],
)
async def test_bad_answers_are_refused_with_what_is_allowed_and_nothing_is_recorded(http, change, said):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/screenings"
    body = _body("AUDIT", 12)
    change(body)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(url, json=body)
        assert r.status_code == 422, r.text
        assert said in r.json()["message"]
        assert (await c.get(url)).json() == []
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        assert not [h for h in p["history"] if h["type"] == "ScreeningRecorded"]


async def test_the_workflow_judges_a_command_sent_past_the_api(http, client):
    """A command straight to Temporal is judged by the workflow's validator: refused as invalid, nothing written."""
    pathway_id = await accepted_pathway(http)
    handle = client.get_workflow_handle(wf.workflow_id(pathway_id, "1082"))
    answers = [ScreeningAnswer(item=i, answer=a) for i, a in answers_totalling(DUDIT, 3)]
    bad = ScreeningCommand(
        instrument="DUDIT",
        screened_on=TODAY,
        answers=answers[:-1],
        cutoff_sex="male",
        actor=Actor(subject="t", role="clinician", organisation=REGION),
    )
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(wf.PathwayWorkflow.record_screening, bad)
    assert failed.value.cause.type == "InvalidData" and "DUDIT item 11 not answered" in str(failed.value.cause)
    async with http.as_("clinician", REGION) as c:
        assert (await c.get(f"/pathways/{pathway_id}/screenings")).json() == []
        # The workflow goes on taking commands, and its history replays on the current code.
        r = await c.post(f"/pathways/{pathway_id}/screenings", json=_body("DUDIT", 3, "male"))
        assert r.status_code == 201, r.text
    replayer = Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter())
    await replayer.replay_workflow(await handle.fetch_history())


async def test_only_clinicians_of_the_region_record_and_the_result_stays_with_psychiatry(http):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/screenings"
    async with http.as_("clinician", REGION) as c:
        consent = {"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"}
        assert (await c.post(f"/pathways/{pathway_id}/consents", json=consent)).status_code == 200
        assert (await c.post(url, json=_body("AUDIT", 17))).status_code == 201
    async with http.as_("visitation", REGION) as v:
        assert (await v.post(url, json=_body("AUDIT", 3))).status_code == 403
    async with http.as_("clinician", "region:1084") as other:
        assert (await other.post(url, json=_body("AUDIT", 3))).status_code == 404
        assert (await other.get(url)).status_code == 404
    async with http.as_("municipality", "municipality:751") as m:
        assert (await m.post(url, json=_body("AUDIT", 3))).status_code == 403
        r = await m.get(url)
        assert r.status_code == 200, r.text
        [seen] = r.json()
        assert (seen["instrument"], seen["screened_on"]) == ("AUDIT", str(TODAY))
        assert all(seen[k] is None for k in ("answers", "total", "zone", "rule", "cutoff_sex"))
        p = (await m.get(f"/pathways/{pathway_id}")).json()
        assert not any(h["data"] for h in p["history"] if h["type"] == "ScreeningRecorded")
    async with http.as_("ops", "ops:national") as o:
        r = await o.get(url)
        if r.status_code == 200:
            assert all(s["answers"] is None and s["total"] is None and s["zone"] is None for s in r.json())
        else:
            assert r.status_code == 404


async def test_the_instruments_are_listed_with_their_items_and_sources(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.get("/screening-instruments")
    assert r.status_code == 200, r.text
    audit, dudit = r.json()
    assert (audit["name"], len(audit["items"]), audit["max_total"]) == ("AUDIT", 10, 40)
    assert (dudit["name"], len(dudit["items"]), dudit["max_total"]) == ("DUDIT", 11, 44)
    assert [o["points"] for o in audit["items"][9]["options"]] == [0, 2, 4]
    assert "Babor" in audit["source"] and "Berman" in dudit["source"]
