"""The monitoring report over real HTTP and from the CLI: its figures move by exactly a hand count.

The session's database is shared, so the report is read before and after this
module's own actions in region 1083 (Syddanmark, municipality 461 Odense) and
the differences are compared with what was done.
"""

import asyncio
import json
import os
import struct
import subprocess
import sys
from datetime import timedelta
from importlib.util import find_spec

from dualpath.domain import copenhagen
from dualpath.readmodels.registry import all_projections

from ..api.helpers import close_open_tasks, referral
from ..poll import eventually

REGION, CODE, MUNICIPALITY = "region:1083", "1083", "461"
OPS = ("ops", "ops:national")
TODAY = copenhagen.today()
PARTICIPANTS = [
    {"role": "psychiatrist", "organisation": REGION},
    {"role": "substance_treatment", "organisation": f"municipality:{MUNICIPALITY}"},
]


async def _caught_up(pool) -> None:
    """Wait until the read models have every event so far (some effects are asynchronous)."""
    names = [p.name for p in all_projections()]
    last = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    for _ in range(400):
        if (
            # No checkpoint yet (a session's first test): not caught up.
            await pool.fetchval(
                "SELECT coalesce(min(position), -1) FROM projection_checkpoints WHERE name = ANY($1::text[])", names
            )
            >= last
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read models did not catch up")


async def _report(http, role=OPS, **params) -> dict:
    async with http.as_(*role) as c:
        r = await c.get("/reports/monitoring", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _group(rep, region, group):
    return next(g for g in rep["groups"] if g["region"] == region and g["group"] == group)


def _process(rep, region):
    return next(p for p in rep["process"] if p["region"] == region)


def _series(rep, region, group):
    return next(s for s in rep["phase_in"] if s["region"] == region and s["group"] == group)


def _meetings(rep, region):
    return {m["kind"]: m for m in _process(rep, region)["network_meetings"]}


async def _refer(c, **overrides) -> dict:
    r = await c.post("/referrals", json=referral(municipality=MUNICIPALITY, **overrides))
    assert r.status_code == 201, r.text
    return r.json()


async def _accept(v, ref) -> str:
    d = await v.post(f"/referrals/{ref['referral_id']}/decision", json={"accept": True})
    assert d.status_code == 200, d.text
    return d.json()["pathway_id"]


async def _stay_discharged(c, pathway_id: str, discharged_on, meeting_held: bool = False) -> dict:
    """Admit, go through the stay's phases to 4, hold the discharge's network meeting or not (the reason recorded),
    discharge; the home-visit follow-up task."""
    r = await c.post(
        f"/pathways/{pathway_id}/admissions",
        json={"via": "acute_function", "ward": "Afsnit S1", "admitted_on": str(TODAY - timedelta(20))},
    )
    assert r.status_code == 201, r.text
    stay_id = r.json()["stay_id"]
    base = f"/pathways/{pathway_id}/admissions/{stay_id}"
    for to in (2, 3, 4):
        stays = (await c.get(f"/pathways/{pathway_id}/admissions")).json()
        for t in next(s for s in stays if s["stay_id"] == stay_id)["tasks"]:
            if t["state"] == "open" and t["phase"] == to - 1:
                r = await c.post(
                    f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete",
                    json={"outcome": "not_possible", "note": "test: done outside the engine"},
                )
                assert r.status_code == 200, r.text
        r = await c.post(f"{base}/phase", json={"to": to})
        assert r.status_code == 200, r.text
    discharge = {"discharged_on": str(discharged_on), "reason": "as planned with the family"}
    if meeting_held:
        url = await _meeting(c, pathway_id, "network_meeting", TODAY, occasion="discharge", stay_id=stay_id)
        assert (await c.post(f"{url}/held", json={"held_on": str(TODAY), "outcome": "ok"})).status_code == 200

        async def stays_task_closed():
            stay = next(
                s for s in (await c.get(f"/pathways/{pathway_id}/admissions")).json() if s["stay_id"] == stay_id
            )
            return not [t for t in stay["tasks"] if t["kind"] == "network_meeting" and t["state"] == "open"]

        await eventually(stays_task_closed, what="the stay's network meeting task closed")
    else:
        discharge["meeting_reason"] = "the patient declined the meeting"
    # A reason in case the date comes before non-working days (it is then required).
    r = await c.post(f"{base}/discharge", json=discharge)
    assert r.status_code == 200, r.text
    assert r.json()["stay"]["discharged_on"] == str(discharged_on)
    [home_visit] = [t for t in r.json()["followups"] if t["kind"] == "home_visit"]
    return home_visit


async def _meeting(c, pathway_id: str, kind: str, called_on, **occasion) -> str:
    r = await c.post(
        f"/pathways/{pathway_id}/meetings",
        json={"kind": kind, "participants": PARTICIPANTS, "called_on": str(called_on), **occasion},
    )
    assert r.status_code == 201, r.text
    return f"/pathways/{pathway_id}/meetings/{r.json()['meeting_id']}"


async def test_the_reports_figures_move_by_a_hand_count(http, pool, settings):
    await _caught_up(pool)
    before = await _report(http, region=CODE)
    calendar = settings.working_day_calendar()
    yesterday, long_ago = TODAY - timedelta(1), TODAY - timedelta(10)

    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        # Seven referrals, all target group 2 (current psychiatric contact and municipal treatment):
        on_time = [await _refer(c, received_on=str(TODAY)) for _ in range(3)]
        late = await _refer(c, received_on=str(TODAY - timedelta(30)))  # its 14 days are over
        waiting = await _refer(c, received_on=str(TODAY - timedelta(30)))  # left waiting past the deadline
        declined = await _refer(c, received_on=str(TODAY))
        not_eligible = await _refer(
            c,
            received_on=str(TODAY),
            criteria={
                "mental_illness": "severe",
                "substance_problem": False,
                "reduced_functioning": True,
                "parallel_treatment_insufficient": True,
            },
        )
        assert not_eligible["status"] == "not_eligible" and not_eligible["group"] == 2
        assert waiting["status"] == "awaiting_visitation"

        p1, p3, p4 = [await _accept(v, ref) for ref in on_time]
        p2 = await _accept(v, late)
        d = await v.post(
            f"/referrals/{declined['referral_id']}/decision",
            json={"accept": False, "reason": "parallel treatment is enough"},
        )
        assert d.status_code == 200, d.text

        # p1 moves to phase 2; p3 ends (moved away); p2 and p4 stay in phase 1.
        await close_open_tasks(c, p1)
        assert (await c.post(f"/pathways/{p1}/ambulatory/phase", json={"to": 2})).status_code == 200
        r = await c.post(f"/pathways/{p3}/end", json={"reason_kind": "moved_away", "reason": "moved to Norway"})
        assert r.status_code == 200, r.text

        # Three discharges (and, below, one admission still open). p1's yesterday: its home visit (due the
        # first working day after, today or later) is made now, in time. p2's ten days ago: made now, late.
        # p4's ten days ago: not made.
        visit_1 = await _stay_discharged(c, p1, yesterday, meeting_held=True)
        visit_2 = await _stay_discharged(c, p2, long_ago)
        await _stay_discharged(c, p4, long_ago)
        for pid, visit in ((p1, visit_1), (p2, visit_2)):
            r = await c.post(f"/pathways/{pid}/tasks/{visit['task_id']}/complete", json={"outcome": "done"})
            assert r.status_code == 200, r.text

        # Meetings: a network meeting called today and held today (on time); one called 20 days ago and
        # held today (late); one called 20 days ago and still open (past hold-by); a cancelled start-up meeting.
        # (And p1's discharge meeting above, called and held today.)
        url = await _meeting(c, p1, "network_meeting", TODAY, occasion="phase_4")
        assert (await c.post(f"{url}/held", json={"held_on": str(TODAY), "outcome": "ok"})).status_code == 200
        url = await _meeting(c, p1, "network_meeting", TODAY - timedelta(20), occasion="phase_4")
        assert (await c.post(f"{url}/held", json={"held_on": str(TODAY), "outcome": "ok"})).status_code == 200
        await _meeting(c, p1, "network_meeting", TODAY - timedelta(20), occasion="phase_4")
        url = await _meeting(c, p1, "startup_meeting", TODAY)
        assert (await c.post(f"{url}/cancel", json={"reason": "admitted"})).status_code == 200

        # A discharge puts the level of care back asynchronously.
        for _ in range(200):
            levels = [(await c.get(f"/pathways/{p}")).json()["level_of_care"] for p in (p1, p2, p4)]
            if "inpatient" not in levels:
                break
            await asyncio.sleep(0.05)
        # p4 is admitted again: a stay not discharged is no discharge, and p4's level is inpatient.
        r = await c.post(f"/pathways/{p4}/admissions", json={"via": "planned", "ward": "Afsnit S1"})
        assert r.status_code == 201, r.text
    await _caught_up(pool)
    after = await _report(http, region=CODE)

    def delta(path):
        b, a = before, after
        for key in path:
            b, a = key(b) if callable(key) else b[key], key(a) if callable(key) else a[key]
        return a - b

    g2 = lambda rep: _group(rep, CODE, 2)  # noqa: E731
    assert {k: delta([g2, "referrals", k]) for k in after["groups"][0]["referrals"]} == {
        "referred": 7,
        "awaiting_visitation": 1,
        "held": 0,
        "not_eligible": 1,
        "accepted": 4,
        "declined": 1,
        "attached": 0,
    }
    pathways = lambda rep: g2(rep)["pathways"]  # noqa: E731
    assert {k: delta([pathways, k]) for k in ("started", "active", "ended")} == {"started": 4, "active": 3, "ended": 1}
    assert {k: delta([pathways, "active_by_phase", k]) for k in "1234"} == {"1": 2, "2": 1, "3": 0, "4": 0}
    assert {k: delta([pathways, "active_by_level", k]) for k in after["groups"][0]["pathways"]["active_by_level"]} == {
        "primary": 0,
        "coordinated": 0,
        "integrated_stable": 0,
        "integrated_unstable": 2,
        "inpatient": 1,
    }
    assert delta([pathways, "ended_by_reason", lambda r: r.get("moved_away", 0)]) == 1
    # The other groups did not move; Syddanmark has no target in the sources.
    for group in (1, 3):
        assert _group(after, CODE, group)["referrals"] == _group(before, CODE, group)["referrals"]
    assert g2(after)["target"] is None and g2(after)["against_target"] is None

    # Phase-in: this month's acceptances and the cumulative count grew by the four accepted.
    month = f"{TODAY:%Y-%m}"
    last = lambda rep: _series(rep, CODE, 2)["months"][-1]  # noqa: E731
    assert last(after)["month"] == month
    assert last(after)["cumulative"] - (last(before)["cumulative"] if _series(before, CODE, 2)["months"] else 0) == 4
    this_month_before = next((m["accepted"] for m in _series(before, CODE, 2)["months"] if m["month"] == month), 0)
    assert last(after)["accepted"] - this_month_before == 4

    # Process figures.
    proc = lambda rep: _process(rep, CODE)  # noqa: E731

    def figure(name):
        return (delta([proc, name, "numerator"]), delta([proc, name, "denominator"]))

    # §82c runs to the first treatment contact: none is recorded here. The three accepted within their deadline
    # are not counted yet; the one accepted after it (p2) and the one still waiting are not started in time.
    assert figure("started_within_14_days") == (0, 2)
    assert delta([proc, "awaiting_past_deadline"]) == 1
    before_non_working = sum(calendar.is_followed_by_non_working_day(d) for d in (yesterday, long_ago, long_ago))
    assert figure("discharges_before_non_working_days") == (before_non_working, 3)
    assert delta([proc, "discharges_kept_before_non_working_days_with_reason"]) == before_non_working
    # p1's discharge meeting was held; p2's and p4's were not, with the reason recorded.
    assert figure("discharges_without_required_meeting") == (2, 3)

    def occasion(name):
        return lambda rep: next(o for o in _process(rep, CODE)["meetings_by_occasion"] if o["occasion"] == name)

    counted = {o: (delta([occasion(o), "called"]), delta([occasion(o), "held"])) for o in ("phase_4", "discharge")}
    assert counted == {"phase_4": (3, 2), "discharge": (1, 1)}
    assert figure("home_visits_on_first_working_day") == (1, 3)
    nm = lambda rep: _meetings(rep, CODE)["network_meeting"]  # noqa: E731
    assert {k: delta([nm, k]) for k in ("called", "cancelled", "open", "open_past_hold_by", "held")} == {
        "called": 4,
        "cancelled": 0,
        "open": 1,
        "open_past_hold_by": 1,
        "held": 3,
    }
    assert (delta([nm, "held_on_time", "numerator"]), delta([nm, "held_on_time", "denominator"])) == (2, 4)
    su = lambda rep: _meetings(rep, CODE)["startup_meeting"]  # noqa: E731
    assert (delta([su, "called"]), delta([su, "cancelled"]), delta([su, "held"])) == (1, 1, 0)
    share = _process(after, CODE)["home_visits_on_first_working_day"]
    assert share["share"] == share["numerator"] / share["denominator"]

    # Counts only: no pathway or referral id is in the report.
    text = json.dumps(after)
    for ref in (*on_time, late, waiting, declined, not_eligible):
        assert ref["referral_id"] not in text
    for pid in (p1, p2, p3, p4):
        assert pid not in text


async def test_region_staff_see_their_own_region_and_municipalities_nothing(http):
    for role in ("clinician", "visitation"):
        rep = await _report(http, (role, REGION))
        assert rep["region"] == CODE and rep["national"] is None
        assert {g["region"] for g in rep["groups"]} == {CODE}
        assert {p["region"] for p in rep["process"]} == {CODE}
        assert {s["region"] for s in rep["phase_in"]} == {CODE}
        assert (await _report(http, (role, REGION), region=CODE))["region"] == CODE
        async with http.as_(role, REGION) as c:
            r = await c.get("/reports/monitoring", params={"region": "1082"})
        assert r.status_code == 403, r.text
        assert r.json()["allowed"] == [CODE]
    async with http.as_("municipality", f"municipality:{MUNICIPALITY}") as m:
        for params in ({}, {"region": CODE}):
            r = await m.get("/reports/monitoring", params=params)
            assert r.status_code == 403, r.text
            assert r.json()["error"] == "forbidden"
    async with http.anonymous() as a:
        assert (await a.get("/reports/monitoring")).status_code == 401


async def test_ops_see_every_region_and_the_national_sums(http, pool):
    await _caught_up(pool)
    rep = await _report(http)
    assert rep["region"] is None
    assert {g["region"] for g in rep["groups"]} == {"1081", "1082", "1083", "1084", "1085"}
    national = {g["group"]: g for g in rep["national"]}
    for group in (1, 2, 3):
        summed = sum(g["referrals"]["accepted"] for g in rep["groups"] if g["group"] == group)
        assert national[group]["referrals"]["accepted"] == summed
    assert national[1]["target"]["patients"] == 4600 and "seed 001" in national[1]["target"]["source"]
    assert _group(rep, "1082", 2)["target"]["patients"] == 761
    assert [p["region"] for p in rep["process"]][-1] is None
    async with http.as_(*OPS) as c:
        r = await c.get("/reports/monitoring", params={"region": "9999"})
    assert r.status_code == 422 and "9999" in r.json()["message"]


def _cli(pg_url, *args):
    env = {**os.environ, "DATABASE_URL": pg_url}
    return subprocess.run(
        [sys.executable, "-m", "dualpath.cli", "report", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_the_cli_prints_the_same_report_as_the_api(http, pool, pg_url):
    await _caught_up(pool)
    api = await _report(http, region=CODE)
    out = await asyncio.to_thread(_cli, pg_url, "--json", "--region", CODE)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    for rep in (api, cli):
        del rep["generated_at"]
    assert cli == api

    out = await asyncio.to_thread(_cli, pg_url, "--region", CODE)
    assert out.returncode == 0, out.stderr
    assert "Monitoring report, Region Syddanmark" in out.stdout
    row = next(x for x in out.stdout.splitlines() if x.startswith("Region Syddanmark") and x.split()[2] == "2")
    assert int(row.split()[3]) == _group(api, CODE, 2)["referrals"]["referred"]

    out = await asyncio.to_thread(_cli, pg_url, "--region", "9999")
    assert out.returncode == 2 and "unknown region" in out.stderr


async def test_the_cli_draws_the_phase_in_as_a_png(pg_url, tmp_path):
    path = tmp_path / "phase_in.png"
    out = await asyncio.to_thread(_cli, pg_url, "--png", str(path))
    if find_spec("matplotlib") is None:
        # Not installed: a clear answer, and no half-written file.
        assert out.returncode == 2, out.stdout
        assert "matplotlib" in out.stderr and not path.exists()
        return
    assert out.returncode == 0, out.stderr
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, kind) == (13, b"IHDR") and (width, height) == (1000, 550)


def _phase_in_total(report: dict, region: str, group: int) -> int:
    [series] = [s for s in report["phase_in"] if s["region"] == region and s["group"] == group]
    return series["months"][-1]["cumulative"] if series["months"] else 0


async def test_a_pathway_started_by_a_transition_counts_in_the_phase_in(http):
    from tests.transitions.support import (
        MUNICIPALITY,
        assessment,
        network_meeting_and_complete,
        start,
        step,
        to_integrated,
    )

    async with (
        http.as_("municipality", MUNICIPALITY) as mun,
        http.as_("visitation", "region:1082") as vis,
        http.as_("clinician", "region:1082") as cli,
    ):
        before = (await cli.get("/reports/monitoring")).json()
        tid = (await start(mun, to_integrated()))["transition_id"]
        await step(vis, tid, "assessment", assessment())
        await step(mun, tid, "agreement", {"on": "transition"})
        done = await network_meeting_and_complete(cli, cli, tid)
        assert done["closure"] == "started" and done["pathway_id"]
        after = (await cli.get("/reports/monitoring")).json()
    assert _phase_in_total(after, "1082", 2) == _phase_in_total(before, "1082", 2) + 1
    # Not an accepted referral: the §82c figures do not move; the pathway counts beside them as another start.
    clock = ("started_within_14_days", "awaiting_past_deadline", "accepted_not_started_past_deadline")
    for b, a in zip(before["process"], after["process"]):
        assert [a[f] for f in clock] == [b[f] for f in clock]
    assert _process(after, "1082")["other_starts"] == _process(before, "1082")["other_starts"] + 1
