"""The `meetings` projection: meetings and joint plans (fælles planer) per pathway, and how the API reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeAlias

import asyncpg
from pydantic import BaseModel

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import meeting_events as ev
from dualpath.domain.disclosure import CLINICAL, SHARED
from dualpath.domain.joint_plans import CrisisPlan, PlanAction
from dualpath.domain.meetings import Participant
from dualpath.eventstore.store import Connection
from dualpath.readmodels.pathways import ON_THE_PATHWAY
from dualpath.readmodels.projection import FROM_JSON, ReadModel, Rows, Table, on, to_jsonb

# -- the writer ---------------------------------------------------------------------


_MEETINGS = Table("rm_meetings", "meeting_id")
# What changes a meeting's row once it is there.
_MeetingChange: TypeAlias = ev.MeetingScheduled | ev.MeetingHeld | ev.MeetingCancelled | ev.MeetingOverdue


class MeetingsProjection(ReadModel, name="meetings", tables=("rm_meetings", "rm_joint_plans")):
    @on(ev.MeetingCalled)
    async def called(self, conn: Connection, e: ev.MeetingCalled, at: RecordedEvent) -> None:
        participants = to_jsonb(e.participants)
        await _MEETINGS.insert(
            conn, e, ON_THE_PATHWAY, status="called", participants=participants, updated_at=at.recorded_at
        )

    @on(ev.JointPlanRecorded)
    async def joint_plan(self, conn: Connection, e: ev.JointPlanRecorded, at: RecordedEvent) -> None:
        # Numbered here, in event order, inside the projection's own transaction:
        # live and rebuilt read models give every plan the same version.
        await conn.execute(
            """INSERT INTO rm_joint_plans (pathway_id, kind, version, meeting_id, summary, agreed_by,
                   recorded_at, position, actions, crisis_plan, next_review, revises)
               SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9::jsonb, $10, $11
               FROM rm_joint_plans WHERE pathway_id = $1 AND kind = $2""",
            e.pathway_id,
            e.kind,
            e.meeting_id,
            e.summary,
            to_jsonb(e.agreed_by),
            at.recorded_at,
            at.position,
            to_jsonb(e.actions),
            None if e.crisis_plan is None else to_jsonb(e.crisis_plan),
            e.next_review,
            e.revises,
        )

    @on(_MeetingChange)
    @_MEETINGS.changes
    def changed(e: _MeetingChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.MeetingScheduled():
                return {"status": "scheduled", "scheduled_at": e.at, "place": e.place}
            case ev.MeetingHeld():
                attendees = to_jsonb(e.attendees)
                return {"status": "held", "held_on": e.held_on, "outcome": e.outcome, "attendees": attendees}
            case ev.MeetingCancelled():
                return {"status": "cancelled", "cancel_reason": e.reason}
            case ev.MeetingOverdue():
                return {"overdue": True}


# -- the reader ---------------------------------------------------------------------


# A list of participants as its jsonb column holds it.
Participants: TypeAlias = Annotated[list[Participant], FROM_JSON]


class MeetingRow(BaseModel):
    meeting_id: str
    pathway_id: str
    kind: str
    status: str
    purpose: Annotated[str | None, CLINICAL]
    participants: Participants
    called_on: date
    hold_by: date
    occasion: str | None = None  # phase_4 | discharge | transition | other; None: not stated
    stay_id: str | None = None
    scheduled_at: datetime | None
    place: Annotated[str | None, SHARED]
    held_on: date | None
    outcome: Annotated[str | None, CLINICAL]
    attendees: Participants
    cancel_reason: Annotated[str | None, CLINICAL]
    overdue: bool
    updated_at: datetime


class JointPlanRow(BaseModel):
    pathway_id: str
    kind: str
    version: int
    meeting_id: str | None  # None: made on its own, not at a meeting
    # A joint plan is the two sectors' own agreement (a koordinationsplan is made to be shared,
    # Psychiatry Act §13c): municipal staff with consent read it; ops do not.
    summary: Annotated[str | None, SHARED]
    agreed_by: Participants
    # Who does what on each side, the crisis plan, the next review (plans made before these hold none).
    actions: Annotated[list[PlanAction], FROM_JSON, SHARED] = []
    crisis_plan: Annotated[CrisisPlan | None, FROM_JSON, SHARED] = None
    next_review: Annotated[date | None, SHARED] = None
    revises: int | None = None  # the version this one revised, where it named one
    recorded_at: datetime


_MEETING_ROWS = Rows(MeetingRow, "rm_meetings")
_JOINT_PLAN_ROWS = Rows(JointPlanRow, "rm_joint_plans")


async def meeting(pool: asyncpg.Pool, meeting_id: str) -> MeetingRow | None:
    return await _MEETING_ROWS.one(pool, "meeting_id = $1", meeting_id)


async def meetings(pool: asyncpg.Pool, pathway_id: str) -> list[MeetingRow]:
    rest = "WHERE pathway_id = $1 ORDER BY called_on DESC, updated_at DESC, meeting_id"
    return await _MEETING_ROWS.all(pool, rest, pathway_id)


async def joint_plans(pool: asyncpg.Pool, pathway_id: str, kind: str | None = None) -> list[JointPlanRow]:
    """Every version of the pathway's joint plans (of `kind`), newest first."""
    rest = "WHERE pathway_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY position DESC"
    return await _JOINT_PLAN_ROWS.all(pool, rest, pathway_id, kind)
