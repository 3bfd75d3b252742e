"""What the inpatient stay's workflow takes and answers: its input, its staff commands, the signals it
exchanges with its pathway, its state and its view. Pure models: the API and the pathway build them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dualpath.domain import inpatient
from dualpath.domain.ambulatory import AllowedMove
from dualpath.domain.consent import Consent
from dualpath.domain.discharge import DischargeAdvice
from dualpath.domain.events import Actor
from dualpath.domain.leave import Leave, LeaveKind, LeaveWent
from dualpath.domain.tasks import Task
from dualpath.domain.validation import Input
from dualpath.workflows.kit import StaffCommand

# Signals between the stay and its pathway.
STAY_DISCHARGED_SIGNAL = "stay_discharged"
CONSENTS_CHANGED_SIGNAL = "consents_changed"


class StayInput(Input):
    stay_id: str
    pathway_id: str
    number: int
    region: str
    municipality: str
    via: inpatient.Via
    ward: str
    admitted_on: date
    in_ambulatory_pathway: bool
    municipal_substance_treatment: bool
    consents: list[Consent]
    catalogue_version: str
    # A stay of at least this many days ends with a network meeting (spec §4 [setting]; the API gives it).
    longer_admission_days: int = 7
    actor: Actor


class PlanDischargeCommand(StaffCommand):
    planned_date: date
    keep_reason: str | None = None


class DischargeCommand(StaffCommand):
    discharged_on: date
    # Why the patient goes home before non-working days all the same (required then, recorded).
    reason: str | None = None
    # Staff judged follow-up by the acute team over the coming non-working days necessary.
    acute_team_weekend: bool = False
    # Why the meeting the discharge calls for was not held (required then, recorded).
    meeting_reason: str | None = None


class GrantLeaveCommand(StaffCommand):
    kind: LeaveKind = "orlov"
    from_date: date
    to_date: date


class LeaveOutcomeCommand(StaffCommand):
    leave_id: str
    went: LeaveWent
    note: str | None = Field(default=None, max_length=2000)


class ConsentsChanged(BaseModel):
    consents: list[Consent]


class StayDischarged(BaseModel):
    stay_id: str
    discharged_on: date


class StayOpened(BaseModel):
    position: int


class StayState(BaseModel):
    """What the workflow knows beyond its input."""

    consents: list[Consent]  # as the pathway last told them
    phase: int = 1
    status: str = "admitted"  # admitted | discharged | ended
    planned_discharge: DischargeAdvice | None = None
    opened_at: int | None = None  # the position of the opening events, once recorded
    informed: set[str] = set()  # what the municipality has been told of (admission, discharge)
    meetings_held: list[str] = []  # network_meeting, transition_conversation: held before discharge
    meetings_not_held: dict[str, str] = {}  # the meeting task closed as not possible, with the reason
    leaves: list[Leave] = []
    leave_offered: bool = False  # the plan's leave-offer task was opened once (not again at each plan)


class StayView(BaseModel):
    stay_id: str
    pathway_id: str
    status: str  # admitted | discharged | ended
    phase: int
    phase_name: str
    allowed_moves: list[AllowedMove]
    open_tasks: list[Task]
    planned_discharge: DischargeAdvice | None
    leaves: list[Leave] = []


class StayResult(BaseModel):
    stay: StayView
    position: int
    advice: DischargeAdvice | None = None
    follow_ups: list[Task] = Field(default_factory=list)
    leave_id: str | None = None
