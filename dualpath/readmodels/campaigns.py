"""The `campaigns` projection: group-2 phase-in campaigns and their people, and how the API reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
from pydantic import BaseModel

from dualpath import workflow_ids
from dualpath.contracts.events import RecordedEvent
from dualpath.domain import campaign_events as ev
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import FROM_JSON, ReadModel, Rows, Table, on, streams_of, to_jsonb

# -- the writer ---------------------------------------------------------------------


_CAMPAIGNS = Table("rm_campaigns", "campaign_id")
_PEOPLE = Table("rm_campaign_people", "campaign_id", "patient_id")
# What changes a campaign's row, or one person's, once it is there.
_CampaignChange: TypeAlias = (
    ev.KkrContactsSet | ev.CampaignListsShared | ev.CampaignShareReminded | ev.CampaignMeetingHeld
)
_PersonChange: TypeAlias = (
    ev.CampaignConsentRecorded
    | ev.CampaignStartCancelled
    | ev.CampaignPersonDecided
    | ev.CampaignNetworkMeetingPlanned
    | ev.CampaignPathwayStarted
    | ev.CoordinationStarted
)
# After these the campaign's phase is worked out again (it counts the people scheduled or started).
_MOVES_THE_PHASE = (ev.CampaignListsShared, ev.CampaignMeetingHeld, ev.CampaignStartCancelled, ev.CampaignPersonDecided)


async def _phase(conn: Connection, campaign_id: str) -> None:
    await conn.execute(
        """UPDATE rm_campaigns c SET phase = CASE
               WHEN shared_on IS NULL THEN 'collecting_lists'
               WHEN meeting_held_on IS NULL THEN 'lists_shared'
               WHEN EXISTS (SELECT 1 FROM rm_campaign_people p WHERE p.campaign_id = c.campaign_id
                            AND p.status IN ('scheduled', 'started')) THEN 'starting'
               ELSE 'meeting_held' END
           WHERE campaign_id = $1""",
        campaign_id,
    )


async def _list_uploaded(conn: Connection, e: ev.CampaignListUploaded, at: RecordedEvent) -> None:
    row_col = "clinic_row" if e.side == "clinic" else "municipality_row"
    await conn.execute(f"UPDATE rm_campaign_people SET {row_col} = NULL WHERE campaign_id = $1", e.campaign_id)
    # The clinic's row carries the psychiatric facts; a municipality's row fills them in only for
    # people the clinic has not listed.
    keep = "rm_campaign_people.clinic_row IS NOT NULL" if e.side == "municipality" else "false"
    for p in e.people:
        await conn.execute(
            f"""INSERT INTO rm_campaign_people (campaign_id, patient_id, {row_col}, psychiatric_contact,
                    municipal_substance_treatment, clinic_or_unit, updated_at)
                VALUES ($1,$2,$3,$4,$5,$6,$7)
                ON CONFLICT (campaign_id, patient_id) DO UPDATE SET {row_col} = EXCLUDED.{row_col},
                    psychiatric_contact = CASE WHEN {keep} THEN rm_campaign_people.psychiatric_contact
                                          ELSE EXCLUDED.psychiatric_contact END,
                    municipal_substance_treatment = CASE WHEN {keep}
                        THEN rm_campaign_people.municipal_substance_treatment
                        ELSE EXCLUDED.municipal_substance_treatment END,
                    clinic_or_unit = CASE WHEN {keep} THEN rm_campaign_people.clinic_or_unit
                                     ELSE coalesce(EXCLUDED.clinic_or_unit, rm_campaign_people.clinic_or_unit)
                                     END,
                    updated_at = EXCLUDED.updated_at""",
            e.campaign_id,
            p["patient_id"],
            p["row"],
            p["psychiatric_contact"],
            p["municipal_substance_treatment"],
            p["clinic_or_unit"],
            at.recorded_at,
        )
    await conn.execute(
        "DELETE FROM rm_campaign_people WHERE campaign_id = $1 AND patient_id = ANY($2::text[])",
        e.campaign_id,
        e.removed,
    )


class CampaignsProjection(
    ReadModel,
    name="campaigns",
    tables=("rm_campaigns", "rm_campaign_people"),
    stream_prefix=streams_of(workflow_ids.campaign_stream),
):
    @on(ev.CampaignOpened)
    async def opened(self, conn: Connection, e: ev.CampaignOpened, at: RecordedEvent) -> None:
        phase = "collecting_lists"
        await _CAMPAIGNS.insert(conn, e, phase=phase, opened_at=at.recorded_at, updated_at=at.recorded_at)

    @on(ev.CampaignListUploaded)
    async def list_uploaded(self, conn: Connection, e: ev.CampaignListUploaded, at: RecordedEvent) -> None:
        await _list_uploaded(conn, e, at)
        await _CAMPAIGNS.update(conn, e.campaign_id, at, **{f"{e.side}_list_on": e.uploaded_on})

    @on(_CampaignChange)
    async def campaign_changed(self, conn: Connection, e: _CampaignChange, at: RecordedEvent) -> None:
        changes: dict[str, object]
        match e:
            case ev.KkrContactsSet():
                changes = {"kkr_contacts": to_jsonb(e.contacts)}
            case ev.CampaignListsShared():
                changes = {"shared_on": e.shared_on, "earliest_meeting_on": e.earliest_meeting_on}
            case ev.CampaignShareReminded():
                changes = {"reminder_sent_on": e.reminded_on}
            case ev.CampaignMeetingHeld():
                changes = {"meeting_held_on": e.held_on}
        await _CAMPAIGNS.update(conn, e.campaign_id, at, **changes)
        if isinstance(e, _MOVES_THE_PHASE):
            await _phase(conn, e.campaign_id)

    @on(_PersonChange)
    async def person_changed(self, conn: Connection, e: _PersonChange, at: RecordedEvent) -> None:
        changes: dict[str, object]
        match e:
            case ev.CampaignConsentRecorded():
                changes = {"consent_clinic" if e.side == "clinic" else "consent_municipality": e.state}
            case ev.CampaignStartCancelled():
                changes = {"status": "cancelled"}
            case ev.CampaignPersonDecided():
                changes = {
                    "decision": e.decision,
                    "from_date": e.from_date,
                    "status": "not_relevant" if e.decision == "not_relevant" else "scheduled",
                }
            case ev.CampaignNetworkMeetingPlanned():
                changes = {
                    "network_meeting": to_jsonb(
                        e.model_dump(mode="json", include={"on", "accompaniment", "outreach", "note"})
                    )
                }
            case ev.CampaignPathwayStarted():
                changes = {"status": "started", "pathway_id": e.pathway_id, "started_on": e.started_on}
            case ev.CoordinationStarted():
                changes = {"status": "started", "started_on": e.started_on}
        await _PEOPLE.update(conn, (e.campaign_id, e.patient_id), at, **changes)
        if isinstance(e, _MOVES_THE_PHASE):
            await _phase(conn, e.campaign_id)


# -- the reader ---------------------------------------------------------------------


class CampaignRow(BaseModel):
    campaign_id: str
    centre: str
    region: str
    municipality: str
    collaboration_meeting_on: date
    share_by: date
    share_days: int
    phase: str
    kkr_contacts: Annotated[list[dict[str, Any]], FROM_JSON]
    clinic_list_on: date | None
    municipality_list_on: date | None
    shared_on: date | None
    earliest_meeting_on: date | None
    meeting_held_on: date | None
    reminder_sent_on: date | None
    opened_at: datetime
    updated_at: datetime


class PersonRow(BaseModel):
    patient_id: str
    clinic_row: int | None
    municipality_row: int | None
    psychiatric_contact: str
    municipal_substance_treatment: bool
    clinic_or_unit: str | None
    consent_clinic: str | None
    consent_municipality: str | None
    decision: str | None
    from_date: date | None
    status: str
    pathway_id: str | None
    started_on: date | None
    network_meeting: Annotated[dict[str, Any] | None, FROM_JSON]
    # Group-2 evidence (seed 004: repeated contacts at the acute function within the last year): the contacts
    # recorded on the patient's pathways, ended ones too (issue #18 item 4).
    acute_contacts_last_year: int = 0


# Counted when read, from the acute contacts' read model (readmodels/acute_contacts.py).
_ACUTE_CONTACTS_LAST_YEAR = """(SELECT count(*)::int FROM rm_acute_contacts a
    JOIN rm_pathways p ON p.pathway_id = a.pathway_id
    WHERE p.patient_id = rm_campaign_people.patient_id
      AND a.contact_on > (now() AT TIME ZONE 'Europe/Copenhagen')::date - 365)"""

_CAMPAIGN_ROWS = Rows(CampaignRow, "rm_campaigns")
_PERSON_ROWS = Rows(PersonRow, "rm_campaign_people", {"acute_contacts_last_year": _ACUTE_CONTACTS_LAST_YEAR})


async def campaign(pool: asyncpg.Pool, campaign_id: str) -> CampaignRow | None:
    return await _CAMPAIGN_ROWS.one(pool, "campaign_id = $1", campaign_id)


async def campaigns(
    pool: asyncpg.Pool, *, region: str | None, municipality: str | None, phase: str | None, limit: int, offset: int
) -> list[CampaignRow]:
    rest = """WHERE ($1::text IS NULL OR region = $1) AND ($2::text IS NULL OR municipality = $2)
              AND ($3::text IS NULL OR phase = $3)
            ORDER BY collaboration_meeting_on, campaign_id LIMIT $4 OFFSET $5"""
    return await _CAMPAIGN_ROWS.all(pool, rest, region, municipality, phase, limit, offset)


async def people(pool: asyncpg.Pool, campaign_id: str) -> list[PersonRow]:
    rest = """WHERE campaign_id = $1
              ORDER BY coalesce(clinic_row, 1000000), coalesce(municipality_row, 1000000), patient_id"""
    return await _PERSON_ROWS.all(pool, rest, campaign_id)
