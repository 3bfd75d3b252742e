"""The meeting workflow's messages: its input, commands, state and answers, and the messages other
workflows receive from a meeting.

Kept apart from `meeting.py` so the pathway workflow can import them without
importing the meeting workflow (and the meeting workflow never imports the pathway), and so that
the worker's sandbox passes them through instead of building their pydantic schemas again for
every meeting it caches (worker.SharedModulesSandbox).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from dualpath.domain.events import Actor
from dualpath.domain.meetings import (
    HOLD_WITHIN_WORKING_DAYS,
    JointPlanInput,
    MeetingKind,
    MeetingOccasion,
    MeetingStatus,
    Participant,
)
from dualpath.domain.validation import Input
from dualpath.workflows.kit import StaffCommand

MEETING_HELD_SIGNAL = "meeting_held"


class MeetingHeldSignal(BaseModel):
    """Signal `meeting_held` to the pathway's workflow: a meeting on the pathway has been held
    (e.g. the phase-4 netværksmøde that gates a planned transition)."""

    meeting_id: str
    kind: MeetingKind
    held_on: date


class MeetingInput(Input):
    meeting_id: str
    pathway_id: str
    kind: MeetingKind
    region: str
    municipality: str
    purpose: str | None = None
    participants: list[Participant]
    called_on: date
    # Left empty by callers: the workflow asks the calendar activity.
    hold_by: date | None = None
    hold_within_working_days: int = HOLD_WITHIN_WORKING_DAYS
    # The pathway's workflow id, as the API found it (workflow_ids.resolve); None: the legacy form.
    pathway_workflow_id: str | None = None
    occasion: MeetingOccasion | None = None
    # A discharge meeting's stay, and its workflow (told when the meeting is held: it closes the stay's task).
    stay_id: str | None = None
    stay_workflow_id: str | None = None
    actor: Actor


class ScheduleMeeting(StaffCommand):
    at: AwareDatetime
    place: str = Field(max_length=500)


class RecordHeld(StaffCommand):
    held_on: date
    outcome: str
    attendees: list[Participant] = []
    joint_plan: JointPlanInput | None = None


class CancelMeeting(StaffCommand):
    reason: str  # required, and refused when blank


class MeetingState(BaseModel):
    """What the workflow knows beyond its input."""

    status: MeetingStatus = "called"
    hold_by: date | None  # worked out by the calendar activity when the caller left it empty
    scheduled_at: datetime | None = None
    place: str | None = None
    held: RecordHeld | None = None
    cancel_reason: str | None = None
    overdue: bool = False


class MeetingView(BaseModel):
    meeting_id: str
    pathway_id: str
    kind: MeetingKind
    status: MeetingStatus
    purpose: str | None
    participants: list[Participant]
    called_on: date
    hold_by: date | None
    occasion: MeetingOccasion | None = None
    stay_id: str | None = None
    scheduled_at: datetime | None
    place: str | None
    held_on: date | None = None
    outcome: str | None = None
    attendees: list[Participant] = []
    cancel_reason: str | None
    overdue: bool


class MeetingResult(BaseModel):
    """An update's answer, with the event-store position read models must reach."""

    meeting: MeetingView
    position: int
