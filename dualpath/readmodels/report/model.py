"""What the monitoring report says: its figures as models (the API's answer), the fixed rows and
columns it is counted in, and the notes that say how each figure is counted."""

from __future__ import annotations

from datetime import date, datetime
from typing import get_args

from pydantic import BaseModel, Field

from dualpath.domain.ambulatory import PHASE_NAMES, LevelOfCare
from dualpath.domain.legal_basis import CODES as LEGAL_BASIS_CODES
from dualpath.domain.legal_basis import CONSENT
from dualpath.domain.meetings import MeetingKind, MeetingOccasion
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.referral_rules import PhaseInTarget, PhaseInTotal

GROUPS: tuple[int, ...] = (1, 2, 3)
PHASES: tuple[int, ...] = tuple(sorted(PHASE_NAMES))
LEVELS: tuple[str, ...] = tuple(level.value for level in LevelOfCare)
MEETING_KINDS: tuple[str, ...] = get_args(MeetingKind)
MEETING_OCCASIONS: tuple[str, ...] = (*get_args(MeetingOccasion), "not_stated")
DISCLOSURE_BASES: tuple[str, ...] = (CONSENT, *LEGAL_BASIS_CODES)

NOTES = [
    "Started within 14 days (Health Act §82c): treatment starts at the first treatment contact recorded on "
    "the pathway in phase 1, not at visitation's acceptance. The contact's date is compared with the start "
    "deadline (receipt + 14 calendar days, or opening + 14 days for a referral held until its group opened; "
    "weekends and holidays count). The denominator is the accepted referrals whose pathway has its first "
    "contact, plus those accepted without a first contact after their deadline (not started in time; a pathway "
    "ended before its deadline without one is left out), plus the referrals still awaiting visitation after "
    "their deadline. Accepted referrals within their deadline and without a first contact yet are counted "
    "apart (`awaiting_first_contact`); declined, not eligible and attached referrals are not counted. Pathways "
    "accepted before first contacts were recorded count as not started in time until their first contact is "
    "recorded.",
    "Other starts: pathways started by a transition from coordinated treatment or by a group-2 campaign have "
    "no referral and no §82c deadline; they are counted beside the referral figures (`other_starts`, and "
    "those with their first treatment contact recorded) and in the phase-in.",
    "Discharges before non-working days: the share of discharged stays whose discharge day was followed by "
    "a non-working day (weekend, public holiday or a configured closed day).",
    "Home visits on the first working day: home-visit tasks recorded done on or before their due day (the "
    "first working day after discharge). The denominator is the home visits done or not possible, plus open "
    "ones whose due day has passed; cancelled ones and open ones not yet due are left out.",
    "Discharges with reasons: discharges before non-working days kept with the reason why "
    "(`discharges_kept_before_non_working_days_with_reason`), and discharges whose required meeting (a network "
    "meeting after a longer stay, else the conversation about the transition) was not held, with the reason "
    "recorded, out of the discharges judged so (`discharges_without_required_meeting`; discharges recorded before "
    "the rule are left out).",
    "Meetings are counted per kind, and per occasion (`meetings_by_occasion`: phase 4 of the pathway, discharge "
    "from a stay, a transition, other; `not_stated` for meetings called before the occasion was recorded). "
    "Held on time means held on or before `hold_by` (5 working days after being called); its denominator is the "
    "meetings held plus those still open past `hold_by`.",
    "Disclosures to municipalities: allowed looks by municipal staff at a pathway (each route read is one, as "
    "the access log records it) and the pathways looked at, per basis: the patient's consent to dialogue, or, "
    "without consent, the legal basis named (Psychiatry Act §13c for a udskrivningsaftale, §13a, or a "
    "koordinationsplan, §13b).",
    "Acute contacts: contacts at the acute function recorded on a pathway (`POST /pathways/{id}/acute-contacts`), "
    "per region of the pathway and per outcome (sent home, referred on, admitted). Pathways started by an acute "
    "admission (`POST /acute-admissions`) have no referral: they count among the other starts.",
    "Trajectory: the expected cumulative count of each group with a target, rising in even monthly steps from "
    "the month the group opened nationally (phase-in: group 1 September 2024, group 2 July 2025, group 3 July "
    "2026) to its target in December 2027, when the phase-in is to be complete; a region opening a group later "
    "is measured against the national opening.",
    "Coordinated courses: the patients followed in coordinated treatment after a declined referral or a planned "
    "closure (`coordinated_courses`, as origin/status: active, relapsed — referred back to visitation — or ended "
    "after the follow-up period).",
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


class TrajectoryPoint(BaseModel):
    month: str = Field(description="YYYY-MM")
    expected: int = Field(description="Patients expected in the phase-in by the end of the month")


class PhaseInSeries(BaseModel):
    region: str | None
    region_name: str
    group: int
    target: Target | None
    months: list[MonthPoint] = Field(
        description="Every month from the first acceptance to the report's month; empty before any"
    )
    trajectory: list[TrajectoryPoint] = Field(
        default_factory=list,
        description="The expected curve to the target: even steps from the group's opening month to the end of "
        "the phase-in (December 2027); empty without a target",
    )


class MeetingFigures(BaseModel):
    kind: str
    called: int
    cancelled: int
    open: int
    open_past_hold_by: int
    held: int
    held_on_time: Figure


class OccasionFigures(BaseModel):
    occasion: str = Field(description="phase_4 | discharge | transition | other | not_stated")
    called: int
    held: int


class DisclosureFigures(BaseModel):
    """Disclosures of pathways to municipal staff on one basis: the patient's consent (`consent`) or, without it,
    a legal basis (`psychiatry_act_13a`, `psychiatry_act_13b`; domain/legal_basis.py)."""

    basis: str
    without_consent: bool
    looks: int = Field(description="Allowed looks at a pathway, each written to the access log with its basis")
    pathways: int = Field(description="Pathways looked at on this basis")


class ProcessFigures(BaseModel):
    region: str | None
    region_name: str
    started_within_14_days: Figure = Field(description="First treatment contact by the §82c start deadline")
    awaiting_past_deadline: int = Field(description="Awaiting visitation after the start deadline")
    accepted_not_started_past_deadline: int = Field(
        0, description="Accepted, no first treatment contact, and the start deadline has passed"
    )
    awaiting_first_contact: int = Field(0, description="Accepted, within the start deadline, no first contact yet")
    other_starts: int = Field(0, description="Pathways started by a transition or a campaign (no referral)")
    other_starts_first_contact: Figure = Field(
        default_factory=lambda: Figure.of(0, 0),
        description="Of the pathways started by a transition or a campaign, those with their first contact recorded",
    )
    discharges_before_non_working_days: Figure
    home_visits_on_first_working_day: Figure
    home_visits_not_yet_due: int
    discharges_kept_before_non_working_days_with_reason: int = Field(
        0, description="Discharges before non-working days kept with the reason why"
    )
    discharges_without_required_meeting: Figure = Field(
        default_factory=lambda: Figure.of(0, 0),
        description="Discharges whose required meeting was not held (the reason recorded), of those judged so",
    )
    network_meetings: list[MeetingFigures]
    meetings_by_occasion: list[OccasionFigures] = Field(default_factory=list)
    disclosures: list[DisclosureFigures] = Field(
        default_factory=list, description="Disclosures to municipal staff: on consent, and on each legal basis"
    )
    acute_contacts: int = Field(0, description="Contacts at the acute function recorded on pathways")
    acute_contacts_by_outcome: dict[str, int] = Field(
        default_factory=dict, description="The acute contacts per outcome: sent_home, referred, admitted"
    )
    coordinated_courses: dict[str, int] = Field(
        default_factory=dict,
        description="Coordinated courses followed after integrated care, as 'origin/status' (declined_referral or "
        "planned_closure; active, relapsed — referred back to visitation — or ended)",
    )


class CompetenceTotals(BaseModel):
    """The coverage report's totals (issue #15 item 3; GET /reports/competences has the detail): counts only."""

    staff: int = Field(description="Active staff members of the region (all regions: of every region)")
    certified: dict[str, int] = Field(description="Per method (KAT, DAT, MI): staff holding a current certification")
    shares: dict[str, float] = Field(description="Per method: certified / staff")
    renewals_due: int = Field(description="Certifications whose renewal falls due within 90 days")
    supervision_sessions_this_quarter: int
    pathways_lacking_method: int = Field(
        description="Active pathways whose contact person lacks a method the phase names in the catalogue"
    )


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
    competences: CompetenceTotals | None = Field(default=None, description="Staff competences: the coverage totals")


def region_name(region: str | None) -> str:
    return "All regions" if region is None else REGIONS.get(region, region)


def month(d: date) -> str:
    """The report's month of a day: YYYY-MM."""
    return f"{d.year:04d}-{d.month:02d}"
