"""The monitoring report's phase-in chart as a PNG.

matplotlib is imported inside the function: the production image does not install it (it is an
extra that `make run` installs), and everything else in the report works without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dualpath.readmodels.report.model import MonitoringReport, month, region_name


def write_phase_in_png(report: MonitoringReport, path: str | Path) -> None:
    """Cumulative accepted per target group against its target, as a PNG chart.

    All-region reports chart the national series; a region's report its own.
    Needs matplotlib (ImportError when it is missing).
    """
    from matplotlib.figure import Figure as Chart  # no pyplot: no global state, no display

    series = [s for s in report.phase_in if s.region == report.region]
    # The axis runs on to the end of the expected curve (the end of the phase-in).
    months = sorted({m.month for s in series for m in s.months} | {t.month for s in series for t in s.trajectory})
    months = months or [month(report.as_of)]
    index = {m: i for i, m in enumerate(months)}
    chart = Chart(figsize=(10, 5.5), dpi=100)
    ax = chart.add_subplot()
    colours = {1: "tab:blue", 2: "tab:orange", 3: "tab:green"}
    for s in series:
        colour = colours.get(s.group, "tab:gray")
        # The accepted (a line with points) and the expected curve to the target (dotted), when there are any.
        lines: tuple[tuple[list[tuple[str, int]], str, dict[str, Any]], ...] = (
            ([(m.month, m.cumulative) for m in s.months], "accepted, cumulative", {"marker": "o", "markersize": 3}),
            ([(t.month, t.expected) for t in s.trajectory], "expected", {"linestyle": ":", "linewidth": 1.2}),
        )
        for points, what, style in lines:
            if points:
                xs, ys = [index[m] for m, _ in points], [y for _, y in points]
                ax.plot(xs, ys, color=colour, label=f"group {s.group}: {what}", **style)
        if s.target:
            ax.axhline(
                s.target.patients,
                color=colour,
                linestyle="--",
                linewidth=1,
                label=f"group {s.group}: target {s.target.patients:,}",
            )
    step = max(1, len(months) // 12)
    ax.set_xticks(
        range(0, len(months), step), [months[i] for i in range(0, len(months), step)], rotation=45, ha="right"
    )
    ax.set_xlim(-0.5, max(len(months) - 0.5, 0.5))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("patients")
    ax.set_title(f"Phase-in against targets, {region_name(report.region)}, as of {report.as_of}")
    ax.grid(True, alpha=0.3)
    # §82c beside the phase-in, in the plot's upper right corner (the legend is upper left).
    ax.text(
        0.99,
        0.97,
        _start_of_treatment_lines(report),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"},
    )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    sources = sorted({s.target.source for s in series if s.target})
    chart.text(
        0.01,
        0.01,
        "Targets: " + ("; ".join(sources) if sources else "none stated for this region"),
        fontsize=7,
        wrap=True,
    )
    chart.text(0.01, 0.045, _disclosures_line(report), fontsize=7, wrap=True)
    chart.text(0.01, 0.08, _discharges_line(report), fontsize=7, wrap=True)
    chart.tight_layout(rect=(0, 0.115, 1, 1))
    chart.savefig(path, format="png")


def _discharges_line(report: MonitoringReport) -> str:
    """Discharges with reasons, and the meetings held per occasion, for the chart's region (or all)."""
    pf = next((p for p in report.process if p.region == report.region), None)
    if pf is None:
        return "Discharges: none counted"
    without = pf.discharges_without_required_meeting
    held = "; ".join(f"{o.occasion} {o.held}/{o.called}" for o in pf.meetings_by_occasion if o.called)
    return (
        "Discharges before non-working days kept with reason: "
        f"{pf.discharges_kept_before_non_working_days_with_reason}; "
        f"without the required meeting (reason recorded): {without.numerator}/{without.denominator}. "
        f"Meetings held/called per occasion: {held or 'none'}"
    )


def _disclosures_line(report: MonitoringReport) -> str:
    """The disclosures to municipalities, on consent and on each legal basis, for the chart's region (or all)."""
    figures = next((pf for pf in report.process if pf.region == report.region), None)
    if figures is None or not figures.disclosures:
        return "Disclosures to municipalities: none counted"
    parts = [
        f"{d.basis} {d.looks} looks / {d.pathways} pathways" + (" (without consent)" if d.without_consent else "")
        for d in figures.disclosures
    ]
    return "Disclosures to municipalities: " + "; ".join(parts)


def _start_of_treatment_lines(report: MonitoringReport) -> str:
    """§82c measured to the first treatment contact, and the other starts beside, for the chart's region (or all)."""
    pf = next((p for p in report.process if p.region == report.region), None)
    if pf is None:
        return "Started within 14 days (§82c, to the first treatment contact): -"
    f = pf.started_within_14_days
    share = "-" if f.share is None else f"{f.share:.0%}"
    other = pf.other_starts_first_contact
    return "\n".join(
        [
            f"Started within 14 days (§82c, to the first treatment contact): {f.numerator}/{f.denominator} ({share})",
            f"accepted, not started past deadline: {pf.accepted_not_started_past_deadline}; "
            f"awaiting first contact: {pf.awaiting_first_contact}",
            f"other starts (transition, campaign): {pf.other_starts}, with first contact {other.numerator}",
        ]
    )
