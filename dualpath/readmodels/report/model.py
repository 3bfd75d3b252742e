"""What the monitoring report says: its figures as models (the API's answer), the fixed rows and
columns it is counted in, and the notes that say how each figure is counted."""

from __future__ import annotations

from datetime import date, datetime
from typing import get_args

from pydantic import BaseModel, Field

from dualpath.domain.ambulatory import PHASE_NAMES, LevelOfCare
from dualpath.domain.meetings import MeetingKind
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.referral_rules import PhaseInTarget, PhaseInTotal

GROUPS: tuple[int, ...] = (1, 2, 3)
PHASES: tuple[int, ...] = tuple(sorted(PHASE_NAMES))
LEVELS: tuple[str, ...] = tuple(level.value for level in LevelOfCare)
MEETING_KINDS: tuple[str, ...] = get_args(MeetingKind)

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
        return cls(numerator=numerator, denominator=denominator, share=numerator / denominator if denominator else None)


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
        description="Every month from the first acceptance to the report's month; empty before any"
    )


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
        description="Per target group over all regions, against the national targets (all-region reports only)"
    )
    phase_in: list[PhaseInSeries]
    process: list[ProcessFigures] = Field(description="Per region; and national (region None) when all regions")
    targets: list[PhaseInTarget]
    stated_totals: list[PhaseInTotal]
    notes: list[str]


def region_name(region: str | None) -> str:
    return "All regions" if region is None else REGIONS.get(region, region)


def month(d: date) -> str:
    """The report's month of a day: YYYY-MM."""
    return f"{d.year:04d}-{d.month:02d}"
