"""The `meetings` projection: meetings and joint plans (fælles planer) per pathway, and how the API reads them."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, field_validator

from dualpath.domain.disclosure import CLINICAL, SHARED
from dualpath.domain.meetings import Participant
from dualpath.eventstore import RecordedEvent


class MeetingsProjection:
    name = "meetings"
    tables = ("rm_meetings", "rm_joint_plans")

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            await handler(conn, event.data, event)

    async def _on_MeetingCalled(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_meetings (meeting_id, pathway_id, kind, status, purpose, called_on, hold_by,
                   participants, updated_at)
               VALUES ($1,$2,$3,'called',$4,$5::text::date,$6::text::date,$7::jsonb,$8)
               ON CONFLICT (meeting_id) DO NOTHING""",
            d["meeting_id"], d["pathway_id"], d["kind"], d["purpose"], d["called_on"], d["hold_by"],
            json.dumps(d["participants"]), e.recorded_at,
        )

    async def _meeting(self, conn, meeting_id: str, e, **fields: Any) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=3))
        await conn.execute(
            f"UPDATE rm_meetings SET updated_at = $2, {cols} WHERE meeting_id = $1",
            meeting_id, e.recorded_at, *fields.values(),
        )

    async def _on_MeetingScheduled(self, conn, d, e) -> None:
        await self._meeting(conn, d["meeting_id"], e, status="scheduled", scheduled_at=datetime.fromisoformat(d["at"]),
                            place=d["place"])

    async def _on_MeetingHeld(self, conn, d, e) -> None:
        await self._meeting(conn, d["meeting_id"], e, status="held", held_on=date.fromisoformat(d["held_on"]),
                            outcome=d["outcome"], attendees=json.dumps(d["attendees"]))

    async def _on_MeetingCancelled(self, conn, d, e) -> None:
        await self._meeting(conn, d["meeting_id"], e, status="cancelled", cancel_reason=d["reason"])

    async def _on_MeetingOverdue(self, conn, d, e) -> None:
        await self._meeting(conn, d["meeting_id"], e, overdue=True)

    async def _on_JointPlanRecorded(self, conn, d, e) -> None:
        # Numbered here, in event order, inside the projection's own transaction:
        # live and rebuilt read models give every plan the same version.
        await conn.execute(
            """INSERT INTO rm_joint_plans (pathway_id, kind, version, meeting_id, summary, agreed_by,
                   recorded_at, position)
               SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5::jsonb, $6, $7
               FROM rm_joint_plans WHERE pathway_id = $1 AND kind = $2""",
            d["pathway_id"], d["kind"], d["meeting_id"], d["summary"], json.dumps(d["agreed_by"]),
            e.recorded_at, e.position,
        )


def _json_list(v):
    return json.loads(v) if isinstance(v, str) else v


class MeetingRow(BaseModel):
    meeting_id: str
    pathway_id: str
    kind: str
    status: str
    purpose: Annotated[str | None, CLINICAL]
    participants: list[Participant]
    called_on: date
    hold_by: date
    scheduled_at: datetime | None
    place: Annotated[str | None, SHARED]
    held_on: date | None
    outcome: Annotated[str | None, CLINICAL]
    attendees: list[Participant]
    cancel_reason: Annotated[str | None, CLINICAL]
    overdue: bool
    updated_at: datetime

    @field_validator("participants", "attendees", mode="before")
    @classmethod
    def _json(cls, v):
        return _json_list(v)


class JointPlanRow(BaseModel):
    pathway_id: str
    kind: str
    version: int
    meeting_id: str
    # A joint plan is the two sectors' own agreement (a koordinationsplan is made to be shared,
    # Psychiatry Act §13c): municipal staff with consent read it; ops do not.
    summary: Annotated[str | None, SHARED]
    agreed_by: list[Participant]
    recorded_at: datetime

    @field_validator("agreed_by", mode="before")
    @classmethod
    def _json(cls, v):
        return _json_list(v)


_MEETING_COLUMNS = """meeting_id, pathway_id, kind, status, purpose, participants, called_on, hold_by,
    scheduled_at, place, held_on, outcome, attendees, cancel_reason, overdue, updated_at"""


async def meeting(pool: asyncpg.Pool, meeting_id: str) -> MeetingRow | None:
    row = await pool.fetchrow(f"SELECT {_MEETING_COLUMNS} FROM rm_meetings WHERE meeting_id = $1", meeting_id)
    return MeetingRow(**dict(row)) if row else None


async def meetings(pool: asyncpg.Pool, pathway_id: str) -> list[MeetingRow]:
    rows = await pool.fetch(
        f"""SELECT {_MEETING_COLUMNS} FROM rm_meetings WHERE pathway_id = $1
            ORDER BY called_on DESC, updated_at DESC, meeting_id""",
        pathway_id,
    )
    return [MeetingRow(**dict(r)) for r in rows]


async def joint_plans(pool: asyncpg.Pool, pathway_id: str, kind: str | None = None) -> list[JointPlanRow]:
    rows = await pool.fetch(
        """SELECT pathway_id, kind, version, meeting_id, summary, agreed_by, recorded_at FROM rm_joint_plans
           WHERE pathway_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY position DESC""",
        pathway_id, kind,
    )
    return [JointPlanRow(**dict(r)) for r in rows]
