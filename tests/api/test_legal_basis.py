"""Sharing without consent rests on a recorded legal basis (spec §7, issue 18 item 10).

Municipal staff read a pathway's shared record on the patient's consent to dialogue with their
municipality; without it only on a basis named from a closed list (the Psychiatry Act §13c for a
udskrivningsaftale, §13a, or a koordinationsplan, §13b), for their own municipality's pathway on which
the patient is or has been admitted. Each look is written to the access log with the basis it rested
on; the pathway's disclosures, its page and the monitoring report tell consent and basis apart.
"""

from __future__ import annotations

import re
import uuid

from dualpath.readmodels.report import MonitoringReport, render_text
from dualpath.readmodels.report.chart import _disclosures_line
from tests.web.helpers import signed_in, text

from .helpers import accepted_pathway

REGION = "region:1082"
AARHUS = "municipality:751"  # the pathway's municipality in accepted_pathway
ODENSE = "municipality:461"
BASES = ["psychiatry_act_13a", "psychiatry_act_13b"]


async def _admitted_pathway(http) -> str:
    """An accepted pathway of an Aarhus resident who has been admitted (a udskrivningsaftale is made for them)."""
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "planned", "ward": "Afsnit P1"})
        assert r.status_code == 201, r.text
    return pathway_id


async def _consent(http, pathway_id: str, state: str = "given") -> None:
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": state, "form": "written"},
        )
        assert r.status_code == 200, r.text


async def _logged(pool, subject: str) -> list[tuple[str, str | None, str]]:
    rows = await pool.fetch(
        "SELECT action, legal_basis, outcome FROM access_log WHERE subject = $1 ORDER BY id", subject
    )
    return [(r["action"], r["legal_basis"], r["outcome"]) for r in rows]


async def test_without_consent_the_municipality_reads_only_on_a_named_basis_and_the_log_says_which(http, pool):
    pathway_id = await _admitted_pathway(http)
    subject = f"caseworker-{uuid.uuid4()}"
    async with http.as_("municipality", AARHUS, subject=subject) as m:
        # No consent, no basis: refused, as if it did not exist — and told which bases there are.
        r = await m.get(f"/pathways/{pathway_id}")
        missing = await m.get(f"/pathways/{uuid.uuid4()}")
        assert r.status_code == 404, r.text
        assert r.json() == missing.json(), "a refusal must not tell an existing pathway from a missing one"
        assert [a.partition(":")[0] for a in r.json()["allowed"]] == BASES
        assert "legal_basis" in r.json()["message"]

        # On a named basis: the shared record, as with consent — not psychiatry's own.
        r = await m.get(f"/pathways/{pathway_id}", params={"legal_basis": "psychiatry_act_13a"})
        assert r.status_code == 200, r.text
        seen = r.json()
        assert seen["access_basis"].startswith("psychiatry_act_13a: psykiatriloven § 13c, jf. § 13a")
        assert all(h["data"] == {} and h["by"] is None for h in seen["history"])
        r = await m.get(f"/pathways/{pathway_id}/joint-plans", params={"legal_basis": "psychiatry_act_13b"})
        assert r.status_code == 200, r.text

    logged = await _logged(pool, subject)
    assert logged[0] == ("GET /pathways/{pathway_id}", None, "denied")
    assert logged[2][0] == "GET /pathways/{pathway_id}" and logged[2][2] == "allowed"
    assert logged[2][1].startswith("psychiatry_act_13a: psykiatriloven § 13c, jf. § 13a")
    assert logged[3][1].startswith("psychiatry_act_13b: psykiatriloven § 13c, jf. § 13b")
    async with http.as_("ops", "ops:national") as o:
        rows = (await o.get("/access-log", params={"subject": subject})).json()
    assert {r["legal_basis"].partition(":")[0] for r in rows if r["outcome"] == "allowed"} == set(BASES)


async def test_an_unknown_or_empty_basis_is_refused_with_the_list_of_bases(http, pool):
    pathway_id = await _admitted_pathway(http)
    subject = f"caseworker-{uuid.uuid4()}"
    async with http.as_("municipality", AARHUS, subject=subject) as m:
        for value in ("health_act_43", "", "PSYCHIATRY_ACT_13A"):
            r = await m.get(f"/pathways/{pathway_id}", params={"legal_basis": value})
            assert r.status_code == 422, (value, r.text)
            assert r.json()["error"] == "invalid_input"
            assert [a.partition(":")[0] for a in r.json()["allowed"]] == BASES
            assert "psychiatry_act_13a" in r.json()["message"]
    # Refused before anything was looked at: nothing shared, nothing logged as allowed.
    assert all(outcome != "allowed" for _, _, outcome in await _logged(pool, subject))


async def test_a_basis_opens_only_the_readers_own_municipalitys_pathway_of_an_admitted_patient(http):
    admitted = await _admitted_pathway(http)
    never_admitted = await accepted_pathway(http)
    basis = {"legal_basis": "psychiatry_act_13a"}
    async with http.as_("municipality", ODENSE) as other, http.as_("municipality", AARHUS) as m:
        assert (await other.get(f"/pathways/{admitted}", params=basis)).status_code == 404
        assert (await m.get(f"/pathways/{never_admitted}", params=basis)).status_code == 404
        assert (await m.get(f"/pathways/{admitted}", params=basis)).status_code == 200
        # A basis is for one pathway named: the lists stay what consent shares.
        listed = (await m.get("/pathways", params={"limit": 500, **basis})).json()
        assert admitted not in {p["pathway_id"] for p in listed}


async def test_with_consent_no_basis_is_needed_and_the_log_says_consent(http, pool):
    pathway_id = await accepted_pathway(http)  # never admitted: no basis could apply
    await _consent(http, pathway_id)
    subject = f"caseworker-{uuid.uuid4()}"
    async with http.as_("municipality", AARHUS, subject=subject) as m:
        r = await m.get(f"/pathways/{pathway_id}")
        assert r.status_code == 200, r.text
        assert r.json()["access_basis"].startswith("consent:")
        # A basis named where consent is given is not needed: the look rests on the consent.
        r = await m.get(f"/pathways/{pathway_id}", params={"legal_basis": "psychiatry_act_13a"})
        assert r.status_code == 200 and r.json()["access_basis"].startswith("consent:")
    assert [basis.partition(":")[0] for _, basis, _ in await _logged(pool, subject)] == ["consent", "consent"]

    # Withdrawn: from then only a basis — and this patient was never admitted, so none applies.
    await _consent(http, pathway_id, "withdrawn")
    async with http.as_("municipality", AARHUS) as m:
        assert (await m.get(f"/pathways/{pathway_id}")).status_code == 404
        assert (await m.get(f"/pathways/{pathway_id}", params={"legal_basis": "psychiatry_act_13a"})).status_code == 404


async def test_a_basis_is_named_only_by_municipal_staff_and_only_to_read(http):
    pathway_id = await _admitted_pathway(http)
    basis = {"legal_basis": "psychiatry_act_13a"}
    async with http.as_("clinician", REGION) as c, http.as_("municipality", AARHUS) as m:
        r = await c.get(f"/pathways/{pathway_id}", params=basis)
        assert r.status_code == 422 and "municipal staff" in r.json()["message"], r.text
        # Reading on a basis gives no right to act, and a write naming one is refused, not carried out.
        r = await m.post(f"/pathways/{pathway_id}/ambulatory/phase", params=basis, json={"to": 2})
        assert r.status_code == 422 and "read" in r.json()["message"], r.text
        r = await m.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert r.status_code == 403, r.text


async def test_a_consent_with_a_legal_basis_or_an_unknown_field_is_refused_not_dropped(http):
    pathway_id = await accepted_pathway(http)
    consent = {"scope": "dialogue", "counterpart": "751", "state": "refused", "form": "oral"}
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/consents", json={**consent, "legal_basis": "psychiatry_act_13a"})
        assert r.status_code == 422, r.text
        assert "takes no legal basis" in r.json()["message"] and "psychiatry_act_13a" in r.json()["message"]
        r = await c.post(f"/pathways/{pathway_id}/consents", json={**consent, "shared_anyway": True})
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "shared_anyway"
        # Neither was recorded.
        assert (await c.get(f"/pathways/{pathway_id}")).json()["consents"] == []
        r = await c.post(f"/pathways/{pathway_id}/consents", json=consent)
        assert r.status_code == 200, r.text


async def test_the_pathways_disclosures_and_its_page_show_consent_and_basis_apart(http, api):
    pathway_id = await _admitted_pathway(http)
    async with http.as_("municipality", AARHUS, subject="caseworker-basis") as m:
        assert (await m.get(f"/pathways/{pathway_id}", params={"legal_basis": "psychiatry_act_13a"})).is_success
    await _consent(http, pathway_id)
    async with http.as_("municipality", AARHUS, subject="caseworker-consent") as m:
        assert (await m.get(f"/pathways/{pathway_id}")).is_success
        own = await m.get(f"/pathways/{pathway_id}/disclosures")
    async with http.as_("clinician", REGION) as c:
        r = await c.get(f"/pathways/{pathway_id}/disclosures")
    assert r.status_code == 200, r.text
    rows = r.json()
    by_basis = {row["basis"]: row for row in rows}
    assert set(by_basis) == {"consent", "psychiatry_act_13a"}
    assert by_basis["psychiatry_act_13a"]["looks"] == 1 and by_basis["psychiatry_act_13a"]["organisation"] == AARHUS
    assert by_basis["consent"]["looks"] >= 1
    assert own.status_code == 200 and {row["basis"] for row in own.json()} == {"consent", "psychiatry_act_13a"}
    async with http.as_("municipality", ODENSE) as other:
        assert (await other.get(f"/pathways/{pathway_id}/disclosures")).status_code == 404

    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(f"/forloeb/{pathway_id}")
    assert page.status_code == 200
    assert 'data-disclosure="psychiatry_act_13a"' in page.text and 'data-disclosure="consent"' in page.text
    assert "psykiatriloven § 13c, jf. § 13a (udskrivningsaftale)" in text(page)
    assert 'data-testid="access-basis"' not in page.text  # region staff read on their own basis


async def test_the_page_read_on_a_basis_says_so(http, api):
    pathway_id = await _admitted_pathway(http)
    async with signed_in(api, "municipality", AARHUS) as m:
        assert (await m.get(f"/forloeb/{pathway_id}")).status_code == 404
        page = await m.get(f"/forloeb/{pathway_id}", params={"legal_basis": "psychiatry_act_13b"})
        assert page.status_code == 200, page.text
        shown = text(page)
        assert "Du læser forløbet på grundlag af psykiatriloven § 13c, jf. § 13b (koordinationsplan)" in shown
        assert "uden patientens samtykke" in shown
        refused = await m.get(f"/forloeb/{pathway_id}", params={"legal_basis": "because"})
        assert refused.status_code == 422 and "psychiatry_act_13a" in text(refused)


async def _disclosures(http) -> dict[str, tuple[int, int]]:
    async with http.as_("ops", "ops:national") as o:
        r = await o.get("/reports/monitoring", params={"region": "1082"})
    assert r.status_code == 200, r.text
    process = next(p for p in r.json()["process"] if p["region"] == "1082")
    return {d["basis"]: (d["looks"], d["pathways"]) for d in process["disclosures"]}


async def test_the_report_counts_consent_and_basis_disclosures_apart(http):
    before = await _disclosures(http)
    assert set(before) == {"consent", *BASES}
    on_basis, on_consent = await _admitted_pathway(http), await accepted_pathway(http)
    await _consent(http, on_consent)
    async with http.as_("municipality", AARHUS) as m:
        for _ in range(2):
            assert (await m.get(f"/pathways/{on_basis}", params={"legal_basis": "psychiatry_act_13b"})).is_success
        assert (await m.get(f"/pathways/{on_consent}")).is_success
    after = await _disclosures(http)
    assert after["psychiatry_act_13b"] == (before["psychiatry_act_13b"][0] + 2, before["psychiatry_act_13b"][1] + 1)
    assert after["consent"] == (before["consent"][0] + 1, before["consent"][1] + 1)
    assert after["psychiatry_act_13a"] == before["psychiatry_act_13a"]

    async with http.as_("ops", "ops:national") as o:
        report = MonitoringReport.model_validate((await o.get("/reports/monitoring")).json())
    section = render_text(report).split("Disclosures to municipalities")[1].split("\n\n")[0]
    assert re.search(r"All regions\s+consent\s+consent\s+\d+\s+\d+", section), section
    assert re.search(r"All regions\s+psychiatry_act_13b\s+without consent\s+\d+\s+\d+", section), section
    assert "psychiatry_act_13b" in _disclosures_line(report) and "(without consent)" in _disclosures_line(report)
