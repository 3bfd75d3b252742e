"""The `screenings` projection: scored screening instruments (AUDIT, DUDIT; issue #15 item 6) per pathway, the
history of scores over time as the pathway page and `GET /pathways/{id}/screenings` show it.

A screening's result is psychiatry's own record: the answers, the total, the zone, the rule and the sex whose
cut-off applied are CLINICAL (the disclosure policy withholds them from everyone but region staff); that an
instrument was used on a day is process state, as an acute contact's day is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import asyncpg
from pydantic import BaseModel

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.domain.disclosure import CLINICAL
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import FROM_JSON, ReadModel, Rows, Table, on, to_jsonb

_SCREENINGS = Table("rm_screenings", "screening_id", stamped=False)


class ScreeningsProjection(ReadModel, name="screenings", tables=("rm_screenings",)):
    @on(ev.ScreeningRecorded)
    async def recorded(self, conn: Connection, e: ev.ScreeningRecorded, at: RecordedEvent) -> None:
        await _SCREENINGS.insert(
            conn, e, ("answers",), answers=to_jsonb([a.model_dump() for a in e.answers]), recorded_at=at.recorded_at
        )


class ScreeningAnswerRow(BaseModel):
    item: int
    answer: int


class ScreeningRow(BaseModel):
    screening_id: str
    pathway_id: str
    instrument: str
    version: str
    screened_on: date
    answers: Annotated[list[ScreeningAnswerRow] | None, CLINICAL, FROM_JSON]
    total: Annotated[int | None, CLINICAL]
    zone: Annotated[str | None, CLINICAL]
    rule: Annotated[str | None, CLINICAL]
    cutoff_sex: Annotated[str | None, CLINICAL]
    recorded_at: datetime


_ROWS = Rows(ScreeningRow, "rm_screenings")


async def screenings(pool: asyncpg.Pool, pathway_id: str) -> list[ScreeningRow]:
    """The pathway's screenings, the latest first."""
    return await _ROWS.all(pool, "WHERE pathway_id = $1 ORDER BY screened_on DESC, recorded_at DESC", pathway_id)
