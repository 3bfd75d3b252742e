"""The monitoring report's phase-in chart as a PNG.

matplotlib is imported inside the function: the production image does not install it (it is an
extra that `make run` installs), and everything else in the report works without it.
"""

from __future__ import annotations

from pathlib import Path

from dualpath.readmodels.report.model import MonitoringReport, month, region_name


def write_phase_in_png(report: MonitoringReport, path: str | Path) -> None:
    """Cumulative accepted per target group against its target, as a PNG chart.

    All-region reports chart the national series; a region's report its own.
    Needs matplotlib (ImportError when it is missing).
    """
    from matplotlib.figure import Figure as Chart  # no pyplot: no global state, no display

    series = [s for s in report.phase_in if s.region == report.region]
    months = sorted({m.month for s in series for m in s.months}) or [month(report.as_of)]
    index = {m: i for i, m in enumerate(months)}
    chart = Chart(figsize=(10, 5.5), dpi=100)
    ax = chart.add_subplot()
    colours = {1: "tab:blue", 2: "tab:orange", 3: "tab:green"}
    for s in series:
        colour = colours.get(s.group, "tab:gray")
        if s.months:
            ax.plot(
                [index[m.month] for m in s.months],
                [m.cumulative for m in s.months],
                marker="o",
                markersize=3,
                color=colour,
                label=f"group {s.group}: accepted, cumulative",
            )
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
    chart.tight_layout(rect=(0, 0.04, 1, 1))
    chart.savefig(path, format="png")
