"""Domain events of a phase-in campaign's stream `campaign-<campaign_id>` (spec §6, seed 004).

Each carries `campaign_id`. People appear only as the register's pseudonymous
`patient_id` — never a CPR number or a name. The stream also holds TaskOpened /
TaskCompleted for the reminders and the coordination tasks on the worklist
(their `referral_id` is the campaign id).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dualpath.domain.events import DomainEvent


class CampaignOpened(DomainEvent):
    campaign_id: str
    centre: str
    region: str
    municipality: str
    collaboration_meeting_on: date  # planned
    share_by: date  # the lists shared by then, `share_days` before the meeting
    share_days: int


class KkrContactsSet(DomainEvent):
    campaign_id: str
    contacts: list[dict[str, str]]  # [{"role", "name_or_function", "organisation"}]


class CampaignListUploaded(DomainEvent):
    """A side's whole list; it replaces that side's earlier list."""

    campaign_id: str
    side: str  # clinic | municipality
    uploaded_on: date
    # [{"patient_id", "row", "psychiatric_contact", "municipal_substance_treatment", "clinic_or_unit"}]
    people: list[dict[str, Any]]
    removed: list[str]  # people no longer on either list


class CampaignConsentRecorded(DomainEvent):
    """A side's record of the person's consent to the case being discussed with the other side."""

    campaign_id: str
    patient_id: str
    side: str
    state: str  # given | refused
    form: str  # written | oral


class CampaignListsShared(DomainEvent):
    campaign_id: str
    shared_on: date
    earliest_meeting_on: date


class CampaignShareReminded(DomainEvent):
    """The lists were not shared by the reminder date: both sides get a task."""

    campaign_id: str
    reminded_on: date
    share_by: date
    task_ids: list[str]


class CampaignMeetingHeld(DomainEvent):
    """The bilateral collaboration meeting (samarbejdsmøde, first without patients)."""

    campaign_id: str
    held_on: date
    note: str | None
    not_discussed: list[str]  # people without consent from both sides


class CampaignPersonDecided(DomainEvent):
    campaign_id: str
    patient_id: str
    decision: str  # integrated | coordinated | not_relevant
    from_date: date | None


class CampaignStartCancelled(DomainEvent):
    """Consent was withdrawn before the decided start: nothing starts."""

    campaign_id: str
    patient_id: str
    reason: str


class CampaignNetworkMeetingPlanned(DomainEvent):
    campaign_id: str
    patient_id: str
    on: date
    accompaniment: bool  # følgeskab
    outreach: bool  # udgående behandling
    note: str | None


class CampaignPathwayStarted(DomainEvent):
    """On the decided date the person's integrated pathway started (a workflow of its own)."""

    campaign_id: str
    patient_id: str
    pathway_id: str
    started_on: date


class CoordinationStarted(DomainEvent):
    """On the decided date coordinated treatment starts: outside the engine's pathways, a task for the municipality."""

    campaign_id: str
    patient_id: str
    started_on: date
    task_id: str
