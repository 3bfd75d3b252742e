"""Domain events: small, past-tense, immutable facts in the clinical record.

The event store keeps `type` (the class name) and `data` (the model's JSON).
Who did it travels in the event's metadata (`Actor`), so every fact answers
"who decided, and when".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dualpath.domain.tasks import TaskFacts


class Actor(BaseModel):
    """A member of staff (or the engine itself) as it appears in the record."""

    model_config = ConfigDict(frozen=True)
    subject: str
    role: str
    organisation: str

    @classmethod
    def engine(cls) -> Actor:
        return cls(subject="dualpath", role="engine", organisation="dualpath")


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class ReferralRecord(BaseModel):
    """A referral as it came in and was assessed: the event records it, the workflow starts from it and
    the read model shows it (without the patient, whom the event and the workflow name)."""

    referral_id: str
    source: str
    municipality: str
    region: str | None
    group: int | None
    status: str
    received_on: date
    start_deadline: date | None
    opens_on: date | None
    reasons: list[str]
    # A referral back to visitation from a coordinated course (a relapse): the course it came from.
    from_coordinated_course: str | None = None


class ReferralReceived(DomainEvent, ReferralRecord):
    patient_id: str


class ReferralReleased(DomainEvent):
    referral_id: str
    group: int
    released_on: date


class ReferralDeadlineApproaching(DomainEvent):
    referral_id: str
    start_deadline: date


class ReferralDeadlinePassed(DomainEvent):
    referral_id: str
    start_deadline: date


class ReferralAccepted(DomainEvent):
    referral_id: str
    pathway_id: str
    setting: Literal["ambulatory", "inpatient"]


class ReferralDeclined(DomainEvent):
    referral_id: str
    reason: str
    to_level: str
    # The coordinated course that follows the patient after the decline (None before issue #18 item 9).
    coordinated_course_id: str | None = None


class ReferralAttached(DomainEvent):
    """A second referral for a patient whose pathway is open joins that pathway."""

    referral_id: str
    pathway_id: str


class PathwayFacts(BaseModel):
    """What a pathway starts from and keeps: the event records it, the workflow's state carries it."""

    pathway_id: str
    referral_id: str  # its origin: the referral, or the transition or campaign that stands where one would
    patient_id: str
    group: int | None
    region: str
    municipality: str
    catalogue_version: str
    # The §82c clock (Health Act): the referral's receipt and the day treatment must start by. None for a
    # pathway started by a transition or a campaign (no referral), and in pathways started before the clock.
    received_on: date | None = None
    start_deadline: date | None = None


class PathwayStarted(DomainEvent, PathwayFacts):
    phase: int
    level_of_care: str


class FirstTreatmentContact(DomainEvent):
    """The first treatment contact of the integrated course (spec §1, recorded in phase 1): treatment has
    started. `within_deadline` compares it with the §82c start deadline (None when the pathway has none)."""

    pathway_id: str
    contact_on: date
    phase: int
    received_on: date | None
    start_deadline: date | None
    within_deadline: bool | None


class FirstContactDeadlineApproaching(DomainEvent):
    """The §82c start deadline draws near and no first treatment contact is recorded (a task is opened)."""

    pathway_id: str
    start_deadline: date


class FirstContactDeadlinePassed(DomainEvent):
    """The §82c start deadline passed without a first treatment contact (escalated)."""

    pathway_id: str
    start_deadline: date


class PhaseChanged(DomainEvent):
    pathway_id: str
    from_phase: int
    to_phase: int
    reason: str | None


class LevelOfCareChanged(DomainEvent):
    pathway_id: str
    from_level: str | None
    to_level: str | None
    reason: str
    # A clinician's decision on the patient's needs; False: derived from a phase move, admission, discharge or end.
    decided: bool = False


class PathwayEnded(DomainEvent):
    pathway_id: str
    phase: int
    reason_kind: str
    reason: str | None


class TaskOpened(DomainEvent, TaskFacts):
    # Whose task it is (a transition's and a campaign's tasks carry their id in `referral_id`).
    pathway_id: str | None = None
    referral_id: str | None = None
    stay_id: str | None = None


class TaskCompleted(DomainEvent):
    task_id: str
    outcome: str  # done | not_possible
    note: str | None


class TaskCancelled(DomainEvent):
    task_id: str
    reason: str


class TaskOverdue(DomainEvent):
    task_id: str
    due: date


class ConsentRecorded(DomainEvent):
    pathway_id: str
    scope: str
    counterpart: str
    state: str
    form: str


class AdmissionRecorded(DomainEvent):
    """In the pathway's stream: the patient was admitted; the stay runs as its own process."""

    pathway_id: str
    stay_id: str
    via: str
    admitted_on: date


class AcuteContactRecorded(DomainEvent):
    """In the pathway's stream: a contact at the acute function (akutfunktion) and what came of it
    (sent_home, referred, admitted; domain/acute.py); the group-2 evidence and the report count them."""

    pathway_id: str
    contact_id: str
    contact_on: date
    outcome: str
    note: str | None = None


class ScreeningAnswer(BaseModel):
    """One item of a screening instrument answered: the item's number and the points of the option chosen."""

    model_config = ConfigDict(frozen=True)
    item: int
    answer: int


class ScreeningRecorded(DomainEvent):
    """In the pathway's stream: a scored screening instrument (AUDIT or DUDIT; domain/screening.py), its
    answers (codes only), the total, the zone and the published rule that gave it (with DUDIT, the sex whose
    cut-off applied: `cutoff_sex`)."""

    pathway_id: str
    screening_id: str
    instrument: str
    version: str
    screened_on: date
    answers: tuple[ScreeningAnswer, ...]
    total: int
    zone: str
    rule: str
    cutoff_sex: str | None = None


class RelativeAdded(DomainEvent):
    """In the pathway's stream: a relative (pårørende) was named on the pathway, by the pseudonymous `relative_id`
    and the kind of relation only (the name and how to reach them live in the register table `relatives`)."""

    pathway_id: str
    relative_id: str
    relation: str


class RelativeRemoved(DomainEvent):
    """In the pathway's stream: a relative is no longer on the pathway (their consent history stays)."""

    pathway_id: str
    relative_id: str
    relation: str


class ContactPersonNamed(DomainEvent):
    """In the pathway's stream: the pathway's named contact person (fast, navngiven kontaktperson) from the staff
    register, by their subject only (the display name lives in the register); `previous` the one replaced, with
    the change's `reason` (None for the first naming)."""

    pathway_id: str
    subject: str
    previous: str | None = None
    reason: str | None = None


class StayDischargeRecorded(DomainEvent):
    """In the pathway's stream: the stay's patient went home; the ambulatory pathway resumes its level."""

    pathway_id: str
    stay_id: str
    discharged_on: date


class AdmissionStarted(DomainEvent):
    stay_id: str
    pathway_id: str
    number: int
    via: str
    ward: str
    admitted_on: date
    region: str
    municipality: str


class InpatientPhaseChanged(DomainEvent):
    stay_id: str
    from_phase: int
    to_phase: int
    reason: str | None


class MunicipalityInformed(DomainEvent):
    stay_id: str
    about: str  # admission | discharge
    notice_key: str


class MunicipalityNotInformed(DomainEvent):
    stay_id: str
    about: str
    reason: str


class DischargePlanned(DomainEvent):
    stay_id: str
    planned_date: date
    before_non_working_days: bool
    proposed_date: date | None
    meeting: str
    kept_despite_warning: str | None


class PatientDischarged(DomainEvent):
    stay_id: str
    pathway_id: str
    discharged_on: date
    before_non_working_days: bool
    follow_ups: list[dict[str, str]]  # [{"kind", "due"}]
    # Why the patient went home before non-working days all the same (None before the rule, or when not needed).
    reason_before_non_working_days: str | None = None
    # The meeting the discharge called for (network_meeting | transition_conversation), whether it was held,
    # and why not when it was not (None in discharges recorded before the rule).
    required_meeting: str | None = None
    meeting_held: bool | None = None
    meeting_not_held_reason: str | None = None


class LeaveGranted(DomainEvent):
    """Leave before discharge (orlov, or a night at home) granted for a span of days."""

    stay_id: str
    pathway_id: str
    leave_id: str
    kind: str  # orlov | overnight_at_home
    from_date: date
    to_date: date


class LeaveEnded(DomainEvent):
    """How a leave went: as planned, ended early or the patient did not return (with a note then)."""

    stay_id: str
    leave_id: str
    went: str  # as_planned | ended_early | not_returned
    note: str | None


class StayEnded(DomainEvent):
    stay_id: str


class TaskAssigned(DomainEvent):
    """In the pathway's stream: an open task of the pathway given to a named staff member of the register (by
    their subject; it shows on their worklist as "mine"). A later assignment replaces it."""

    pathway_id: str
    task_id: str
    subject: str


class StaffMemberRegistered(DomainEvent):
    """In the staff member's stream (`staff-<subject>`): registered in the staff register with their
    organisation, team and role. No name: the display name is kept in the register table `staff_names`."""

    subject: str
    organisation: str
    team: str
    role: str


class StaffMemberChanged(DomainEvent):
    """In the staff member's stream: their team, role or activity changed (the organisation stays)."""

    subject: str
    team: str
    role: str
    active: bool
