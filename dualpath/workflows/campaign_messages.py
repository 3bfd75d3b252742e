"""What the campaign's workflow takes and answers: its input (with the state carried across
continue-as-new), its staff commands and its view. Pure models: the API builds the commands.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from dualpath.domain.campaign import (
    CampaignState,
    ConsentForm,
    ConsentState,
    DecisionKind,
    KkrContact,
    ListedRow,
    NetworkMeetingPlan,
    Person,
    Phase,
    Side,
)
from dualpath.domain.events import Actor
from dualpath.workflows.kit import StaffCommand


class CampaignInput(BaseModel):
    # Not an `Input`: it carries the campaign's state across continue-as-new (its own fields were judged
    # as CampaignIn when the campaign was opened).
    campaign_id: str
    centre: str
    region: str
    municipality: str
    collaboration_meeting_on: date
    share_days: int
    group2_opens_on: date
    catalogue_version: str
    actor: Actor
    # Set on continue-as-new: the state carried over.
    state: CampaignState | None = None


class KkrCommand(StaffCommand):
    contacts: list[KkrContact]


class UploadListCommand(StaffCommand):
    side: Side
    rows: list[ListedRow]


class ConsentCommand(StaffCommand):
    patient_id: str
    side: Side
    state: ConsentState
    form: ConsentForm


class ShareCommand(StaffCommand):
    """Who gives it is all it says."""


class MeetingCommand(StaffCommand):
    """The collaboration meeting (samarbejdsmøde) held, with a note that holds no patient data."""

    held_on: date
    note: str | None = None


class DecideCommand(StaffCommand):
    """What the meeting decided for one person (integrated, coordinated, not relevant), and from when."""

    patient_id: str
    decision: DecisionKind
    from_date: date | None = None


class NetworkMeetingCommand(StaffCommand):
    patient_id: str
    plan: NetworkMeetingPlan


class CampaignView(BaseModel):
    campaign_id: str
    phase: Phase
    share_by: date
    shared_on: date | None
    earliest_meeting_on: date | None
    meeting_planned_on: date
    meeting_held_on: date | None
    reminder_sent: bool
    lists: dict[str, int]  # side → people on it
    people: list[Person]
    timetable: list[Person]


class CampaignResult(BaseModel):
    """An update's answer, with the event-store position read models must reach."""

    campaign: CampaignView
    position: int
