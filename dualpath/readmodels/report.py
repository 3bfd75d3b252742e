"""The monitoring report (spec §8): counts per region and target group, against the targets.

Per region and target group: referred (by status), accepted, active pathways by
phase and by level of care, ended; the phase-in target and its source where one
exists (targets are data, `domain/data/phase_in_targets.json`); phase-in over
time (accepted per month, and cumulative); and the process figures — started
within 14 days (§82c), discharges before non-working days, home visits on the
first working day, network meetings held and held on time.

Counts only: no pathway, referral or patient id ever leaves this module.

A handful of set-based queries read the read models (one consistent snapshot);
the assembly into `MonitoringReport` is pure (`assemble`), so it can be tested
on rows alone. Dates that depend on an instant (acceptance, a task's closing)
are Copenhagen dates, taken with `copenhagen.local_date` as everywhere else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_args

import asyncpg
from pydantic import BaseModel, Field

from dualpath.domain import copenhagen
from dualpath.domain.ambulatory import PHASE_NAMES, LevelOfCare
from dualpath.domain.meetings import MeetingKind
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.referral_rules import (
    PHASE_IN_STATED_TOTALS,
    PHASE_IN_TARGETS,
    PhaseInTarget,
    PhaseInTotal,
)

GROUPS: tuple[int, ...] = (1, 2, 3)
PHASES: tuple[int, ...] = tuple(sorted(PHASE_NAMES))
LEVELS: tuple[str, ...] = tuple(level.value for level in LevelOfCare)
MEETING_KINDS: tuple[str, ...] = get_args(MeetingKind)
# The referral workflow's stream: `referral-<referral_id>` (its workflow id also names the region).
REFERRAL_STREAM_PREFIX = "referral-"

NOTES = [
    "Started within 14 days (Health Act §82c): a referral is started when visitation accepts it; its "
    "acceptance date (Copenhagen) is compared with its start deadline (receipt + 14 days, or opening + 14 "
    "days for a referral held until its group opened). The denominator is the accepted referrals plus those "
    "still awaiting visitation after their deadline; referrals within their deadline, declined, not eligible "
    "or attached to an open pathway are not counted.",
    "Discharges before non-working days: the share of discharged stays whose discharge day was followed by "
    "a non-working day (weekend, public holiday or a configured closed day).",
    "Home visits on the first working day: home-visit tasks recorded done on or before their due day (the "
    "first working day after discharge). The denominator is the home visits done or not possible, plus open "
    "ones whose due day has passed; cancelled ones and open ones not yet due are left out.",
    "Network meetings are counted per meeting kind. Network meetings at phase 4 and at discharge cannot be "
    "told apart yet (a meeting does not record its occasion), so `network_meeting` counts both. Held on time "
    "means held on or before `hold_by` (5 working days after being called); its denominator is the meetings "
    "held plus those still open past `hold_by`.",
    "Targets are approximate target-group sizes as the source documents state them; the documents' own "
    "totals disagree with the sum of their groups (see `stated_totals`). Only Region Midtjylland has "
    "regional targets; the other regions have none in the sources.",
]


class Figure(BaseModel):
    """A share with what it is made of; `share` is None when the denominator is 0."""

    numerator: int
    denominator: int
    share: float | None

    @classmethod
    def of(cls, numerator: int, denominator: int) -> Figure:
        return cls(numerator=numerator, denominator=denominator,
                   share=numerator / denominator if denominator else None)


class Target(BaseModel):
    patients: int
    source: str


class ReferralCounts(BaseModel):
    referred: int = Field(0, description="All referrals received, whatever became of them")
    awaiting_visitation: int = 0
    held: int = Field(0, description="Held until the target group opens (phase-in)")
    not_eligible: int = 0
    accepted: int = 0
    declined: int = 0
    attached: int = Field(0, description="Joined the patient's open pathway")


class PathwayCounts(BaseModel):
    started: int = 0
    active: int = 0
    active_by_phase: dict[str, int] = Field(description="Active pathways per ambulatory phase, '1' … '4'")
    active_by_level: dict[str, int] = Field(description="Active pathways per level of care")
    ended: int = 0
    ended_by_reason: dict[str, int] = Field(default_factory=dict)


class GroupFigures(BaseModel):
    region: str | None = Field(description="Region code; None for the national sum")
    region_name: str
    group: int | None = Field(description="Target group; None for referrals that fit no group")
    referrals: ReferralCounts
    pathways: PathwayCounts
    target: Target | None = None
    against_target: Figure | None = Field(None, description="Accepted referrals against the target")


class MonthPoint(BaseModel):
    month: str = Field(description="YYYY-MM (Copenhagen)")
    accepted: int
    cumulative: int


class PhaseInSeries(BaseModel):
    region: str | None
    region_name: str
    group: int
    target: Target | None
    months: list[MonthPoint] = Field(
        description="Every month from the first acceptance to the report's month; empty before any")


class MeetingFigures(BaseModel):
    kind: str
    called: int
    cancelled: int
    open: int
    open_past_hold_by: int
    held: int
    held_on_time: Figure


class ProcessFigures(BaseModel):
    region: str | None
    region_name: str
    started_within_14_days: Figure
    awaiting_past_deadline: int = Field(description="Awaiting visitation after the start deadline")
    discharges_before_non_working_days: Figure
    home_visits_on_first_working_day: Figure
    home_visits_not_yet_due: int
    network_meetings: list[MeetingFigures]


class MonitoringReport(BaseModel):
    generated_at: datetime
    as_of: date = Field(description="The report's day (Copenhagen)")
    region: str | None = Field(description="The region reported on; None for all regions")
    groups: list[GroupFigures] = Field(description="Per region and target group")
    national: list[GroupFigures] | None = Field(
        description="Per target group over all regions, against the national targets (all-region reports only)")
    phase_in: list[PhaseInSeries]
    process: list[ProcessFigures] = Field(description="Per region; and national (region None) when all regions")
    targets: list[PhaseInTarget]
    stated_totals: list[PhaseInTotal]
    notes: list[str]


# -- the queries ----------------------------------------------------------------
# $1 is the region (NULL for all), $2 the report's day where a query needs it.
# Each is one aggregate or one narrow scan; joins go through primary keys and
# the pathway_id indexes, and the region filter through the (region, status…) ones.

Q_REFERRALS = """
SELECT region, target_group AS grp, status, count(*)::int AS n,
       count(*) FILTER (WHERE status = 'awaiting_visitation' AND start_deadline < $2)::int AS past_deadline
FROM rm_referrals
WHERE region IS NOT NULL AND ($1::text IS NULL OR region = $1)
GROUP BY region, target_group, status"""

Q_PATHWAYS = """
SELECT region, target_group AS grp, status, phase, level_of_care, end_reason, count(*)::int AS n
FROM rm_pathways
WHERE ($1::text IS NULL OR region = $1)
GROUP BY region, target_group, status, phase, level_of_care, end_reason"""

# The acceptance instant is the ReferralAccepted event's. LATERAL … LIMIT 1
# looks it up per accepted referral through the (stream_id, version) index of
# the referral's own short stream, so the cost follows the referrals, never the
# size of the whole event store.
Q_ACCEPTED = f"""
SELECT r.region, r.target_group AS grp, r.start_deadline, e.recorded_at AS accepted_at
FROM rm_referrals r
CROSS JOIN LATERAL (
    SELECT recorded_at FROM events
    WHERE stream_id = '{REFERRAL_STREAM_PREFIX}' || r.referral_id AND type = 'ReferralAccepted'
    ORDER BY version LIMIT 1
) e
WHERE r.status = 'accepted' AND ($1::text IS NULL OR r.region = $1)"""

Q_DISCHARGES = """
SELECT p.region, count(*)::int AS discharged,
       count(*) FILTER (WHERE s.before_non_working_days)::int AS before_non_working_days
FROM rm_stays s JOIN rm_pathways p ON p.pathway_id = s.pathway_id
WHERE s.discharged_on IS NOT NULL AND ($1::text IS NULL OR p.region = $1)
GROUP BY p.region"""

Q_HOME_VISITS = """
SELECT p.region, t.due, t.state, t.closed_at
FROM rm_tasks t JOIN rm_pathways p ON p.pathway_id = t.pathway_id
WHERE t.kind = 'home_visit' AND t.state <> 'cancelled' AND ($1::text IS NULL OR p.region = $1)"""

Q_MEETINGS = """
SELECT p.region, m.kind, count(*)::int AS called,
       count(*) FILTER (WHERE m.status = 'cancelled')::int AS cancelled,
       count(*) FILTER (WHERE m.status IN ('called', 'scheduled'))::int AS open,
       count(*) FILTER (WHERE m.status IN ('called', 'scheduled') AND m.hold_by < $2)::int AS open_past_hold_by,
       count(*) FILTER (WHERE m.status = 'held')::int AS held,
       count(*) FILTER (WHERE m.status = 'held' AND m.held_on <= m.hold_by)::int AS held_on_time
FROM rm_meetings m JOIN rm_pathways p ON p.pathway_id = m.pathway_id
WHERE ($1::text IS NULL OR p.region = $1)
GROUP BY p.region, m.kind"""


async def monitoring_report(pool: asyncpg.Pool, region: str | None = None, *,
                            now: datetime | None = None) -> MonitoringReport:
    """The report for one region, or for all (region None)."""
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region code {region!r}; known: {', '.join(sorted(REGIONS))}")
    now = now or datetime.now(UTC)
    as_of = copenhagen.local_date(now)
    async with pool.acquire() as conn:
        # One snapshot: the figures agree with each other.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            referrals = await conn.fetch(Q_REFERRALS, region, as_of)
            pathways = await conn.fetch(Q_PATHWAYS, region)
            accepted = await conn.fetch(Q_ACCEPTED, region)
            discharges = await conn.fetch(Q_DISCHARGES, region)
            home_visits = await conn.fetch(Q_HOME_VISITS, region)
            meetings = await conn.fetch(Q_MEETINGS, region, as_of)
    return assemble(
        generated_at=now, as_of=as_of, region=region, referrals=referrals, pathways=pathways, accepted=accepted,
        discharges=discharges, home_visits=home_visits, meetings=meetings,
    )


# -- the assembly (pure) ----------------------------------------------------------

Row = Mapping[str, Any]
_STATUS_FIELD = {
    "awaiting_visitation": "awaiting_visitation", "held_until_phase_in": "held", "not_eligible": "not_eligible",
    "accepted": "accepted", "declined": "declined", "attached": "attached",
}


def _region_name(region: str | None) -> str:
    return "All regions" if region is None else REGIONS.get(region, region)


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


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
    for month in _months(min(per_month), max(through, max(per_month))):
        total += per_month[month]
        points.append(MonthPoint(month=month, accepted=per_month[month], cumulative=total))
    return points


def _empty_pathways() -> PathwayCounts:
    return PathwayCounts(active_by_phase={str(p): 0 for p in PHASES}, active_by_level=dict.fromkeys(LEVELS, 0))


def _add_pathways(into: PathwayCounts, other: PathwayCounts) -> None:
    into.started += other.started
    into.active += other.active
    into.ended += other.ended
    for k, n in other.active_by_phase.items():
        into.active_by_phase[k] = into.active_by_phase.get(k, 0) + n
    for k, n in other.active_by_level.items():
        into.active_by_level[k] = into.active_by_level.get(k, 0) + n
    for k, n in other.ended_by_reason.items():
        into.ended_by_reason[k] = into.ended_by_reason.get(k, 0) + n


def assemble(*, generated_at: datetime, as_of: date, region: str | None, referrals: Iterable[Row],
             pathways: Iterable[Row], accepted: Iterable[Row], discharges: Iterable[Row],
             home_visits: Iterable[Row], meetings: Iterable[Row],
             targets: list[PhaseInTarget] = PHASE_IN_TARGETS,
             stated_totals: list[PhaseInTotal] = PHASE_IN_STATED_TOTALS) -> MonitoringReport:
    """The report from the queries' rows (see the Q_* queries for each row's columns)."""
    regions = [region] if region is not None else sorted(REGIONS)
    target_for = {(t.region, t.group): Target(patients=t.patients, source=t.source) for t in targets}
    this_month = _month(as_of)

    # Per (region, group): referral and pathway counts.
    keys: set[tuple[str, int | None]] = {(r, g) for r in regions for g in GROUPS}
    ref_counts: dict[tuple[str, int | None], ReferralCounts] = defaultdict(ReferralCounts)
    awaiting_past: Counter[str] = Counter()
    for row in referrals:
        key = (row["region"], row["grp"])
        keys.add(key)
        counts = ref_counts[key]
        counts.referred += row["n"]
        field = _STATUS_FIELD.get(row["status"])
        if field is not None:
            setattr(counts, field, getattr(counts, field) + row["n"])
        awaiting_past[row["region"]] += row["past_deadline"]

    path_counts: dict[tuple[str, int | None], PathwayCounts] = defaultdict(_empty_pathways)
    for row in pathways:
        key = (row["region"], row["grp"])
        keys.add(key)
        counts = path_counts[key]
        counts.started += row["n"]
        if row["status"] == "active":
            counts.active += row["n"]
            phase, level = str(row["phase"]), row["level_of_care"] or "none"
            counts.active_by_phase[phase] = counts.active_by_phase.get(phase, 0) + row["n"]
            counts.active_by_level[level] = counts.active_by_level.get(level, 0) + row["n"]
        elif row["status"] == "ended":
            counts.ended += row["n"]
            reason = row["end_reason"] or "unknown"
            counts.ended_by_reason[reason] = counts.ended_by_reason.get(reason, 0) + row["n"]

    def figures(reg: str | None, group: int | None, refs: ReferralCounts, paths: PathwayCounts) -> GroupFigures:
        target = target_for.get((reg, group)) if group is not None else None
        return GroupFigures(
            region=reg, region_name=_region_name(reg), group=group, referrals=refs, pathways=paths, target=target,
            against_target=Figure.of(refs.accepted, target.patients) if target else None,
        )

    def order(key: tuple[str | None, int | None]) -> tuple:
        return (key[0] or "", 99 if key[1] is None else key[1])

    groups = [
        figures(r, g, ref_counts.get((r, g), ReferralCounts()), path_counts.get((r, g), _empty_pathways()))
        for r, g in sorted(keys, key=order)
    ]

    national = None
    if region is None:
        by_group: dict[int | None, tuple[ReferralCounts, PathwayCounts]] = {}
        for gf in groups:
            refs, paths = by_group.setdefault(gf.group, (ReferralCounts(), _empty_pathways()))
            for name in ReferralCounts.model_fields:
                setattr(refs, name, getattr(refs, name) + getattr(gf.referrals, name))
            _add_pathways(paths, gf.pathways)
        national = [figures(None, g, *by_group[g]) for g in sorted(by_group, key=lambda g: 99 if g is None else g)]

    # Phase-in over time and started within 14 days: one pass over the acceptances.
    per_month: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    started_on_time: Counter[str] = Counter()
    started: Counter[str] = Counter()
    for row in accepted:
        on = copenhagen.local_date(row["accepted_at"])
        if row["grp"] is not None:
            per_month[(row["region"], row["grp"])][_month(on)] += 1
        started[row["region"]] += 1
        if row["start_deadline"] is not None and on <= row["start_deadline"]:
            started_on_time[row["region"]] += 1

    phase_in = [
        PhaseInSeries(region=r, region_name=_region_name(r), group=g, target=target_for.get((r, g)),
                      months=_series(per_month.get((r, g), Counter()), this_month))
        for r in regions for g in GROUPS
    ]
    if region is None:
        for g in GROUPS:
            total: Counter[str] = Counter()
            for r in regions:
                total.update(per_month.get((r, g), Counter()))
            phase_in.append(PhaseInSeries(region=None, region_name=_region_name(None), group=g,
                                          target=target_for.get((None, g)), months=_series(total, this_month)))

    # Process figures per region.
    discharged = {row["region"]: (row["before_non_working_days"], row["discharged"]) for row in discharges}
    visits_on_time: Counter[str] = Counter()
    visits_due: Counter[str] = Counter()
    visits_not_yet_due: Counter[str] = Counter()
    for row in home_visits:
        reg, state = row["region"], row["state"]
        if state == "open":
            if row["due"] < as_of:
                visits_due[reg] += 1
            else:
                visits_not_yet_due[reg] += 1
            continue
        visits_due[reg] += 1
        if state == "done" and row["closed_at"] is not None and copenhagen.local_date(row["closed_at"]) <= row["due"]:
            visits_on_time[reg] += 1
    meeting_rows: dict[tuple[str, str], Row] = {(row["region"], row["kind"]): row for row in meetings}

    def meeting_figures(regs: list[str], kind: str) -> MeetingFigures:
        rows = [meeting_rows[(r, kind)] for r in regs if (r, kind) in meeting_rows]
        total = {k: sum(row[k] for row in rows) for k in
                 ("called", "cancelled", "open", "open_past_hold_by", "held", "held_on_time")}
        return MeetingFigures(
            kind=kind, called=total["called"], cancelled=total["cancelled"], open=total["open"],
            open_past_hold_by=total["open_past_hold_by"], held=total["held"],
            held_on_time=Figure.of(total["held_on_time"], total["held"] + total["open_past_hold_by"]),
        )

    def process(reg: str | None) -> ProcessFigures:
        regs = [reg] if reg is not None else regions
        s = lambda counter: sum(counter[r] for r in regs)  # noqa: E731
        return ProcessFigures(
            region=reg, region_name=_region_name(reg),
            started_within_14_days=Figure.of(s(started_on_time), s(started) + s(awaiting_past)),
            awaiting_past_deadline=s(awaiting_past),
            discharges_before_non_working_days=Figure.of(sum(discharged.get(r, (0, 0))[0] for r in regs),
                                                         sum(discharged.get(r, (0, 0))[1] for r in regs)),
            home_visits_on_first_working_day=Figure.of(s(visits_on_time), s(visits_due)),
            home_visits_not_yet_due=s(visits_not_yet_due),
            network_meetings=[meeting_figures(regs, k) for k in MEETING_KINDS],
        )

    return MonitoringReport(
        generated_at=generated_at, as_of=as_of, region=region, groups=groups, national=national, phase_in=phase_in,
        process=[process(r) for r in regions] + ([process(None)] if region is None else []),
        targets=list(targets), stated_totals=list(stated_totals), notes=list(NOTES),
    )


# -- presenting it ------------------------------------------------------------------

def _pct(f: Figure | None) -> str:
    if f is None:
        return "-"
    if f.share is None:
        return f"{f.numerator}/{f.denominator} (-)"
    return f"{f.numerator}/{f.denominator} ({f.share:.1%})"


def _table(headers: list[str], rows: list[list[Any]], left: int = 2) -> list[str]:
    """Aligned columns: the first `left` to the left, the figures to the right."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return [line(headers), line(["-" * w for w in widths]), *map(line, rows)]


def render_text(report: MonitoringReport) -> str:
    """The report as plain-text tables (what `dualpath report` prints)."""
    scope = _region_name(report.region) if report.region else "all regions"
    out = [f"Monitoring report, {scope}, as of {report.as_of} (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)",
           ""]
    headers = ["region", "group", "referred", "awaiting", "held", "not elig.", "accepted", "declined", "attached",
               "active", *[f"ph{p}" for p in PHASES], "ended", "target", "accepted/target"]
    rows = []
    for gf in [*report.groups, *(report.national or [])]:
        r, p = gf.referrals, gf.pathways
        rows.append([
            gf.region_name, "-" if gf.group is None else str(gf.group), r.referred, r.awaiting_visitation, r.held,
            r.not_eligible, r.accepted, r.declined, r.attached, p.active,
            *[p.active_by_phase.get(str(ph), 0) for ph in PHASES], p.ended,
            f"{gf.target.patients:,}" if gf.target else "-", _pct(gf.against_target) if gf.target else "-",
        ])
    out += ["Referrals and pathways per region and target group", *_table(headers, rows), ""]

    levels = sorted({lv for gf in report.groups for lv in gf.pathways.active_by_level},
                    key=lambda lv: (LEVELS.index(lv) if lv in LEVELS else len(LEVELS), lv))
    rows = [[gf.region_name, "-" if gf.group is None else str(gf.group),
             *[gf.pathways.active_by_level.get(lv, 0) for lv in levels]]
            for gf in [*report.groups, *(report.national or [])] if gf.pathways.active]
    out += ["Active pathways by level of care", *(_table(["region", "group", *levels], rows) if rows else ["(none)"]),
            ""]

    rows = []
    for s in report.phase_in:
        last = s.months[-1].cumulative if s.months else 0
        recent = ", ".join(f"{m.month}: {m.accepted}" for m in s.months[-3:]) or "-"
        rows.append([s.region_name, str(s.group), last, f"{s.target.patients:,}" if s.target else "-", recent])
    out += ["Phase-in (accepted, cumulative; the last three months)",
            *_table(["region", "group", "cumulative", "target", "recent months"], rows), ""]

    rows = [[pf.region_name, _pct(pf.started_within_14_days), pf.awaiting_past_deadline,
             _pct(pf.discharges_before_non_working_days), _pct(pf.home_visits_on_first_working_day),
             pf.home_visits_not_yet_due] for pf in report.process]
    out += ["Process figures",
            *_table(["region", "started <= 14 days", "awaiting past deadline", "discharged before non-working day",
                     "home visit 1st working day", "home visits not yet due"], rows, left=1), ""]

    rows = [[pf.region_name, m.kind, m.called, m.cancelled, m.open, m.open_past_hold_by, m.held,
             _pct(m.held_on_time)] for pf in report.process for m in pf.network_meetings]
    out += ["Meetings per kind (network meetings at phase 4 and at discharge are counted together)",
            *_table(["region", "kind", "called", "cancelled", "open", "open past hold-by", "held", "held on time"],
                    rows), ""]

    out += ["Targets (with their source)"]
    for t in report.targets:
        out.append(f"  group {t.group}, {_region_name(t.region) if t.region else 'national'}: "
                   f"{t.patients:,} — {t.source}")
    for t in report.stated_totals:
        out.append(f"  stated total, {_region_name(t.region) if t.region else 'national'}: "
                   f"{t.patients:,} — {t.source}")
    out += ["", "Notes", *[f"  - {n}" for n in report.notes]]
    return "\n".join(out)


def write_phase_in_png(report: MonitoringReport, path: str | Path) -> None:
    """Cumulative accepted per target group against its target, as a PNG chart.

    All-region reports chart the national series; a region's report its own.
    Needs matplotlib (ImportError when it is missing).
    """
    from matplotlib.figure import Figure as Chart  # no pyplot: no global state, no display

    series = [s for s in report.phase_in if s.region == report.region]
    months = sorted({m.month for s in series for m in s.months}) or [_month(report.as_of)]
    index = {m: i for i, m in enumerate(months)}
    chart = Chart(figsize=(10, 5.5), dpi=100)
    ax = chart.add_subplot()
    colours = {1: "tab:blue", 2: "tab:orange", 3: "tab:green"}
    for s in series:
        colour = colours.get(s.group, "tab:gray")
        if s.months:
            ax.plot([index[m.month] for m in s.months], [m.cumulative for m in s.months], marker="o",
                    markersize=3, color=colour, label=f"group {s.group}: accepted, cumulative")
        if s.target:
            ax.axhline(s.target.patients, color=colour, linestyle="--", linewidth=1,
                       label=f"group {s.group}: target {s.target.patients:,}")
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), [months[i] for i in range(0, len(months), step)], rotation=45,
                  ha="right")
    ax.set_xlim(-0.5, max(len(months) - 0.5, 0.5))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("patients")
    ax.set_title(f"Phase-in against targets, {_region_name(report.region)}, as of {report.as_of}")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    sources = sorted({s.target.source for s in series if s.target})
    chart.text(0.01, 0.01, "Targets: " + ("; ".join(sources) if sources else "none stated for this region"),
               fontsize=7, wrap=True)
    chart.tight_layout(rect=(0, 0.04, 1, 1))
    chart.savefig(path, format="png")
