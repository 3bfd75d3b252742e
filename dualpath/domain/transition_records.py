"""What staff record at each step of a transition (spec §5, seed 002): the assessment, the agreement or
disagreement, the collaboration meeting, psychiatry's decision, who says what, the network meeting, the
talk with the patient, the completion, and tasks they add. The workflow adds who sent it; text and dates
are judged as they come in (domain/validation.py). Pure models.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from dualpath.domain.meetings import JointPlanInput, Participant
from dualpath.domain.validation import Input, Line

Party = Literal["region", "municipality"]
Outcome = Literal["transition", "no_transition"]


class Assessment(Input):
    """The region's immediate assessment (umiddelbar vurdering) under its visitation right."""

    assessment: str = Field(max_length=10_000)
    recommends_transition: bool
    answer_to_municipality: str | None = Field(
        default=None,
        max_length=10_000,
        description=("The answer to the municipality: required with dialogue consent, refused without it"),
    )


class Agreement(Input):
    on: Outcome = "transition"
    note: str | None = Field(default=None, max_length=10_000)


class Disagreement(Input):
    region_view: str = Field(max_length=10_000)
    municipality_view: str = Field(max_length=10_000)


class CollaborationMeeting(Input):
    """The samarbejdsmøde, without the patient: both views are heard."""

    held_on: date
    attendees: list[Participant] = Field(min_length=1)
    region_view: str = Field(max_length=10_000)
    municipality_view: str = Field(max_length=10_000)
    outcome: Literal["agree", "still_disagree"]
    agreed_on: Outcome = "transition"


class PsychiatryDecision(Input):
    decision: Outcome
    reason: str = Field(max_length=10_000)
    what_it_would_take: str | None = Field(
        default=None,
        max_length=10_000,
        description=(
            "What it would take for the patient to enter the integrated pathway; required when deciding against it"
        ),
    )


class Statement(Input):
    party: Party
    says: str = Field(max_length=4_000)


class WhoSaysWhat(Input):
    """Before the network meeting: who says what to the patient (both parties motivate)."""

    statements: list[Statement] = Field(min_length=1)


class NetworkMeetingCall(Input):
    called_on: date
    participants: list[Participant] = Field(min_length=1)
    relatives_invited: bool = False


class NetworkMeetingHeld(Input):
    held_on: date
    attendees: list[Participant] = Field(min_length=1)
    relatives_present: bool = False
    concrete_transition: str = Field(max_length=10_000, description="What the meeting decided, concretely")
    patient_agrees: bool = True
    joint_plan: JointPlanInput | None = None


class PatientTalk(Input):
    held_on: date
    summary: str = Field(max_length=10_000)
    motivational_work: str = Field(max_length=10_000)
    patient_agrees: bool


class Completion(Input):
    note: str | None = Field(default=None, max_length=4_000)


class NewTask(Input):
    title: Line = Field(max_length=500)
    owner: Party = "region"
    involves_patient: bool = Field(description="True for a task addressed to (or done with) the patient")
    due_in_working_days: int = Field(default=5, ge=0, le=60)
