"""Domain events of a meeting's stream `meeting-<meeting_id>` (netværksmøde, samarbejdsmøde, opstartsmøde).

Each carries `pathway_id` so read models can hang meetings and joint plans on
their pathway without reading another stream.
"""

from __future__ import annotations

from datetime import date, datetime

from dualpath.domain.events import DomainEvent
from dualpath.domain.joint_plans import CrisisPlan, PlanAction
from dualpath.domain.meetings import JointPlanKind, MeetingKind, MeetingOccasion, Participant


class MeetingCalled(DomainEvent):
    meeting_id: str
    pathway_id: str
    kind: MeetingKind
    region: str
    municipality: str
    purpose: str | None
    participants: list[Participant]
    called_on: date
    hold_by: date
    # What it is held for, and the stay a discharge meeting is for (None in meetings called before they were told).
    occasion: MeetingOccasion | None = None
    stay_id: str | None = None


class InvitationSent(DomainEvent):
    """One per participant organisation; the notice itself carries no patient identity."""

    meeting_id: str
    pathway_id: str
    recipient_org: str
    idempotency_key: str


class MeetingScheduled(DomainEvent):
    meeting_id: str
    pathway_id: str
    at: datetime
    place: str


class MeetingHeld(DomainEvent):
    meeting_id: str
    pathway_id: str
    kind: MeetingKind
    held_on: date
    outcome: str
    attendees: list[Participant]


class JointPlanRecorded(DomainEvent):
    """A joint plan made or revised: at a meeting (in the meeting's stream, `meeting_id` set), at a
    transition's network meeting, or on its own by the pathway's workflow (in the pathway's stream,
    `meeting_id` None). No version here: the read model numbers plans per pathway and kind in event
    order, so a rebuild numbers them alike; `revises` is the version a revision named (checked against
    the latest when it was made: domain/joint_plans.py).

    The structured content came later: plans recorded before it hold a summary alone."""

    meeting_id: str | None = None
    pathway_id: str
    kind: JointPlanKind
    summary: str
    agreed_by: list[Participant]
    actions: list[PlanAction] = []
    crisis_plan: CrisisPlan | None = None
    next_review: date | None = None
    revises: int | None = None


class MeetingCancelled(DomainEvent):
    meeting_id: str
    pathway_id: str
    reason: str


class MeetingOverdue(DomainEvent):
    """Not held by the last of its working days (spec §4, §8)."""

    meeting_id: str
    pathway_id: str
    hold_by: date
