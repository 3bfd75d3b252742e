"""The `campaigns` projection: group-2 phase-in campaigns and their people, and how the API reads them."""

from __future__ import annotations

import json
from datetime import date, datetime

import asyncpg
from pydantic import BaseModel, field_validator

from dualpath.eventstore import RecordedEvent


class CampaignsProjection:
    name = "campaigns"
    tables = ("rm_campaigns", "rm_campaign_people")

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None and event.stream_id.startswith("campaign-"):
            await handler(conn, event.data, event)

    async def _on_CampaignOpened(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_campaigns (campaign_id, centre, region, municipality, collaboration_meeting_on,
                   share_by, share_days, phase, opened_at, updated_at)
               VALUES ($1,$2,$3,$4,$5::text::date,$6::text::date,$7,'collecting_lists',$8,$8)
               ON CONFLICT (campaign_id) DO NOTHING""",
            d["campaign_id"], d["centre"], d["region"], d["municipality"], d["collaboration_meeting_on"],
            d["share_by"], d["share_days"], e.recorded_at,
        )

    async def _campaign(self, conn, d, e, **fields) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=3))
        await conn.execute(
            f"UPDATE rm_campaigns SET updated_at = $2{', ' + cols if cols else ''} WHERE campaign_id = $1",
            d["campaign_id"], e.recorded_at, *fields.values())

    async def _person(self, conn, d, e, **fields) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=4))
        await conn.execute(
            f"UPDATE rm_campaign_people SET updated_at = $3, {cols} WHERE campaign_id = $1 AND patient_id = $2",
            d["campaign_id"], d["patient_id"], e.recorded_at, *fields.values())

    async def _phase(self, conn, campaign_id: str) -> None:
        await conn.execute(
            """UPDATE rm_campaigns c SET phase = CASE
                   WHEN shared_on IS NULL THEN 'collecting_lists'
                   WHEN meeting_held_on IS NULL THEN 'lists_shared'
                   WHEN EXISTS (SELECT 1 FROM rm_campaign_people p WHERE p.campaign_id = c.campaign_id
                                AND p.status IN ('scheduled', 'started')) THEN 'starting'
                   ELSE 'meeting_held' END
               WHERE campaign_id = $1""", campaign_id)

    async def _on_KkrContactsSet(self, conn, d, e) -> None:
        await self._campaign(conn, d, e, kkr_contacts=json.dumps(d["contacts"]))

    async def _on_CampaignListUploaded(self, conn, d, e) -> None:
        side, cid = d["side"], d["campaign_id"]
        row_col = "clinic_row" if side == "clinic" else "municipality_row"
        await conn.execute(f"UPDATE rm_campaign_people SET {row_col} = NULL WHERE campaign_id = $1", cid)
        for p in d["people"]:
            # The clinic's row carries the psychiatric facts; a municipality's row fills them in only for
            # people the clinic has not listed.
            keep = "rm_campaign_people.clinic_row IS NOT NULL" if side == "municipality" else "false"
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
                cid, p["patient_id"], p["row"], p["psychiatric_contact"], p["municipal_substance_treatment"],
                p["clinic_or_unit"], e.recorded_at)
        await conn.execute("DELETE FROM rm_campaign_people WHERE campaign_id = $1 AND patient_id = ANY($2::text[])",
                           cid, d["removed"])
        await self._campaign(conn, d, e, **{f"{side}_list_on": date.fromisoformat(d["uploaded_on"])})

    async def _on_CampaignConsentRecorded(self, conn, d, e) -> None:
        col = "consent_clinic" if d["side"] == "clinic" else "consent_municipality"
        await self._person(conn, d, e, **{col: d["state"]})

    async def _on_CampaignStartCancelled(self, conn, d, e) -> None:
        await self._person(conn, d, e, status="cancelled")
        await self._phase(conn, d["campaign_id"])

    async def _on_CampaignListsShared(self, conn, d, e) -> None:
        await self._campaign(conn, d, e, shared_on=date.fromisoformat(d["shared_on"]),
                             earliest_meeting_on=date.fromisoformat(d["earliest_meeting_on"]))
        await self._phase(conn, d["campaign_id"])

    async def _on_CampaignShareReminded(self, conn, d, e) -> None:
        await self._campaign(conn, d, e, reminder_sent_on=date.fromisoformat(d["reminded_on"]))

    async def _on_CampaignMeetingHeld(self, conn, d, e) -> None:
        await self._campaign(conn, d, e, meeting_held_on=date.fromisoformat(d["held_on"]))
        await self._phase(conn, d["campaign_id"])

    async def _on_CampaignPersonDecided(self, conn, d, e) -> None:
        await self._person(conn, d, e, decision=d["decision"],
                           from_date=date.fromisoformat(d["from_date"]) if d["from_date"] else None,
                           status="not_relevant" if d["decision"] == "not_relevant" else "scheduled")
        await self._phase(conn, d["campaign_id"])

    async def _on_CampaignNetworkMeetingPlanned(self, conn, d, e) -> None:
        await self._person(conn, d, e, network_meeting=json.dumps(
            {k: d[k] for k in ("on", "accompaniment", "outreach", "note")}))

    async def _on_CampaignPathwayStarted(self, conn, d, e) -> None:
        await self._person(conn, d, e, status="started", pathway_id=d["pathway_id"],
                           started_on=date.fromisoformat(d["started_on"]))

    async def _on_CoordinationStarted(self, conn, d, e) -> None:
        await self._person(conn, d, e, status="started", started_on=date.fromisoformat(d["started_on"]))


def _decode(v):
    return json.loads(v) if isinstance(v, str) else v


class CampaignRow(BaseModel):
    campaign_id: str
    centre: str
    region: str
    municipality: str
    collaboration_meeting_on: date
    share_by: date
    share_days: int
    phase: str
    kkr_contacts: list[dict]
    clinic_list_on: date | None
    municipality_list_on: date | None
    shared_on: date | None
    earliest_meeting_on: date | None
    meeting_held_on: date | None
    reminder_sent_on: date | None
    opened_at: datetime
    updated_at: datetime

    @field_validator("kkr_contacts", mode="before")
    @classmethod
    def _json(cls, v):
        return _decode(v)


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
    network_meeting: dict | None

    @field_validator("network_meeting", mode="before")
    @classmethod
    def _json(cls, v):
        return _decode(v)


_COLUMNS = """campaign_id, centre, region, municipality, collaboration_meeting_on, share_by, share_days, phase,
    kkr_contacts, clinic_list_on, municipality_list_on, shared_on, earliest_meeting_on, meeting_held_on,
    reminder_sent_on, opened_at, updated_at"""


async def campaign(pool: asyncpg.Pool, campaign_id: str) -> CampaignRow | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM rm_campaigns WHERE campaign_id = $1", campaign_id)
    return CampaignRow(**dict(row)) if row else None


async def campaigns(
    pool: asyncpg.Pool, *, region: str | None, municipality: str | None, phase: str | None, limit: int, offset: int
) -> list[CampaignRow]:
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM rm_campaigns
            WHERE ($1::text IS NULL OR region = $1) AND ($2::text IS NULL OR municipality = $2)
              AND ($3::text IS NULL OR phase = $3)
            ORDER BY collaboration_meeting_on, campaign_id LIMIT $4 OFFSET $5""",
        region, municipality, phase, limit, offset)
    return [CampaignRow(**dict(r)) for r in rows]


async def people(pool: asyncpg.Pool, campaign_id: str) -> list[PersonRow]:
    rows = await pool.fetch(
        """SELECT patient_id, clinic_row, municipality_row, psychiatric_contact, municipal_substance_treatment,
                  clinic_or_unit, consent_clinic, consent_municipality, decision, from_date, status, pathway_id,
                  started_on, network_meeting
           FROM rm_campaign_people WHERE campaign_id = $1
           ORDER BY coalesce(clinic_row, 1000000), coalesce(municipality_row, 1000000), patient_id""",
        campaign_id)
    return [PersonRow(**dict(r)) for r in rows]
