"""Domain events of a meeting's stream `meeting-<meeting_id>` (netværksmøde, samarbejdsmøde, opstartsmøde).

Each carries `pathway_id` so read models can hang meetings and joint plans on
their pathway without reading another stream.
"""

from __future__ import annotations

from datetime import date, datetime

from dualpath.domain.events import DomainEvent
from dualpath.domain.meetings import JointPlanKind, MeetingKind, Participant


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
    """A joint plan made or revised at a meeting. No version here: the read model
    numbers plans per pathway and kind in event order, so a rebuild numbers them alike."""

    meeting_id: str
    pathway_id: str
    kind: JointPlanKind
    summary: str
    agreed_by: list[Participant]


class MeetingCancelled(DomainEvent):
    meeting_id: str
    pathway_id: str
    reason: str


class MeetingOverdue(DomainEvent):
    """Not held by the last of its working days (spec §4, §8)."""

    meeting_id: str
    pathway_id: str
    hold_by: date
