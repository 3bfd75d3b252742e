"""The monitoring report (spec §8): counts per region and target group, against the targets.

Per region and target group: referred (by status), accepted, active pathways by
phase and by level of care, ended; the phase-in target and its source where one
exists (targets are data, `domain/data/phase_in_targets.json`); phase-in over
time (accepted per month, and cumulative); and the process figures — started
within 14 days (§82c), discharges before non-working days, home visits on the
first working day, network meetings held and held on time.

Counts only: no pathway, referral or patient id ever leaves this module.

Its parts: `model` (what the report says), `queries` (the reads, in one
snapshot), `assembly` (the figures from the rows, pure), `text` (the tables
`dualpath report` prints) and `chart` (the phase-in PNG, with matplotlib).
"""

from dualpath.readmodels.report.assembly import assemble
from dualpath.readmodels.report.chart import write_phase_in_png
from dualpath.readmodels.report.model import Figure, MonitoringReport
from dualpath.readmodels.report.queries import monitoring_report
from dualpath.readmodels.report.text import render_text

__all__ = ["Figure", "MonitoringReport", "assemble", "monitoring_report", "render_text", "write_phase_in_png"]
