"""The `acute_contacts` projection: contacts at the acute function without admission (issue #18 item 4), per
pathway, as the pathway page shows them and the monitoring report counts them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import asyncpg
from pydantic import BaseModel

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.domain.disclosure import CLINICAL
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import ReadModel, Rows, Table, on

_CONTACTS = Table("rm_acute_contacts", "contact_id", stamped=False)


class AcuteContactsProjection(ReadModel, name="acute_contacts", tables=("rm_acute_contacts",)):
    @on(ev.AcuteContactRecorded)
    async def recorded(self, conn: Connection, e: ev.AcuteContactRecorded, at: RecordedEvent) -> None:
        await _CONTACTS.insert(conn, e, recorded_at=at.recorded_at)


class AcuteContactRow(BaseModel):
    contact_id: str
    pathway_id: str
    contact_on: date
    outcome: str
    note: Annotated[str | None, CLINICAL]
    recorded_at: datetime


_ROWS = Rows(AcuteContactRow, "rm_acute_contacts")


async def acute_contacts(pool: asyncpg.Pool, pathway_id: str) -> list[AcuteContactRow]:
    """The pathway's acute contacts, the latest first."""
    return await _ROWS.all(pool, "WHERE pathway_id = $1 ORDER BY contact_on DESC, recorded_at DESC", pathway_id)
