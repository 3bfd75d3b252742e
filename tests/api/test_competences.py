"""Competences of the staff register's members and the coverage report (issue #15 item 3), over real HTTP on the
real servers.

- Certifications (KAT, DAT, MI): the date certified, renewal due (the certificate's own or the method's default
  period), held or expired, a renewal replacing the one before; dates in the future and renewals dated before the
  current certification refused.
- Supervision sessions (method: its method; case: the pathway id only) counted per person per quarter; courses
  of the other competence areas and the leaders' programme.
- The coverage report on a small known team of region 1081: shares exact, renewals due within 90 days,
  supervision per quarter, and the active pathways whose contact person lacks a method the phase names.
- Role rules: another organisation 404 (and 403 for its report); ops records nothing and reads no names.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx

from dualpath.api.auth import Role, issue_dev_token
from dualpath.domain import competences as rules
from dualpath.domain import copenhagen
from dualpath.web.session import COOKIE
from tests.web.helpers import text

from .helpers import accepted_pathway, close_open_tasks

REGION = "region:1082"
NORTH, NORTH_CODE, AALBORG = "region:1081", "1081", "851"
TEAM = "outreach_team"


def _subject() -> str:
    return f"{uuid.uuid4().hex[:8]}@rn.dk"


async def _register(c, name: str, team: str = TEAM, role: str = "nurse") -> str:
    subject = _subject()
    r = await c.post("/staff", json={"subject": subject, "display_name": name, "team": team, "role": role})
    assert r.status_code == 201, r.text
    return subject


async def _certify(c, subject: str, method: str, on: date, renewal_due: date | None = None) -> dict:
    body = {"method": method, "certified_on": str(on)}
    if renewal_due is not None:
        body["renewal_due"] = str(renewal_due)
    r = await c.post(f"/staff/{subject}/certifications", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _supervise(c, subject: str, on: date, method: str = "MI") -> None:
    r = await c.post(f"/staff/{subject}/supervisions", json={"kind": "method", "method": method, "held_on": str(on)})
    assert r.status_code == 201, r.text


def _previous_quarter_day(today: date) -> date:
    return date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)


async def test_certification_renewal_due_and_renewal(http):
    today = copenhagen.today()
    async with http.as_("clinician", REGION) as c:
        subject = await _register(c, "Cecilie Certificeret")
        mi_on = today - timedelta(days=700)
        got = await _certify(c, subject, "MI", mi_on)
        [mi] = got["certifications"]
        # The default period (MI: 2 years) from the day certified: due within the 90 days' horizon.
        assert mi["renewal_due"] == str(rules.default_renewal("MI", mi_on)) == str(mi_on.replace(year=mi_on.year + 2))
        assert mi["held"] is True and mi["renewal_due_soon"] is True
        # The certificate's own renewal date; and an old DAT certification whose renewal has passed.
        await _certify(c, subject, "KAT", today - timedelta(days=10), renewal_due=today + timedelta(days=400))
        got = await _certify(c, subject, "DAT", today - timedelta(days=4 * 366))
        by_method = {x["method"]: x for x in got["certifications"]}
        assert [x["method"] for x in got["certifications"]] == ["KAT", "DAT", "MI"]
        assert by_method["KAT"] == {
            "method": "KAT",
            "certified_on": str(today - timedelta(days=10)),
            "renewal_due": str(today + timedelta(days=400)),
            "held": True,
            "renewal_due_soon": False,
        }
        assert by_method["DAT"]["held"] is False
        # The renewal: certified again today; it replaces the one before, the history keeps both.
        got = await _certify(c, subject, "MI", today)
        mi = next(x for x in got["certifications"] if x["method"] == "MI")
        assert (mi["certified_on"], mi["held"], mi["renewal_due_soon"]) == (str(today), True, False)
        assert [x["certified_on"] for x in got["certification_history"] if x["method"] == "MI"] == [
            str(today),
            str(mi_on),
        ]
        # Refused, saying why: a renewal dated before the current one, a future date, renewal before certified.
        r = await c.post(f"/staff/{subject}/certifications", json={"method": "MI", "certified_on": str(mi_on)})
        assert r.status_code == 409 and "renewal must be certified after" in r.json()["message"], r.text
        for future in (today + timedelta(days=1), date(2100, 6, 1)):  # the latter's default renewal: past 2100
            r = await c.post(f"/staff/{subject}/certifications", json={"method": "KAT", "certified_on": str(future)})
            assert r.status_code == 422 and "in the future" in r.text, r.text
        r = await c.post(
            f"/staff/{subject}/certifications",
            json={"method": "KAT", "certified_on": str(today), "renewal_due": str(today)},
        )
        assert r.status_code == 409 and "must be after" in r.json()["message"], r.text
        r = await c.post(f"/staff/{subject}/certifications", json={"method": "CBT", "certified_on": str(today)})
        assert r.status_code == 422, r.text
        read = (await c.get(f"/staff/{subject}/competences")).json()
        assert len(read["certification_history"]) == 4 and read["subject"] == subject


async def test_supervision_per_quarter_and_courses(http):
    today = copenhagen.today()
    previous = _previous_quarter_day(today)
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        subject = await _register(c, "Svend Supervision")
        await _supervise(c, subject, today)
        await _supervise(c, subject, previous, method="KAT")
        r = await c.post(
            f"/staff/{subject}/supervisions", json={"kind": "case", "pathway_id": pathway_id, "held_on": str(today)}
        )
        assert r.status_code == 201, r.text
        got = r.json()
        assert [(s["kind"], s["method"], s["pathway_id"], s["quarter"]) for s in got["supervisions"]] == [
            ("case", None, pathway_id, rules.quarter(today)),
            ("method", "MI", None, rules.quarter(today)),
            ("method", "KAT", None, rules.quarter(previous)),
        ]
        assert sum(1 for s in got["supervisions"] if s["quarter"] == rules.quarter(today)) == 2
        # A method supervision names its method and no case; a case supervision its pathway only.
        r = await c.post(
            f"/staff/{subject}/supervisions",
            json={"kind": "method", "method": "MI", "pathway_id": pathway_id, "held_on": str(today)},
        )
        assert r.status_code == 422 and "no pathway" in r.json()["message"], r.text
        r = await c.post(f"/staff/{subject}/supervisions", json={"kind": "case", "held_on": str(today)})
        assert r.status_code == 422, r.text
        r = await c.post(
            f"/staff/{subject}/supervisions",
            json={"kind": "case", "pathway_id": str(uuid.uuid4()), "held_on": str(today)},
        )
        assert r.status_code == 404, r.text
        # Courses: an area of seed 001, and the leaders' programme.
        r = await c.post(
            f"/staff/{subject}/courses",
            json={
                "area": "substances_harm_reduction",
                "title": "Rusmidler og skadesreduktion",
                "attended_on": str(today),
            },
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            f"/staff/{subject}/courses",
            json={"area": "leaders_programme", "title": "Psykopatologi (fælles kursusdag)", "attended_on": str(today)},
        )
        assert r.status_code == 201, r.text
        assert sorted(k["area"] for k in r.json()["courses"]) == ["leaders_programme", "substances_harm_reduction"]
        r = await c.post(
            f"/staff/{subject}/courses", json={"area": "astrology", "title": "x", "attended_on": str(today)}
        )
        assert r.status_code == 422, r.text


async def _pathway_in_phase(http, contact: str, phase: int) -> str:
    pathway_id = await accepted_pathway(http, NORTH, municipality=AALBORG)
    async with http.as_("clinician", NORTH) as c:
        r = await c.post(f"/pathways/{pathway_id}/contact-person", json={"subject": contact})
        assert r.status_code == 200, r.text
        if phase == 2:
            await close_open_tasks(c, pathway_id)
            r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2, "reason": "chaotic"})
            assert r.status_code == 200, r.text
    return pathway_id


async def test_the_coverage_report_on_a_small_known_team(api, settings, http):
    """Region 1081's outreach team, only here: A (MI; KAT due in 30 days), B (MI), C (DAT expired), D (nothing),
    E (MI, but no longer active: not counted); F of the acute team (KAT) counts for the region, not the team."""
    today = copenhagen.today()
    previous = _previous_quarter_day(today)
    async with http.as_("clinician", NORTH) as c:
        a = await _register(c, "Alma Aalborg")
        b = await _register(c, "Bent Brønderslev")
        cc = await _register(c, "Carla Hjørring")
        d = await _register(c, "Dennis Frederikshavn")
        e = await _register(c, "Erik Inaktiv")
        f = await _register(c, "Fie Akut", team="acute_team")
        await _certify(c, a, "MI", today - timedelta(days=30))
        await _certify(c, a, "KAT", today - timedelta(days=300), renewal_due=today + timedelta(days=30))
        await _certify(c, b, "MI", today - timedelta(days=5), renewal_due=today + timedelta(days=91))
        await _certify(c, cc, "DAT", today - timedelta(days=4 * 366))
        await _certify(c, e, "MI", today)
        await _certify(c, f, "KAT", today)
        assert (await c.post(f"/staff/{e}", json={"active": False})).status_code == 200
        r = await c.post(f"/staff/{e}/certifications", json={"method": "KAT", "certified_on": str(today)})
        assert r.status_code == 409 and "no longer active" in r.json()["message"], r.text
        await _supervise(c, a, today)
        await _supervise(c, a, today, method="KAT")
        await _supervise(c, b, today)
        await _supervise(c, a, previous)
    covered = await _pathway_in_phase(http, a, 2)  # phase 2 names MI: A holds it
    lacking = await _pathway_in_phase(http, d, 2)  # D holds nothing
    phase_one = await _pathway_in_phase(http, cc, 1)  # phase 1 names no method

    async with http.as_("clinician", NORTH) as c:
        r = await c.get("/reports/competences", params={"team": TEAM})
        assert r.status_code == 200, r.text
        report = r.json()
    assert (report["organisation"], report["team"], report["staff"], report["horizon_days"]) == (NORTH, TEAM, 4, 90)
    assert [(m["method"], m["certified"], m["staff"], m["share"], m["renewals_due"]) for m in report["methods"]] == [
        ("KAT", 1, 4, 0.25, 1),
        ("DAT", 0, 4, 0.0, 0),
        ("MI", 2, 4, 0.5, 0),
    ]
    assert [(x["subject"], x["display_name"], x["method"], x["renewal_due"]) for x in report["renewals_due"]] == [
        (a, "Alma Aalborg", "KAT", str(today + timedelta(days=30)))
    ]
    now, before = report["supervision"][0], report["supervision"][1]
    assert (now["quarter"], now["sessions"], now["method_sessions"], now["supervised"], now["per_person"]) == (
        rules.quarter(today),
        3,
        3,
        2,
        0.75,
    )
    assert (before["quarter"], before["sessions"], before["per_person"]) == (rules.quarter(previous), 1, 0.25)
    assert len(report["supervision"]) == 4
    assert sorted((p["subject"], p["quarter"], p["sessions"]) for p in report["supervision_per_person"]) == sorted(
        [(a, rules.quarter(today), 2), (b, rules.quarter(today), 1), (a, rules.quarter(previous), 1)]
    )
    assert report["pathways_checked"] == 3
    assert [
        (x["pathway_id"], x["phase"], x["called_for"], x["missing"], x["subject"], x["display_name"])
        for x in report["pathways_lacking_method"]
    ] == [(lacking, 2, ["MI"], ["MI"], d, "Dennis Frederikshavn")]
    assert covered not in r.text and phase_one not in r.text

    # The whole region: F of the acute team counts too (5 active), and KAT is held by A and F.
    async with http.as_("clinician", NORTH) as c:
        whole = (await c.get("/reports/competences", params={"region": NORTH_CODE})).json()
    assert whole["staff"] == 5
    assert {m["method"]: (m["certified"], m["share"]) for m in whole["methods"]} == {
        "KAT": (2, 0.4),
        "DAT": (0, 0.0),
        "MI": (2, 0.4),
    }

    # Ops: the same counts and shares, never who.
    async with http.as_("ops", "ops:national") as ops:
        r = await ops.get("/reports/competences", params={"region": NORTH_CODE, "team": TEAM})
        assert r.status_code == 200, r.text
        seen = r.json()
        assert [m["share"] for m in seen["methods"]] == [0.25, 0.0, 0.5]
        assert seen["supervision"][0]["sessions"] == 3
        for rows in ("renewals_due", "supervision_per_person", "pathways_lacking_method"):
            assert all(x["subject"] is None and x["display_name"] is None for x in seen[rows]), rows
        assert len(seen["pathways_lacking_method"]) == 1
        for name in ("Alma", "Dennis", "Bent", a, d, b):
            assert name not in r.text
        one = await ops.get(f"/staff/{a}/competences")
        assert one.status_code == 200 and one.json()["subject"] is None and a not in one.text
        # The monitoring report carries the totals (counts only).
        r = await ops.get("/reports/monitoring", params={"region": NORTH_CODE})
        assert r.status_code == 200, r.text
        totals = r.json()["competences"]
        assert totals["staff"] >= 5 and totals["certified"]["KAT"] >= 2 and totals["pathways_lacking_method"] >= 1
        assert "Alma" not in r.text and a not in r.text
        # Ops records nothing.
        r = await ops.post(f"/staff/{a}/certifications", json={"method": "DAT", "certified_on": str(today)})
        assert r.status_code == 403, r.text

    # Another organisation: the member does not exist for it, nor its region's report.
    async with http.as_("clinician", REGION) as other:
        assert (await other.get(f"/staff/{a}/competences")).status_code == 404
        r = await other.post(f"/staff/{a}/certifications", json={"method": "DAT", "certified_on": str(today)})
        assert r.status_code == 404, r.text
        r = await other.post(f"/staff/{a}/supervisions", json={"kind": "method", "method": "MI", "held_on": str(today)})
        assert r.status_code == 404, r.text
        assert (await other.get("/reports/competences", params={"region": NORTH_CODE})).status_code == 403
        own = await other.get("/reports/competences")
        assert own.status_code == 200 and own.json()["organisation"] == REGION and "Alma" not in own.text
    async with http.as_("municipality", f"municipality:{AALBORG}") as mun:
        r = await mun.get("/reports/competences")
        assert r.status_code == 200 and r.json()["organisation"] == f"municipality:{AALBORG}", r.text
        assert "Alma" not in r.text and r.json()["pathways_lacking_method"] == []
        assert (await mun.get("/reports/competences", params={"region": NORTH_CODE})).status_code == 403

    # The page (Danish): the same report, the same disclosure.
    for role, org in (("clinician", NORTH), ("ops", "ops:national")):
        token = issue_dev_token(settings, role=Role(role), org=org, subject=f"page-{role}")
        async with httpx.AsyncClient(base_url=api, cookies={COOKIE: token}, timeout=30) as page:
            r = await page.get("/kompetencer", params={"team": TEAM, "region": NORTH_CODE if role == "ops" else ""})
            assert r.status_code == 200, r.text
            shown = text(r)
            assert "Certificerede metoder" in shown and "Motiverende samtale (MI)" in shown
            assert "2 af 4" in shown and "50 %" in shown and "25 %" in shown
            assert "Forløb hvor kontaktpersonen mangler en metode" in shown and f"/forloeb/{lacking}" in r.text
            if role == "ops":
                assert "Dennis" not in r.text and "Alma" not in r.text and "(navnet vises ikke)" in shown
            else:
                assert "Dennis Frederikshavn" in shown and "Alma Aalborg" in shown
