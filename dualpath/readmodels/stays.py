"""The `stays` projection: inpatient stays (indlæggelser) per pathway, and how the API reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeAlias

import asyncpg
from pydantic import BaseModel

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.domain.disclosure import CLINICAL
from dualpath.eventstore.store import Connection
from dualpath.readmodels.pathways import ON_THE_PATHWAY
from dualpath.readmodels.projection import ReadModel, Rows, Table, on

# -- the writer ---------------------------------------------------------------------


_STAYS = Table("rm_stays", "stay_id")
_LEAVES = Table("rm_leaves", "leave_id")
# What changes a stay's row once it is there.
_StayChange: TypeAlias = ev.InpatientPhaseChanged | ev.DischargePlanned | ev.PatientDischarged | ev.StayEnded


# What a discharge shows on its stay: its date, and the rules it broke with their reasons.
_DISCHARGE_COLUMNS = {
    "discharged_on",
    "before_non_working_days",
    "reason_before_non_working_days",
    "required_meeting",
    "meeting_held",
    "meeting_not_held_reason",
}


class StaysProjection(ReadModel, name="stays", tables=("rm_stays", "rm_leaves")):
    @on(ev.AdmissionStarted)
    async def admitted(self, conn: Connection, e: ev.AdmissionStarted, at: RecordedEvent) -> None:
        await _STAYS.insert(conn, e, ON_THE_PATHWAY, phase=1, status="admitted", updated_at=at.recorded_at)

    @on(ev.LeaveGranted)
    async def leave_granted(self, conn: Connection, e: ev.LeaveGranted, at: RecordedEvent) -> None:
        await _LEAVES.insert(conn, e, updated_at=at.recorded_at)

    @on(ev.LeaveEnded)
    @_LEAVES.changes
    def leave_ended(e: ev.LeaveEnded, at: RecordedEvent) -> dict[str, object]:
        return {"went": e.went, "note": e.note}

    @on(_StayChange)
    @_STAYS.changes
    def changed(e: _StayChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.InpatientPhaseChanged():
                return {"phase": e.to_phase}
            case ev.DischargePlanned():
                return {"planned_discharge": e.planned_date}
            case ev.PatientDischarged():
                return {"status": "discharged", **e.model_dump(include=_DISCHARGE_COLUMNS)}
            case ev.StayEnded():
                return {"status": "ended"}


# -- the reader ---------------------------------------------------------------------


class StayRow(BaseModel):
    stay_id: str
    pathway_id: str
    number: int
    via: str
    ward: Annotated[str | None, CLINICAL]
    phase: int
    status: str
    admitted_on: date
    planned_discharge: date | None
    discharged_on: date | None
    before_non_working_days: bool | None
    reason_before_non_working_days: Annotated[str | None, CLINICAL] = None
    required_meeting: str | None = None
    meeting_held: bool | None = None
    meeting_not_held_reason: Annotated[str | None, CLINICAL] = None
    updated_at: datetime


class LeaveRow(BaseModel):
    leave_id: str
    stay_id: str
    kind: str
    from_date: date
    to_date: date
    went: str | None
    note: Annotated[str | None, CLINICAL]


_ROWS = Rows(StayRow, "rm_stays")
_LEAVE_ROWS = Rows(LeaveRow, "rm_leaves")


async def stay(pool: asyncpg.Pool, stay_id: str) -> StayRow | None:
    return await _ROWS.one(pool, "stay_id = $1", stay_id)


async def stays(pool: asyncpg.Pool, pathway_id: str) -> list[StayRow]:
    return await _ROWS.all(pool, "WHERE pathway_id = $1 ORDER BY number", pathway_id)


async def leaves(pool: asyncpg.Pool, pathway_id: str) -> list[LeaveRow]:
    return await _LEAVE_ROWS.all(pool, "WHERE pathway_id = $1 ORDER BY from_date, leave_id", pathway_id)
