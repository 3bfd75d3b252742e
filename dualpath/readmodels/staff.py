"""The `staff` projection: the staff register (issue #15 item 1) and the pathways' named contact persons (item 2).

`rm_staff` holds each staff member's organisation, team, role and whether they are active, from their stream
(`staff-<subject>`); `rm_contact_persons` every naming of a pathway's contact person, in the pathway stream's
order (the latest is the current one). Display names are read from the register table `staff_names`
(personal data kept outside events and Temporal, as the CPR number is in `patients`).

Disclosure: a display name belongs to the staff member's organisation (OWNER, by `organisation`): region staff
and that organisation read it, ops never. On a pathway the contact person is SHARED (the municipality with the
patient's consent knows whom to call); the reason for a change is CLINICAL.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import asyncpg
from pydantic import BaseModel

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.domain.disclosure import CLINICAL, SHARED, Audience, Disclosure
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import ReadModel, Table, on

# A display name is its organisation's (and region staff's) to read.
ORGANISATION_OWNS = Disclosure(Audience.owner, owner_field="organisation")

_STAFF = Table("rm_staff", "subject")


class StaffProjection(ReadModel, name="staff", tables=("rm_staff", "rm_contact_persons", "rm_task_assignments")):
    @on(ev.StaffMemberRegistered)
    async def registered(self, conn: Connection, e: ev.StaffMemberRegistered, at: RecordedEvent) -> None:
        await _STAFF.insert(conn, e, registered_at=at.recorded_at, updated_at=at.recorded_at, active=True)

    @on(ev.StaffMemberChanged)
    async def changed(self, conn: Connection, e: ev.StaffMemberChanged, at: RecordedEvent) -> None:
        await _STAFF.update(conn, e.subject, at, team=e.team, role=e.role, active=e.active)

    @on(ev.ContactPersonNamed)
    async def named(self, conn: Connection, e: ev.ContactPersonNamed, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_contact_persons (pathway_id, version, subject, previous, reason, named_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pathway_id, version) DO NOTHING""",
            e.pathway_id,
            at.version,
            e.subject,
            e.previous,
            e.reason,
            at.recorded_at,
        )

    @on(ev.TaskAssigned)
    async def assigned(self, conn: Connection, e: ev.TaskAssigned, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_task_assignments (task_id, pathway_id, subject, assigned_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (task_id) DO UPDATE SET subject = EXCLUDED.subject, assigned_at = EXCLUDED.assigned_at""",
            e.task_id,
            e.pathway_id,
            e.subject,
            at.recorded_at,
        )


class StaffRow(BaseModel):
    subject: str
    organisation: str
    team: str
    role: str
    active: bool
    display_name: Annotated[str | None, ORGANISATION_OWNS]
    registered_at: datetime
    updated_at: datetime


class StaffList(BaseModel):
    """A list of the register: how many, and (to those who may read names) who."""

    organisation: str | None
    team: str | None
    count: int
    members: Annotated[list[StaffRow], ORGANISATION_OWNS]


class ContactPersonEntry(BaseModel):
    """A naming of the pathway's contact person: who (their name from the register), the one before, and why."""

    subject: Annotated[str | None, SHARED]
    display_name: Annotated[str | None, SHARED]
    organisation: str | None
    team: str | None
    role: str | None
    active: bool | None
    previous: Annotated[str | None, SHARED]
    reason: Annotated[str | None, CLINICAL]
    named_at: datetime


_SELECT_STAFF = """SELECT s.subject, s.organisation, s.team, s.role, s.active, n.display_name, s.registered_at,
                          s.updated_at
                     FROM rm_staff s LEFT JOIN staff_names n USING (subject)"""


async def staff_member(pool: asyncpg.Pool, subject: str) -> StaffRow | None:
    row = await pool.fetchrow(f"{_SELECT_STAFF} WHERE s.subject = $1", subject)
    return StaffRow(**dict(row)) if row else None


async def staff(
    pool: asyncpg.Pool, *, organisation: str | None, team: str | None, limit: int, offset: int
) -> tuple[int, list[StaffRow]]:
    """How many staff members `organisation` (None: every one) has in `team` (None: any), and a page of them."""
    where = "WHERE ($1::text IS NULL OR s.organisation = $1) AND ($2::text IS NULL OR s.team = $2)"
    count = await pool.fetchval(f"SELECT count(*) FROM rm_staff s {where}", organisation, team)
    rows = await pool.fetch(
        f"{_SELECT_STAFF} {where} ORDER BY n.display_name NULLS LAST, s.subject LIMIT $3 OFFSET $4",
        organisation,
        team,
        limit,
        offset,
    )
    return count, [StaffRow(**dict(r)) for r in rows]


async def register_name(pool: asyncpg.Pool, subject: str, display_name: str) -> None:
    """Write (or replace) a staff member's display name in the register: the only place it is kept."""
    await pool.execute(
        """INSERT INTO staff_names (subject, display_name) VALUES ($1, $2)
           ON CONFLICT (subject) DO UPDATE SET display_name = EXCLUDED.display_name, updated_at = now()""",
        subject,
        display_name,
    )


async def contact_persons(pool: asyncpg.Pool, pathway_id: str) -> list[ContactPersonEntry]:
    """Every naming of the pathway's contact person, the latest (the current one) first."""
    rows = await pool.fetch(
        """SELECT c.subject, n.display_name, s.organisation, s.team, s.role, s.active, c.previous, c.reason,
                  c.named_at
             FROM rm_contact_persons c
             LEFT JOIN rm_staff s USING (subject)
             LEFT JOIN staff_names n ON n.subject = c.subject
            WHERE c.pathway_id = $1
            ORDER BY c.version DESC""",
        pathway_id,
    )
    return [ContactPersonEntry(**dict(r)) for r in rows]


class TaskAssignmentRow(BaseModel):
    """An open or closed task of the pathway given to a named staff member (the name from the register)."""

    task_id: str
    subject: Annotated[str | None, SHARED]
    display_name: Annotated[str | None, SHARED]
    assigned_at: datetime


async def task_assignments(pool: asyncpg.Pool, pathway_id: str) -> list[TaskAssignmentRow]:
    """Who each of the pathway's assigned tasks is given to."""
    rows = await pool.fetch(
        """SELECT a.task_id, a.subject, n.display_name, a.assigned_at
             FROM rm_task_assignments a LEFT JOIN staff_names n ON n.subject = a.subject
            WHERE a.pathway_id = $1 ORDER BY a.assigned_at""",
        pathway_id,
    )
    return [TaskAssignmentRow(**dict(r)) for r in rows]


async def people(pool: asyncpg.Pool, pathway_id: str) -> tuple[list[ContactPersonEntry], list[TaskAssignmentRow]]:
    """The pathway's contact persons (the current one first) and its tasks' assignees, read side by side."""
    named, assigned = await asyncio.gather(contact_persons(pool, pathway_id), task_assignments(pool, pathway_id))
    return named, assigned
