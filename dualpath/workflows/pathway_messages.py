"""What the ambulatory pathway's workflow takes and answers: its state (carried across continue-as-new),
its input, its staff commands and its views. Pure models: the API builds the commands, tests read the views.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from dualpath.domain import inpatient
from dualpath.domain.acute import Outcome as AcuteOutcome
from dualpath.domain.ambulatory import AllowedMove, EndReason, LevelOfCare
from dualpath.domain.consent import Consent, ConsentForm, ConsentScope, ConsentState
from dualpath.domain.events import Actor, PathwayFacts, ScreeningAnswer
from dualpath.domain.medication import MedicationChange
from dualpath.domain.relatives import RelativeRelation
from dualpath.domain.screening import CutoffSex
from dualpath.domain.screening import InstrumentName as ScreeningInstrument
from dualpath.domain.tasks import Task
from dualpath.domain.validation import Input
from dualpath.workflows.kit import StaffCommand


class OpeningAdmission(Input):
    """The stay a pathway opens with (issue #18 item 4): accepted into an inpatient course, or started by an
    acute admission. The pathway admits the patient right after its opening events, so the stay is its child
    as every stay is."""

    via: inpatient.Via
    ward: str
    admitted_on: date
    # False: not yet attached to an ambulatory clinic (the acute team follows up after discharge).
    in_ambulatory_pathway: bool = False
    longer_admission_days: int = 7


class PathwayState(PathwayFacts):
    """Everything the workflow knows; carried whole across continue-as-new."""

    phase: int = 1
    level_of_care: LevelOfCare | None = LevelOfCare.integrated_unstable
    status: str = "active"  # active | ended
    version: int = 0  # events in the stream so far
    started: bool = False
    tasks: list[Task] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)
    municipal_substance_treatment: bool = False
    active_stay: str | None = None  # the stay id while the patient is admitted
    active_stay_workflow_id: str | None = None  # its workflow's id (None: admitted under the legacy id)
    stays: int = 0
    # The §82c clock (domain/first_contact.py): the day the pathway started, its first treatment contact,
    # and whether the deadline has been warned of and has passed without one.
    started_on: date | None = None
    first_contact_on: date | None = None
    first_contact_warned: bool = False
    first_contact_deadline_passed: bool = False
    # The coordinated course a planned closure to coordinated treatment started (issue #18 item 9).
    coordinated_course_id: str | None = None
    # The stay the pathway starts with (None: it starts ambulatory); cleared once admitted.
    admit_at_start: OpeningAdmission | None = None
    # The named contact person (issue #15 item 2): a staff member's subject (the name stays in the register).
    contact_person: str | None = None


def new_state(pathway_id: str, origin: str, *facts: BaseModel, **given: Any) -> PathwayState:
    """A new pathway's state: the id of what started it (a referral, or the transition or campaign that
    stands where one would) and the patient's facts (patient_id, group, region, municipality,
    catalogue_version) as `facts` hold them; `given` adds the rest or says otherwise."""
    known = set(PathwayFacts.model_fields) - {"pathway_id", "referral_id"} - set(given)
    fields: dict[str, Any] = {}
    for source in facts:
        fields.update(source.model_dump(include=known))
    return PathwayState(pathway_id=pathway_id, referral_id=origin, **fields, **given)


class PathwayInput(BaseModel):
    # Not an `Input`: it carries the workflow's own state across continue-as-new (judged when it came in).
    state: PathwayState
    actor: Actor


class EndPathwayCommand(StaffCommand):
    reason_kind: EndReason
    reason: str | None = None


class ConsentCommand(StaffCommand):
    scope: ConsentScope
    counterpart: str
    state: ConsentState
    form: ConsentForm


class LevelOfCareCommand(StaffCommand):
    """A clinician's decision on the level of care (integrated, stable or unstable), with the reason."""

    level: LevelOfCare
    reason: str


class FirstContactCommand(StaffCommand):
    """The first treatment contact (phase 1): the day it took place."""

    contact_on: date


class AdmitCommand(StaffCommand):
    via: inpatient.Via
    ward: str
    admitted_on: date
    # False: referred to, but not yet attached to, an ambulatory clinic.
    in_ambulatory_pathway: bool = True
    # The setting the stay judges a longer stay by (given by the API, not by staff).
    longer_admission_days: int = 7


class AcuteContactCommand(StaffCommand):
    """A contact at the acute function (akutfunktion) without admission through this command: the day, and
    what came of it (sent home, referred on, admitted)."""

    contact_on: date
    outcome: AcuteOutcome
    note: str | None = None


class ScreeningCommand(StaffCommand):
    """A scored screening instrument (AUDIT or DUDIT; domain/screening.py): the answers as codes (each item's
    number and the points of the option chosen), the day, and for DUDIT the sex whose cut-off applies. The
    workflow validates and scores them (ScreeningRecorded)."""

    instrument: ScreeningInstrument
    screened_on: date
    answers: list[ScreeningAnswer]
    cutoff_sex: CutoffSex | None = None


class ContactPersonCommand(StaffCommand):
    """The pathway's named contact person (fast, navngiven kontaktperson): a staff member of the pathway's region
    by their subject, as the staff register knows them; a change names the reason."""

    subject: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class RelativeCommand(StaffCommand):
    """A relative (pårørende) added to or removed from the pathway: by the pseudonymous id the API gave them in the
    relatives register and the kind of relation; never their name nor how to reach them."""

    relative_id: str = Field(min_length=1, max_length=64)
    relation: RelativeRelation


class AssignTaskCommand(StaffCommand):
    """An open task of the pathway given to a named staff member (their subject, as the register knows them)."""

    task_id: str
    subject: str = Field(min_length=1, max_length=200)


class AdmitResult(BaseModel):
    stay_id: str
    stay_workflow_id: str
    position: int


class MedicationCommand(MedicationChange):
    """A prescription started, changed or stopped (spec §4 "Medication")."""

    actor: Actor


class PathwayView(BaseModel):
    pathway_id: str
    status: str
    phase: int
    phase_name: str
    level_of_care: LevelOfCare | None
    allowed_moves: list[AllowedMove]
    open_tasks: list[Task]
    consents: list[Consent]
    start_deadline: date | None = None
    first_contact_on: date | None = None
    coordinated_course_id: str | None = None


class CommandResult(BaseModel):
    """What an update answers: the new state, and the event-store position the
    read models must reach before a reader sees this change."""

    pathway: PathwayView
    position: int


class NoticeOutcome(BaseModel):
    """Whether the municipality was advised that FMK changed, and why not."""

    sent: bool
    reason: str
    idempotency_key: str | None = None


class MedicationResult(BaseModel):
    change_id: str
    notice: NoticeOutcome
    pathway: PathwayView
    position: int
