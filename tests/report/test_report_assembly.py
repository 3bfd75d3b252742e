"""The monitoring report's assembly on rows alone: every figure against a hand count."""

import itertools
from datetime import UTC, date, datetime

import pytest

from dualpath.readmodels import report
from dualpath.readmodels.report import Figure, assemble

AS_OF = date(2026, 4, 14)
NOW = datetime(2026, 4, 14, 10, 0, tzinfo=UTC)


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def _report(region="1082", **rows):
    kw = dict(referrals=[], pathways=[], accepted=[], discharges=[], home_visits=[], meetings=[])
    kw.update(rows)
    return assemble(generated_at=NOW, as_of=AS_OF, region=region, **kw)


def _group(rep, region, group):
    return next(g for g in rep.groups if g.region == region and g.group == group)


def test_a_share_is_none_without_a_denominator():
    assert Figure.of(0, 0).share is None
    assert Figure.of(1, 3).share == pytest.approx(1 / 3)
    assert Figure.of(2, 2).model_dump() == {"numerator": 2, "denominator": 2, "share": 1.0}


def test_referral_and_pathway_counts_per_region_and_group():
    referrals = [
        {"region": "1082", "grp": 2, "status": "accepted", "n": 3, "past_deadline": 0},
        {"region": "1082", "grp": 2, "status": "declined", "n": 1, "past_deadline": 0},
        {"region": "1082", "grp": 2, "status": "awaiting_visitation", "n": 2, "past_deadline": 1},
        {"region": "1082", "grp": 2, "status": "held_until_phase_in", "n": 4, "past_deadline": 0},
        {"region": "1082", "grp": 2, "status": "attached", "n": 1, "past_deadline": 0},
        {"region": "1082", "grp": None, "status": "not_eligible", "n": 5, "past_deadline": 0},
        {"region": "1082", "grp": 1, "status": "not_eligible", "n": 1, "past_deadline": 0},
    ]
    pathways = [
        {
            "region": "1082",
            "grp": 2,
            "status": "active",
            "phase": 1,
            "level_of_care": "integrated_unstable",
            "end_reason": None,
            "n": 1,
        },
        {
            "region": "1082",
            "grp": 2,
            "status": "active",
            "phase": 2,
            "level_of_care": "inpatient",
            "end_reason": None,
            "n": 1,
        },
        {
            "region": "1082",
            "grp": 2,
            "status": "ended",
            "phase": 1,
            "level_of_care": "integrated_unstable",
            "end_reason": "moved_away",
            "n": 1,
        },
    ]
    rep = _report(referrals=referrals, pathways=pathways)
    g2 = _group(rep, "1082", 2)
    assert g2.referrals.model_dump() == {
        "referred": 11,
        "awaiting_visitation": 2,
        "held": 4,
        "not_eligible": 0,
        "accepted": 3,
        "declined": 1,
        "attached": 1,
    }
    assert g2.pathways.started == 3 and g2.pathways.active == 2 and g2.pathways.ended == 1
    assert g2.pathways.active_by_phase == {"1": 1, "2": 1, "3": 0, "4": 0}
    assert g2.pathways.active_by_level == {
        "primary": 0,
        "coordinated": 0,
        "integrated_stable": 0,
        "integrated_unstable": 1,
        "inpatient": 1,
    }
    assert g2.pathways.ended_by_reason == {"moved_away": 1}
    # Midtjylland's group 2 target is 761 (seed 000), with its source.
    assert g2.target.patients == 761 and "seed 000" in g2.target.source
    assert g2.against_target == Figure.of(3, 761)
    # Referrals that fit no group have a row of their own, without a target.
    none = _group(rep, "1082", None)
    assert none.referrals.not_eligible == 5 and none.target is None and none.against_target is None
    # Every group of the region has a row, even an empty one; no other region does.
    assert [(g.region, g.group) for g in rep.groups] == [("1082", 1), ("1082", 2), ("1082", 3), ("1082", None)]
    assert _group(rep, "1082", 3).referrals.referred == 0
    assert rep.national is None
    assert rep.process[0].awaiting_past_deadline == 1


def test_all_regions_adds_national_sums_against_the_national_targets():
    referrals = [
        {"region": "1082", "grp": 1, "status": "accepted", "n": 2, "past_deadline": 0},
        {"region": "1084", "grp": 1, "status": "accepted", "n": 5, "past_deadline": 0},
        {"region": "1084", "grp": 1, "status": "awaiting_visitation", "n": 1, "past_deadline": 1},
    ]
    pathways = [
        {
            "region": r,
            "grp": 1,
            "status": "active",
            "phase": 3,
            "level_of_care": "integrated_stable",
            "end_reason": None,
            "n": n,
        }
        for r, n in (("1082", 2), ("1084", 5))
    ]
    rep = _report(region=None, referrals=referrals, pathways=pathways)
    assert len(rep.groups) == 15  # 5 regions × 3 groups
    assert _group(rep, "1084", 1).target is None  # no regional target in the sources
    national = {g.group: g for g in rep.national}
    assert national[1].referrals.accepted == 7 and national[1].referrals.referred == 8
    assert national[1].pathways.active_by_phase["3"] == 7
    assert national[1].target.patients == 4600 and national[1].against_target == Figure.of(7, 4600)
    assert national[3].target.patients == 700 and national[3].against_target == Figure.of(0, 700)
    assert [p.region for p in rep.process] == ["1081", "1082", "1083", "1084", "1085", None]
    assert rep.process[-1].awaiting_past_deadline == 1
    # The targets travel as data with their sources, stated totals too.
    assert {(t.region, t.group, t.patients) for t in rep.targets} >= {(None, 1, 4600), ("1082", 3, 143)}
    assert {t.patients for t in rep.stated_totals} == {9200, 1978}


def test_phase_in_counts_acceptances_per_copenhagen_month_cumulatively():
    accepted = [
        # 23:30 UTC on 31 January is 00:30 on 1 February in Copenhagen (CET).
        {"region": "1082", "grp": 1, "start_deadline": date(2026, 2, 14), "accepted_at": _at("2026-01-31T23:30")},
        {"region": "1082", "grp": 1, "start_deadline": date(2026, 1, 20), "accepted_at": _at("2026-01-10T09:00")},
        # 22:30 UTC on 31 March is 00:30 on 1 April (CEST).
        {"region": "1082", "grp": 1, "start_deadline": date(2026, 4, 14), "accepted_at": _at("2026-03-31T22:30")},
        {"region": "1082", "grp": 2, "start_deadline": date(2026, 4, 14), "accepted_at": _at("2026-04-02T08:00")},
    ]
    rep = _report(accepted=accepted)
    series = {(s.region, s.group): s for s in rep.phase_in}
    assert [(m.month, m.accepted, m.cumulative) for m in series[("1082", 1)].months] == [
        ("2026-01", 1, 1),
        ("2026-02", 1, 2),
        ("2026-03", 0, 2),
        ("2026-04", 1, 3),
    ]
    assert [(m.month, m.accepted, m.cumulative) for m in series[("1082", 2)].months] == [("2026-04", 1, 1)]
    assert series[("1082", 3)].months == [] and series[("1082", 3)].target.patients == 143

    national = _report(region=None, accepted=accepted)
    s = {(x.region, x.group): x for x in national.phase_in}
    assert [m.cumulative for m in s[(None, 1)].months] == [1, 2, 2, 3]
    assert s[(None, 1)].target.patients == 4600
    assert s[("1083", 1)].months == [] and s[("1083", 1)].target is None


def _accepted(deadline: date, first_contact_on: date | None = None, ended_at: datetime | None = None) -> dict:
    return {
        "region": "1082",
        "grp": 2,
        "start_deadline": deadline,
        "accepted_at": _at("2026-01-20T10:00"),
        "first_contact_on": first_contact_on,
        "ended_at": ended_at,
    }


def test_started_within_14_days_is_measured_to_the_first_treatment_contact_not_the_acceptance():
    good_friday = date(2026, 4, 3)  # a deadline on a holiday does not move
    accepted = [
        _accepted(good_friday, first_contact_on=good_friday),  # on the deadline: in time
        _accepted(good_friday, first_contact_on=date(2026, 4, 7)),  # the next working day: late all the same
        _accepted(date(2026, 2, 1), first_contact_on=date(2026, 1, 25)),  # in time
        _accepted(date(2026, 4, 13)),  # no contact, deadline passed (AS_OF is 14 April): not started in time
        _accepted(AS_OF),  # no contact, the deadline is today: not counted yet
        _accepted(date(2026, 4, 20)),  # no contact, within the deadline: not counted yet
        # Ended within its deadline before any contact: not the region's delay, left out.
        _accepted(date(2026, 4, 10), ended_at=_at("2026-04-05T09:00")),
        # Ended after its deadline without a contact: not started in time.
        _accepted(date(2026, 4, 1), ended_at=_at("2026-04-05T09:00")),
    ]
    referrals = [{"region": "1082", "grp": 2, "status": "awaiting_visitation", "n": 3, "past_deadline": 1}]
    p = _report(accepted=accepted, referrals=referrals).process[0]
    # Still waiting for visitation after the deadline counts as not started in time too.
    assert p.started_within_14_days == Figure.of(2, 6)
    assert p.awaiting_past_deadline == 1
    assert p.accepted_not_started_past_deadline == 2
    assert p.awaiting_first_contact == 2
    assert any("first treatment contact" in n for n in _report().notes)


def test_home_visits_count_on_the_copenhagen_day_they_were_closed():
    due = date(2026, 4, 13)
    home_visits = [
        {"region": "1082", "due": due, "state": "done", "closed_at": _at("2026-04-13T21:59")},  # 23:59 CEST: on time
        {"region": "1082", "due": due, "state": "done", "closed_at": _at("2026-04-13T22:01")},  # 00:01 next day: late
        {"region": "1082", "due": due, "state": "not_possible", "closed_at": _at("2026-04-13T08:00")},
        {"region": "1082", "due": date(2026, 4, 10), "state": "open", "closed_at": None},  # due passed: missed
        {"region": "1082", "due": AS_OF, "state": "open", "closed_at": None},  # due today: not yet
        {"region": "1082", "due": date(2026, 4, 20), "state": "open", "closed_at": None},
    ]
    rep = _report(home_visits=home_visits)
    assert rep.process[0].home_visits_on_first_working_day == Figure.of(1, 4)
    assert rep.process[0].home_visits_not_yet_due == 2


def test_discharges_and_meetings():
    discharges = [
        {
            "region": "1082",
            "discharged": 4,
            "before_non_working_days": 1,
            "kept_with_reason": 1,
            "meeting_judged": 3,
            "meeting_not_held": 2,
        }
    ]
    occasions = [
        {"region": "1082", "occasion": "discharge", "called": 3, "held": 2},
        {"region": "1082", "occasion": "not_stated", "called": 3, "held": 1},
        {"region": "0851", "occasion": "discharge", "called": 5, "held": 5},  # another region's
    ]
    meetings = [
        {
            "region": "1082",
            "kind": "network_meeting",
            "called": 6,
            "cancelled": 1,
            "open": 2,
            "open_past_hold_by": 1,
            "held": 3,
            "held_on_time": 2,
        }
    ]
    p = _report(discharges=discharges, meetings=meetings, meeting_occasions=occasions).process[0]
    assert p.discharges_before_non_working_days == Figure.of(1, 4)
    assert p.discharges_kept_before_non_working_days_with_reason == 1
    # Without the required meeting (its reason recorded), of the discharges judged by the rule.
    assert p.discharges_without_required_meeting == Figure.of(2, 3)
    by_occasion = {o.occasion: (o.called, o.held) for o in p.meetings_by_occasion}
    assert by_occasion == {
        "phase_4": (0, 0),
        "discharge": (3, 2),
        "transition": (0, 0),
        "other": (0, 0),
        "not_stated": (3, 1),
    }
    by_kind = {m.kind: m for m in p.network_meetings}
    assert set(by_kind) == {"network_meeting", "collaboration_meeting", "startup_meeting"}
    nm = by_kind["network_meeting"]
    assert (nm.called, nm.cancelled, nm.open, nm.open_past_hold_by, nm.held) == (6, 1, 2, 1, 3)
    # Held on time, of those held or still open past hold_by.
    assert nm.held_on_time == Figure.of(2, 4)
    assert by_kind["startup_meeting"].held_on_time == Figure.of(0, 0)
    assert by_kind["startup_meeting"].held_on_time.share is None
    assert any("meetings_by_occasion" in n for n in _report().notes)


def test_the_text_table_shows_the_figures_and_the_target_sources():
    referrals = [{"region": "1082", "grp": 2, "status": "accepted", "n": 3, "past_deadline": 0}]
    accepted = [
        {
            "region": "1082",
            "grp": 2,
            "start_deadline": date(2026, 4, 14),
            "accepted_at": _at("2026-04-02T08:00"),
            "first_contact_on": date(2026, 4, 10),
            "ended_at": None,
        }
    ] * 3
    text = report.render_text(_report(referrals=referrals, accepted=accepted))
    assert "Monitoring report, Region Midtjylland, as of 2026-04-14" in text
    row = next(x for x in text.splitlines() if x.startswith("Region Midtjylland") and x.split()[2] == "2")
    # group, referred, awaiting, held, not eligible, accepted, declined, attached, active, phases 1-4, ended,
    # target, accepted against target
    assert row.split()[2:] == [
        "2",
        "3",
        "0",
        "0",
        "0",
        "3",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "761",
        "3/761",
        "(0.4%)",
    ]
    assert "started <= 14 days" in text and "3/3 (100.0%)" in text
    assert "Start of treatment (§82c: from receipt to the first treatment contact" in text
    assert "1st contact <= 14 days" in text and "other starts with 1st contact" in text
    assert "seed 000 (Region Midtjylland" in text


def test_pathways_started_by_a_transition_or_a_campaign_count_in_the_phase_in_but_not_in_the_82c_figures():
    accepted = [
        {"region": "1082", "grp": 2, "start_deadline": date(2026, 4, 14), "accepted_at": _at("2026-03-02T09:00")}
    ]
    others = [
        # a transition's pathway, its first treatment contact recorded
        {"region": "1082", "grp": 2, "started_at": _at("2026-03-10T09:00"), "first_contact_on": date(2026, 3, 12)},
        {"region": "1082", "grp": 2, "started_at": _at("2026-04-01T08:00"), "first_contact_on": None},  # a campaign's
        # no group: not in a series
        {"region": "1082", "grp": None, "started_at": _at("2026-04-01T08:00"), "first_contact_on": None},
    ]
    rep = _report(accepted=accepted, other_starts=others)
    series = {(s.region, s.group): s for s in rep.phase_in}
    assert [(m.month, m.accepted, m.cumulative) for m in series[("1082", 2)].months] == [
        ("2026-03", 2, 2),
        ("2026-04", 1, 3),
    ]
    without = _report(accepted=accepted)
    # The §82c figures are the referrals' own; the other starts are counted beside them.
    clock = ("started_within_14_days", "awaiting_past_deadline", "accepted_not_started_past_deadline")
    assert [getattr(rep.process[0], f) for f in clock] == [getattr(without.process[0], f) for f in clock]
    assert (rep.process[0].other_starts, rep.process[0].other_starts_first_contact) == (3, Figure.of(1, 3))
    assert (without.process[0].other_starts, without.process[0].other_starts_first_contact) == (0, Figure.of(0, 0))


def test_the_phase_in_has_its_expected_trajectory_to_the_end_of_2027():
    rep = _report(region=None)
    national = {s.group: s for s in rep.phase_in if s.region is None}
    for group, opened in ((1, "2024-09"), (2, "2025-07"), (3, "2026-07")):
        s = national[group]
        assert s.target is not None
        points = s.trajectory
        assert (points[0].month, points[-1].month) == (opened, "2027-12")
        assert points[-1].expected == s.target.patients
        assert all(a.expected <= b.expected for a, b in itertools.pairwise(points))
        # Even steps: halfway through the months, about half the target.
        middle = points[len(points) // 2 - 1]
        assert abs(middle.expected - s.target.patients / 2) <= s.target.patients / len(points)
    # A region without targets in the sources has no trajectory.
    assert all(not s.trajectory for s in rep.phase_in if s.region == "1083" and s.target is None)
    assert any("Trajectory" in n for n in rep.notes)


def test_the_text_shows_the_expected_count_by_now():
    text = report.render_text(_report(region=None))
    assert "expected now" in text


def test_coordinated_courses_are_counted_per_origin_and_status():
    courses = [
        {"region": "1082", "origin": "declined_referral", "status": "active", "n": 3},
        {"region": "1082", "origin": "planned_closure", "status": "relapsed", "n": 1},
        {"region": "1084", "origin": "declined_referral", "status": "active", "n": 7},  # another region's
    ]
    p = _report(courses=courses).process[0]
    assert p.coordinated_courses["declined_referral/active"] == 3
    assert p.coordinated_courses["planned_closure/relapsed"] == 1
    assert sum(p.coordinated_courses.values()) == 4 and len(p.coordinated_courses) == 6
    national = next(pf for pf in _report(region=None, courses=courses).process if pf.region is None)
    assert national.coordinated_courses["declined_referral/active"] == 10
    assert "Coordinated courses after integrated care" in report.render_text(_report(courses=courses))
