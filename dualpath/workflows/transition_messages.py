"""What the transition's workflow takes and answers: its input, its staff commands (each step's record,
with who gave it), its state and its view. Pure models: the API builds the commands.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from dualpath.domain import transition_records as records
from dualpath.domain.events import Actor
from dualpath.domain.tasks import Task
from dualpath.domain.transition import Branch, DialogueConsent, Direction, Sign, State, Step
from dualpath.domain.transition_records import (
    Agreement,
    Assessment,
    CollaborationMeeting,
    Completion,
    NetworkMeetingCall,
    NetworkMeetingHeld,
    NewTask,
    Outcome,
    Party,
    PatientTalk,
    PsychiatryDecision,
    WhoSaysWhat,
)
from dualpath.domain.validation import Input


class TransitionInput(Input):
    transition_id: str
    direction: Direction
    branch: Branch
    patient_id: str
    pathway_id: str | None = None  # the integrated pathway a move back starts from
    # That pathway's workflow id, as the API found it (workflow_ids.resolve); None: the legacy form.
    pathway_workflow_id: str | None = None
    region: str
    municipality: str
    reported_by: Party
    signs: list[Sign] = []
    description: str | None = None
    dialogue_consent: DialogueConsent
    group: int | None = None
    # The day the pathway's target group opens in the region, when it had not at the report (phase-in):
    # a transition into integrated care completed before then is held until that day.
    opens_on: date | None = None
    catalogue_version: str
    reported_on: date
    # Working days per step (domain.transition.step_due_days, from the settings).
    due_days: dict[str, int]
    actor: Actor


class AssessCommand(Assessment):
    actor: Actor


class AgreementCommand(Agreement):
    actor: Actor


class DisagreementCommand(records.Disagreement):
    actor: Actor


class CollaborationMeetingCommand(CollaborationMeeting):
    actor: Actor


class DecisionCommand(PsychiatryDecision):
    actor: Actor


class WhoSaysWhatCommand(WhoSaysWhat):
    actor: Actor


class CallNetworkMeetingCommand(NetworkMeetingCall):
    actor: Actor


class NetworkMeetingCommand(NetworkMeetingHeld):
    actor: Actor


class PatientTalkCommand(PatientTalk):
    actor: Actor


class CompleteCommand(Completion):
    actor: Actor


class AddTaskCommand(NewTask):
    actor: Actor


class TransitionState(BaseModel):
    """What the workflow knows beyond its input."""

    state: State = "reported"
    settled: Outcome | None = None  # what the parties agreed, or psychiatry decided
    recommends_transition: bool | None = None  # the region's assessment
    patient_agrees: bool | None = None
    called_on: date | None = None  # the network meeting's
    joint_plan: dict[str, Any] | None = None  # made at the network meeting
    outcome: Outcome | None = None
    closure: str | None = None
    pathway_id: str | None  # the integrated pathway: the one moved back from, or the one started
    current_step: Step | None = None
    step_task: str | None = None
    step_due: date | None = None
    overdue: bool = False  # the current step is late
    step_seq: int = 0  # steps taken: an escalation timer knows whether its step is still current


class TransitionView(BaseModel):
    transition_id: str
    direction: Direction
    branch: Branch
    state: State
    settled: Outcome | None
    outcome: Outcome | None
    current_step: Step | None
    step_due: date | None
    overdue: bool
    pathway_id: str | None
    closure: str | None
    patient_may_be_involved: bool
    allowed: list[str]
    open_tasks: list[Task]


class TransitionResult(BaseModel):
    """An update's answer, with the event-store position read models must reach."""

    transition: TransitionView
    position: int
    task_id: str | None = None
