"""The `stays` projection: inpatient stays (indlæggelser) per pathway."""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel
from datetime import date, datetime
from typing import Annotated

from dualpath.domain.disclosure import CLINICAL

from dualpath.eventstore import RecordedEvent


class StaysProjection:
    name = "stays"
    tables = ("rm_stays",)

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            await handler(conn, event.data, event)

    async def _on_AdmissionStarted(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_stays (stay_id, pathway_id, number, via, ward, phase, status, admitted_on, updated_at)
               VALUES ($1,$2,$3,$4,$5,1,'admitted',$6::text::date,$7) ON CONFLICT (stay_id) DO NOTHING""",
            d["stay_id"], d["pathway_id"], d["number"], d["via"], d["ward"], d["admitted_on"], e.recorded_at,
        )

    async def _set(self, conn, stay_id: str, e, **fields) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=3))
        await conn.execute(f"UPDATE rm_stays SET updated_at = $2, {cols} WHERE stay_id = $1",
                           stay_id, e.recorded_at, *fields.values())

    async def _on_InpatientPhaseChanged(self, conn, d, e) -> None:
        await self._set(conn, d["stay_id"], e, phase=d["to_phase"])

    async def _on_DischargePlanned(self, conn, d, e) -> None:
        await self._set(conn, d["stay_id"], e, planned_discharge=date.fromisoformat(d["planned_date"]))

    async def _on_PatientDischarged(self, conn, d, e) -> None:
        await self._set(conn, d["stay_id"], e, status="discharged",
                        discharged_on=date.fromisoformat(d["discharged_on"]),
                        before_non_working_days=d["before_non_working_days"])

    async def _on_StayEnded(self, conn, d, e) -> None:
        await self._set(conn, d["stay_id"], e, status="ended")


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


_COLUMNS = """stay_id, pathway_id, number, via, ward, phase, status, admitted_on, planned_discharge, discharged_on,
    before_non_working_days, updated_at"""


async def stay(pool: asyncpg.Pool, stay_id: str) -> StayRow | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM rm_stays WHERE stay_id = $1", stay_id)
    return StayRow(**dict(row)) if row else None


async def stays(pool: asyncpg.Pool, pathway_id: str) -> list[StayRow]:
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM rm_stays WHERE pathway_id = $1 ORDER BY number", pathway_id)
    return [StayRow(**dict(r)) for r in rows]
