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
# What changes a stay's row once it is there.
_StayChange: TypeAlias = ev.InpatientPhaseChanged | ev.DischargePlanned | ev.PatientDischarged | ev.StayEnded


class StaysProjection(ReadModel, name="stays", tables=("rm_stays",)):
    @on(ev.AdmissionStarted)
    async def admitted(self, conn: Connection, e: ev.AdmissionStarted, at: RecordedEvent) -> None:
        await _STAYS.insert(conn, e, ON_THE_PATHWAY, phase=1, status="admitted", updated_at=at.recorded_at)

    @on(_StayChange)
    @_STAYS.changes
    def changed(e: _StayChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.InpatientPhaseChanged():
                return {"phase": e.to_phase}
            case ev.DischargePlanned():
                return {"planned_discharge": e.planned_date}
            case ev.PatientDischarged():
                return {"status": "discharged", **e.model_dump(include={"discharged_on", "before_non_working_days"})}
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
    updated_at: datetime


_ROWS = Rows(StayRow, "rm_stays")


async def stay(pool: asyncpg.Pool, stay_id: str) -> StayRow | None:
    return await _ROWS.one(pool, "stay_id = $1", stay_id)


async def stays(pool: asyncpg.Pool, pathway_id: str) -> list[StayRow]:
    return await _ROWS.all(pool, "WHERE pathway_id = $1 ORDER BY number", pathway_id)
