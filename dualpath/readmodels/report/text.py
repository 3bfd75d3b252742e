"""The monitoring report as plain-text tables: what `dualpath report` prints."""

from __future__ import annotations

from typing import Any

from dualpath.domain import acute
from dualpath.readmodels.report.model import LEVELS, PHASES, Figure, MonitoringReport, region_name


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
        str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    return [line(headers), line(["-" * w for w in widths]), *map(line, rows)]


def render_text(report: MonitoringReport) -> str:
    """The report as plain-text tables (what `dualpath report` prints)."""
    scope = region_name(report.region) if report.region else "all regions"
    out = [f"Monitoring report, {scope}, as of {report.as_of} (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)", ""]
    for section in (
        _groups,
        _levels,
        _phase_in,
        _process,
        _start_of_treatment,
        _discharges,
        _meetings,
        _occasions,
        _disclosures,
        _acute_contacts,
        _courses,
    ):
        out += [*section(report), ""]
    out += _targets(report)
    out += ["", "Notes", *[f"  - {n}" for n in report.notes]]
    return "\n".join(out)


def _group(group: int | None) -> str:
    return "-" if group is None else str(group)


def _groups(report: MonitoringReport) -> list[str]:
    headers = [
        "region",
        "group",
        "referred",
        "awaiting",
        "held",
        "not elig.",
        "accepted",
        "declined",
        "attached",
        "active",
        *[f"ph{p}" for p in PHASES],
        "ended",
        "target",
        "accepted/target",
    ]
    rows = []
    for gf in [*report.groups, *(report.national or [])]:
        r, p = gf.referrals, gf.pathways
        rows.append(
            [
                gf.region_name,
                _group(gf.group),
                r.referred,
                r.awaiting_visitation,
                r.held,
                r.not_eligible,
                r.accepted,
                r.declined,
                r.attached,
                p.active,
                *[p.active_by_phase.get(str(ph), 0) for ph in PHASES],
                p.ended,
                f"{gf.target.patients:,}" if gf.target else "-",
                _pct(gf.against_target) if gf.target else "-",
            ]
        )
    return ["Referrals and pathways per region and target group", *_table(headers, rows)]


def _levels(report: MonitoringReport) -> list[str]:
    levels = sorted(
        {lv for gf in report.groups for lv in gf.pathways.active_by_level},
        key=lambda lv: (LEVELS.index(lv) if lv in LEVELS else len(LEVELS), lv),
    )
    rows: list[list[Any]] = [
        [gf.region_name, _group(gf.group), *[gf.pathways.active_by_level.get(lv, 0) for lv in levels]]
        for gf in [*report.groups, *(report.national or [])]
        if gf.pathways.active
    ]
    return ["Active pathways by level of care", *(_table(["region", "group", *levels], rows) if rows else ["(none)"])]


def _phase_in(report: MonitoringReport) -> list[str]:
    rows = []
    for s in report.phase_in:
        last = s.months[-1].cumulative if s.months else 0
        recent = ", ".join(f"{m.month}: {m.accepted}" for m in s.months[-3:]) or "-"
        due = [t.expected for t in s.trajectory if t.month <= f"{report.as_of:%Y-%m}"]
        expected = f"{due[-1]:,}" if due else "-"
        target = f"{s.target.patients:,}" if s.target else "-"
        rows.append([s.region_name, str(s.group), last, expected, target, recent])
    return [
        "Phase-in (accepted, cumulative; expected by now on the trajectory to the end of 2027; the last three months)",
        *_table(["region", "group", "cumulative", "expected now", "target", "recent months"], rows),
    ]


def _process(report: MonitoringReport) -> list[str]:
    rows: list[list[Any]] = [
        [
            pf.region_name,
            _pct(pf.started_within_14_days),
            pf.awaiting_past_deadline,
            _pct(pf.discharges_before_non_working_days),
            _pct(pf.home_visits_on_first_working_day),
            pf.home_visits_not_yet_due,
        ]
        for pf in report.process
    ]
    return [
        "Process figures",
        *_table(
            [
                "region",
                "started <= 14 days",
                "awaiting past deadline",
                "discharged before non-working day",
                "home visit 1st working day",
                "home visits not yet due",
            ],
            rows,
            left=1,
        ),
    ]


def _start_of_treatment(report: MonitoringReport) -> list[str]:
    """§82c measured to the first treatment contact, and beside it the pathways started without a referral."""
    rows: list[list[Any]] = [
        [
            pf.region_name,
            _pct(pf.started_within_14_days),
            pf.accepted_not_started_past_deadline,
            pf.awaiting_past_deadline,
            pf.awaiting_first_contact,
            pf.other_starts,
            _pct(pf.other_starts_first_contact),
        ]
        for pf in report.process
    ]
    return [
        "Start of treatment (§82c: from receipt to the first treatment contact; other starts beside)",
        *_table(
            [
                "region",
                "1st contact <= 14 days",
                "accepted, not started, past deadline",
                "awaiting visitation past deadline",
                "awaiting 1st contact",
                "other starts",
                "other starts with 1st contact",
            ],
            rows,
            left=1,
        ),
    ]


def _meetings(report: MonitoringReport) -> list[str]:
    rows: list[list[Any]] = [
        [pf.region_name, m.kind, m.called, m.cancelled, m.open, m.open_past_hold_by, m.held, _pct(m.held_on_time)]
        for pf in report.process
        for m in pf.network_meetings
    ]
    return [
        "Meetings per kind",
        *_table(["region", "kind", "called", "cancelled", "open", "open past hold-by", "held", "held on time"], rows),
    ]


def _discharges(report: MonitoringReport) -> list[str]:
    """The rules a discharge may break only with its reason on record."""
    rows: list[list[Any]] = [
        [
            pf.region_name,
            _pct(pf.discharges_before_non_working_days),
            pf.discharges_kept_before_non_working_days_with_reason,
            _pct(pf.discharges_without_required_meeting),
        ]
        for pf in report.process
    ]
    return [
        "Discharges with reasons (before non-working days; without the meeting the stay called for)",
        *_table(
            ["region", "before non-working day", "kept with reason", "required meeting not held (reason)"], rows, left=1
        ),
    ]


def _occasions(report: MonitoringReport) -> list[str]:
    rows: list[list[Any]] = [
        [pf.region_name, o.occasion, o.called, o.held] for pf in report.process for o in pf.meetings_by_occasion
    ]
    return [
        "Meetings per occasion (phase 4, discharge, transition, other; not stated before it was recorded)",
        *_table(["region", "occasion", "called", "held"], rows, left=2),
    ]


def _disclosures(report: MonitoringReport) -> list[str]:
    rows: list[list[Any]] = [
        [pf.region_name, d.basis, "without consent" if d.without_consent else "consent", d.looks, d.pathways]
        for pf in report.process
        for d in pf.disclosures
    ]
    return [
        "Disclosures to municipalities: on consent, and without consent on a legal basis (Psychiatry Act §13c)",
        *(_table(["region", "basis", "on", "looks", "pathways"], rows, left=3) if rows else ["(none)"]),
    ]


def _acute_contacts(report: MonitoringReport) -> list[str]:
    outcomes = list(acute.OUTCOMES)
    rows: list[list[Any]] = [
        [pf.region_name, pf.acute_contacts, *[pf.acute_contacts_by_outcome.get(o, 0) for o in outcomes]]
        for pf in report.process
    ]
    return [
        "Contacts at the acute function recorded on pathways, per outcome",
        *_table(["region", "contacts", *outcomes], rows, left=1),
    ]


def _courses(report: MonitoringReport) -> list[str]:
    keys = list(report.process[0].coordinated_courses) if report.process else []
    rows: list[list[Any]] = [[pf.region_name, *[pf.coordinated_courses[k] for k in keys]] for pf in report.process]
    return [
        "Coordinated courses after integrated care (origin/status)",
        *(_table(["region", *keys], rows, left=1) if keys else ["(none)"]),
    ]


def _targets(report: MonitoringReport) -> list[str]:
    out = ["Targets (with their source)"]
    for t in report.targets:
        out.append(
            f"  group {t.group}, {region_name(t.region) if t.region else 'national'}: {t.patients:,} — {t.source}"
        )
    for s in report.stated_totals:
        out.append(f"  stated total, {region_name(s.region) if s.region else 'national'}: {s.patients:,} — {s.source}")
    return out
