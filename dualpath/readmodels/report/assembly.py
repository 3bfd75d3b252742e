"""The monitoring report from the queries' rows, without I/O, so it can be tested on rows alone.

Dates that depend on an instant (acceptance, a task's closing) are Copenhagen dates, taken with
`copenhagen.local_date` as everywhere else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, get_args

from dualpath.domain import acute, coordinated_course, copenhagen
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.referral_rules import (
    DEFAULT_PHASE_IN,
    PHASE_IN_STATED_TOTALS,
    PHASE_IN_TARGETS,
    PhaseInTarget,
    PhaseInTotal,
)
from dualpath.readmodels.report.model import (
    DISCLOSURE_BASES,
    GROUPS,
    LEVELS,
    MEETING_KINDS,
    MEETING_OCCASIONS,
    NOTES,
    PHASES,
    DisclosureFigures,
    Figure,
    GroupFigures,
    MeetingFigures,
    MonitoringReport,
    MonthPoint,
    OccasionFigures,
    PathwayCounts,
    PhaseInSeries,
    ProcessFigures,
    ReferralCounts,
    Target,
    TrajectoryPoint,
    month,
    region_name,
)


class Row(Protocol):
    """A query's row: a database record, or a dict in the tests."""

    def __getitem__(self, column: str, /) -> Any: ...


Key = tuple[str | None, int | None]  # (region, target group)
Targets = dict[Key, Target]

_STATUS_FIELD = {
    "awaiting_visitation": "awaiting_visitation",
    "held_until_phase_in": "held",
    "not_eligible": "not_eligible",
    "accepted": "accepted",
    "declined": "declined",
    "attached": "attached",
}
_MEETING_COUNTS = ("called", "cancelled", "open", "open_past_hold_by", "held", "held_on_time")


def assemble(
    *,
    generated_at: datetime,
    as_of: date,
    region: str | None,
    referrals: Iterable[Row],
    pathways: Iterable[Row],
    accepted: Iterable[Row],
    discharges: Iterable[Row],
    home_visits: Iterable[Row],
    meetings: Iterable[Row],
    other_starts: Iterable[Row] = (),
    disclosures: Iterable[Row] = (),
    meeting_occasions: Iterable[Row] = (),
    acute_contacts: Iterable[Row] = (),
    courses: Iterable[Row] = (),
    targets: list[PhaseInTarget] = PHASE_IN_TARGETS,
    stated_totals: list[PhaseInTotal] = PHASE_IN_STATED_TOTALS,
) -> MonitoringReport:
    """The report from the queries' rows (see the Q_* queries for each row's columns)."""
    regions = [region] if region is not None else sorted(REGIONS)
    target_for: Targets = {(t.region, t.group): Target(patients=t.patients, source=t.source) for t in targets}
    refs, awaiting_past = _count_referrals(referrals)
    paths = _count_pathways(pathways)
    keys = {(r, g) for r in regions for g in GROUPS} | set(refs) | set(paths)
    groups = [
        _figures(r, g, refs.get((r, g), ReferralCounts()), paths.get((r, g), _empty_pathways()), target_for)
        for r, g in sorted(keys, key=_order)
    ]
    starts = _Starts.of(accepted, other_starts, as_of)
    process = _Process(starts, awaiting_past, discharges, home_visits, meetings, as_of)
    process.count_disclosures(disclosures)
    process.count_occasions(meeting_occasions)
    process.count_acute_contacts(acute_contacts)
    process.count_courses(courses)
    per_region = [process.figures(r, [r]) for r in regions]
    return MonitoringReport(
        generated_at=generated_at,
        as_of=as_of,
        region=region,
        groups=groups,
        national=_national(groups, target_for) if region is None else None,
        phase_in=_phase_in(regions, region is None, starts.per_month, target_for, month(as_of)),
        process=per_region + ([process.figures(None, regions)] if region is None else []),
        targets=list(targets),
        stated_totals=list(stated_totals),
        notes=list(NOTES),
    )


# -- referrals and pathways per region and target group -------------------------------


def _count_referrals(rows: Iterable[Row]) -> tuple[dict[Key, ReferralCounts], Counter[str]]:
    """Referral counts per (region, group), and per region those awaiting visitation past their deadline."""
    counts: dict[Key, ReferralCounts] = defaultdict(ReferralCounts)
    awaiting_past: Counter[str] = Counter()
    for row in rows:
        these = counts[(row["region"], row["grp"])]
        these.referred += row["n"]
        status_field = _STATUS_FIELD.get(row["status"])
        if status_field is not None:
            setattr(these, status_field, getattr(these, status_field) + row["n"])
        awaiting_past[row["region"]] += row["past_deadline"]
    return counts, awaiting_past


def _empty_pathways() -> PathwayCounts:
    return PathwayCounts(active_by_phase={str(p): 0 for p in PHASES}, active_by_level=dict.fromkeys(LEVELS, 0))


def _count_pathways(rows: Iterable[Row]) -> dict[Key, PathwayCounts]:
    counts: dict[Key, PathwayCounts] = defaultdict(_empty_pathways)
    for row in rows:
        these = counts[(row["region"], row["grp"])]
        these.started += row["n"]
        if row["status"] == "active":
            these.active += row["n"]
            phase, level = str(row["phase"]), row["level_of_care"] or "none"
            these.active_by_phase[phase] = these.active_by_phase.get(phase, 0) + row["n"]
            these.active_by_level[level] = these.active_by_level.get(level, 0) + row["n"]
        elif row["status"] == "ended":
            these.ended += row["n"]
            reason = row["end_reason"] or "unknown"
            these.ended_by_reason[reason] = these.ended_by_reason.get(reason, 0) + row["n"]
    return counts


def _add_pathways(into: PathwayCounts, other: PathwayCounts) -> None:
    into.started += other.started
    into.active += other.active
    into.ended += other.ended
    for mine, theirs in (
        (into.active_by_phase, other.active_by_phase),
        (into.active_by_level, other.active_by_level),
        (into.ended_by_reason, other.ended_by_reason),
    ):
        for k, n in theirs.items():
            mine[k] = mine.get(k, 0) + n


def _figures(
    region: str | None, group: int | None, refs: ReferralCounts, paths: PathwayCounts, target_for: Targets
) -> GroupFigures:
    target = target_for.get((region, group)) if group is not None else None
    return GroupFigures(
        region=region,
        region_name=region_name(region),
        group=group,
        referrals=refs,
        pathways=paths,
        target=target,
        against_target=Figure.of(refs.accepted, target.patients) if target else None,
    )


def _order(key: Key) -> tuple[str, int]:
    """Regions in code order, then groups in order, referrals that fit no group last."""
    return (key[0] or "", 99 if key[1] is None else key[1])


def _national(groups: list[GroupFigures], target_for: Targets) -> list[GroupFigures]:
    """Per target group over all regions, against the national targets."""
    by_group: dict[int | None, tuple[ReferralCounts, PathwayCounts]] = {}
    for gf in groups:
        refs, paths = by_group.setdefault(gf.group, (ReferralCounts(), _empty_pathways()))
        for name in ReferralCounts.model_fields:
            setattr(refs, name, getattr(refs, name) + getattr(gf.referrals, name))
        _add_pathways(paths, gf.pathways)
    return [_figures(None, g, *by_group[g], target_for) for g in sorted(by_group, key=lambda g: _order((None, g)))]


# -- phase-in over time ------------------------------------------------------------------


def _column(row: Row, name: str) -> Any:
    """A column the row may not have (rows from before it was selected, the tests' dicts): None then."""
    try:
        return row[name]
    except KeyError:
        return None


@dataclass
class _Starts:
    """The acceptances per (region, group) and month; per region, the §82c clock to the first treatment
    contact (see NOTES) and the pathways started without a referral."""

    per_month: dict[tuple[str, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    on_time: Counter[str] = field(default_factory=Counter)  # first contact by the deadline
    measured: Counter[str] = field(default_factory=Counter)  # first contact, or none by a deadline passed
    not_started_past: Counter[str] = field(default_factory=Counter)
    awaiting_contact: Counter[str] = field(default_factory=Counter)
    other: Counter[str] = field(default_factory=Counter)
    other_contacted: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, accepted: Iterable[Row], other_starts: Iterable[Row] = (), as_of: date | None = None) -> _Starts:
        """`accepted`: referrals accepted, with their pathway's first contact (the §82c figures are theirs);
        `other_starts`: pathways started by a transition or a campaign, which count in the phase-in too."""
        starts = cls()
        for row in other_starts:
            if row["grp"] is not None:
                starts.per_month[(row["region"], row["grp"])][month(copenhagen.local_date(row["started_at"]))] += 1
            starts.other[row["region"]] += 1
            if _column(row, "first_contact_on") is not None:
                starts.other_contacted[row["region"]] += 1
        for row in accepted:
            on = copenhagen.local_date(row["accepted_at"])
            if row["grp"] is not None:
                starts.per_month[(row["region"], row["grp"])][month(on)] += 1
            starts._clock(row, as_of)
        return starts

    def _clock(self, row: Row, as_of: date | None) -> None:
        region, deadline, contact = row["region"], row["start_deadline"], _column(row, "first_contact_on")
        if deadline is None:
            return
        if contact is not None:
            self.measured[region] += 1
            self.on_time[region] += contact <= deadline
            return
        ended_at = _column(row, "ended_at")
        if ended_at is not None and copenhagen.local_date(ended_at) <= deadline:
            return  # ended within its deadline before treatment started: not the region's delay
        if as_of is not None and as_of > deadline:
            self.measured[region] += 1
            self.not_started_past[region] += 1
        else:
            self.awaiting_contact[region] += 1


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _series(per_month: Counter[str], through: str) -> list[MonthPoint]:
    if not per_month:
        return []
    points, total = [], 0
    for each in _months(min(per_month), max(through, max(per_month))):
        total += per_month[each]
        points.append(MonthPoint(month=each, accepted=per_month[each], cumulative=total))
    return points


# The phase-in is to be complete by the end of 2027 (the national cohort, about 9,200 patients).
PHASE_IN_ENDS = "2027-12"


def _trajectory(group: int, target: Target | None) -> list[TrajectoryPoint]:
    """Even monthly steps from the group's national opening month to its target in PHASE_IN_ENDS."""
    if target is None:
        return []
    months = list(_months(month(DEFAULT_PHASE_IN.opens_on(group)), PHASE_IN_ENDS))
    n = len(months)
    return [TrajectoryPoint(month=m, expected=round(target.patients * (i + 1) / n)) for i, m in enumerate(months)]


def _phase_in(
    regions: list[str],
    national: bool,
    per_month: dict[tuple[str, int], Counter[str]],
    target_for: Targets,
    this_month: str,
) -> list[PhaseInSeries]:
    series = [
        PhaseInSeries(
            region=r,
            region_name=region_name(r),
            group=g,
            target=target_for.get((r, g)),
            months=_series(per_month.get((r, g), Counter()), this_month),
            trajectory=_trajectory(g, target_for.get((r, g))),
        )
        for r in regions
        for g in GROUPS
    ]
    if national:
        for g in GROUPS:
            total: Counter[str] = Counter()
            for r in regions:
                total.update(per_month.get((r, g), Counter()))
            series.append(
                PhaseInSeries(
                    region=None,
                    region_name=region_name(None),
                    group=g,
                    target=target_for.get((None, g)),
                    months=_series(total, this_month),
                    trajectory=_trajectory(g, target_for.get((None, g))),
                )
            )
    return series


# -- process figures per region ------------------------------------------------------------


class _Process:
    """The process figures' counts per region, summed over the regions a figure is for."""

    def __init__(
        self,
        starts: _Starts,
        awaiting_past: Counter[str],
        discharges: Iterable[Row],
        home_visits: Iterable[Row],
        meetings: Iterable[Row],
        as_of: date,
    ) -> None:
        self.starts, self.awaiting_past = starts, awaiting_past
        discharges = list(discharges)
        self.discharged = {row["region"]: (row["before_non_working_days"], row["discharged"]) for row in discharges}
        # Discharges' reasons: kept before non-working days, and the meeting they called for held or not.
        self.discharge_counts = {row["region"]: row for row in discharges}
        self.visits_on_time: Counter[str] = Counter()
        self.visits_due: Counter[str] = Counter()
        self.visits_not_yet_due: Counter[str] = Counter()
        for row in home_visits:
            self._count_visit(row, as_of)
        self.meetings: dict[tuple[str, str], Row] = {(row["region"], row["kind"]): row for row in meetings}

    def _count_visit(self, row: Row, as_of: date) -> None:
        reg, state = row["region"], row["state"]
        if state == "open":
            (self.visits_due if row["due"] < as_of else self.visits_not_yet_due)[reg] += 1
            return
        self.visits_due[reg] += 1
        if state == "done" and row["closed_at"] is not None and copenhagen.local_date(row["closed_at"]) <= row["due"]:
            self.visits_on_time[reg] += 1

    def figures(self, region: str | None, regions: list[str]) -> ProcessFigures:
        def total(counter: Counter[str]) -> int:
            return sum(counter[r] for r in regions)

        return ProcessFigures(
            region=region,
            region_name=region_name(region),
            started_within_14_days=Figure.of(
                total(self.starts.on_time), total(self.starts.measured) + total(self.awaiting_past)
            ),
            awaiting_past_deadline=total(self.awaiting_past),
            accepted_not_started_past_deadline=total(self.starts.not_started_past),
            awaiting_first_contact=total(self.starts.awaiting_contact),
            other_starts=total(self.starts.other),
            other_starts_first_contact=Figure.of(total(self.starts.other_contacted), total(self.starts.other)),
            discharges_before_non_working_days=Figure.of(
                sum(self.discharged.get(r, (0, 0))[0] for r in regions),
                sum(self.discharged.get(r, (0, 0))[1] for r in regions),
            ),
            home_visits_on_first_working_day=Figure.of(total(self.visits_on_time), total(self.visits_due)),
            home_visits_not_yet_due=total(self.visits_not_yet_due),
            discharges_kept_before_non_working_days_with_reason=self._discharge_total(regions, "kept_with_reason"),
            discharges_without_required_meeting=Figure.of(
                self._discharge_total(regions, "meeting_not_held"), self._discharge_total(regions, "meeting_judged")
            ),
            network_meetings=[self._meeting_figures(regions, kind) for kind in MEETING_KINDS],
            meetings_by_occasion=[
                OccasionFigures(
                    occasion=occasion,
                    called=total(self.occasions_called[occasion]),
                    held=total(self.occasions_held[occasion]),
                )
                for occasion in MEETING_OCCASIONS
            ],
            disclosures=[
                DisclosureFigures(
                    basis=basis,
                    without_consent=basis != DISCLOSURE_BASES[0],
                    looks=total(self.disclosure_looks[basis]),
                    pathways=total(self.disclosed_pathways[basis]),
                )
                for basis in DISCLOSURE_BASES
            ],
            acute_contacts=sum(total(c) for c in self.acute_contacts.values()),
            acute_contacts_by_outcome={o: total(self.acute_contacts[o]) for o in acute.OUTCOMES},
            coordinated_courses={
                f"{origin}/{status}": total(self.courses[(origin, status)])
                for origin in get_args(coordinated_course.Origin)
                for status in get_args(coordinated_course.CourseStatus)
            },
        )

    def count_courses(self, rows: Iterable[Row]) -> None:
        """Q_COURSES' rows: per region, origin and status, the coordinated courses."""
        self.courses: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for row in rows:
            self.courses[(row["origin"], row["status"])][row["region"]] += row["n"]

    def count_acute_contacts(self, rows: Iterable[Row]) -> None:
        """Q_ACUTE_CONTACTS' rows: per region and outcome, the contacts at the acute function."""
        self.acute_contacts: dict[str, Counter[str]] = defaultdict(Counter)
        for row in rows:
            self.acute_contacts[row["outcome"]][row["region"]] += row["n"]

    def count_disclosures(self, rows: Iterable[Row]) -> None:
        """Q_DISCLOSURES' rows: per region and basis, the looks and the pathways looked at."""
        self.disclosure_looks: dict[str, Counter[str]] = defaultdict(Counter)
        self.disclosed_pathways: dict[str, Counter[str]] = defaultdict(Counter)
        for row in rows:
            self.disclosure_looks[row["basis"]][row["region"]] += row["looks"]
            self.disclosed_pathways[row["basis"]][row["region"]] += row["pathways"]

    def count_occasions(self, rows: Iterable[Row]) -> None:
        """Q_MEETING_OCCASIONS' rows: per region and occasion, the meetings called and held."""
        self.occasions_called: dict[str, Counter[str]] = defaultdict(Counter)
        self.occasions_held: dict[str, Counter[str]] = defaultdict(Counter)
        for row in rows:
            self.occasions_called[row["occasion"]][row["region"]] += row["called"]
            self.occasions_held[row["occasion"]][row["region"]] += row["held"]

    def _discharge_total(self, regions: list[str], column: str) -> int:
        return sum(self.discharge_counts[r][column] for r in regions if r in self.discharge_counts)

    def _meeting_figures(self, regions: list[str], kind: str) -> MeetingFigures:
        rows = [self.meetings[(r, kind)] for r in regions if (r, kind) in self.meetings]
        total = {k: sum(row[k] for row in rows) for k in _MEETING_COUNTS}
        return MeetingFigures(
            kind=kind,
            called=total["called"],
            cancelled=total["cancelled"],
            open=total["open"],
            open_past_hold_by=total["open_past_hold_by"],
            held=total["held"],
            held_on_time=Figure.of(total["held_on_time"], total["held"] + total["open_past_hold_by"]),
        )
