"""The `coordinated_courses` projection: the coordinated course after integrated care, and how the API reads it.

Process state only (origin, dates, status, the referral a relapse made): no clinical text.
"""

from __future__ import annotations

from datetime import date
from typing import TypeAlias

import asyncpg
from pydantic import BaseModel

from dualpath import workflow_ids
from dualpath.contracts.events import RecordedEvent
from dualpath.domain import coordinated_course as ev
from dualpath.eventstore.store import Connection
from dualpath.readmodels import queries
from dualpath.readmodels.projection import ReadModel, Rows, Table, on, streams_of

_COURSES = Table("rm_coordinated_courses", "course_id")
_Change: TypeAlias = ev.CoordinatedCourseCheckInDue | ev.CoordinatedCourseRelapsed | ev.CoordinatedCourseEnded


def _changes(e: _Change, at: RecordedEvent) -> dict[str, object]:
    match e:
        case ev.CoordinatedCourseCheckInDue():
            return {"check_in_opened": True}
        case ev.CoordinatedCourseRelapsed():
            return {"status": "relapsed", "relapse_referral_id": e.referral_id, "relapsed_on": e.relapsed_on}
        case ev.CoordinatedCourseEnded():
            return {"status": "ended", "ended_on": e.ended_on}


class CoordinatedCoursesProjection(
    ReadModel,
    name="coordinated_courses",
    tables=("rm_coordinated_courses",),
    stream_prefix=streams_of(workflow_ids.coordinated_stream),
):
    @on(ev.CoordinatedCourseStarted)
    async def started(self, conn: Connection, e: ev.CoordinatedCourseStarted, at: RecordedEvent) -> None:
        await _COURSES.insert(conn, e, status="active", started_at=at.recorded_at, updated_at=at.recorded_at)

    changed = on(_Change)(_COURSES.changes(_changes))


# -- the readers --------------------------------------------------------------------


class CourseRow(BaseModel):
    course_id: str
    origin: ev.Origin
    origin_id: str
    pathway_id: str | None
    patient_id: str
    region: str | None
    municipality: str
    shared_with_municipality: bool
    status: ev.CourseStatus
    started_on: date
    check_in_on: date
    ends_on: date
    check_in_opened: bool
    relapse_referral_id: str | None
    relapsed_on: date | None
    ended_on: date | None


_ROWS = Rows(CourseRow, "rm_coordinated_courses")


async def course(pool: asyncpg.Pool, course_id: str) -> CourseRow | None:
    return await _ROWS.one(pool, "course_id = $1", course_id)


async def course_for(pool: asyncpg.Pool, origin_id: str) -> CourseRow | None:
    """The course that followed a declined referral or a closed pathway."""
    return await _ROWS.one(pool, "origin_id = $1", origin_id)


async def courses(
    pool: asyncpg.Pool,
    *,
    region: str | None,
    municipality: str | None,
    status: str | None,
    origin_id: str | None = None,
    limit: int,
    offset: int,
) -> list[CourseRow]:
    """Courses of a region or a municipality, the soonest check-in first. A municipality's: only those shared
    with it, and those after a planned closure only while the pathway's consent to dialogue with it is given
    (withdrawn, they drop out at once)."""
    where: list[str] = ["($1::text IS NULL OR status = $1)"]
    args: list[object] = [status]
    if origin_id is not None:
        args.append(origin_id)
        where.append(f"origin_id = ${len(args)}")
    if region is not None:
        args.append(region)
        where.append(f"region = ${len(args)}")
    if municipality is not None:
        args.append(municipality)
        where.append(
            f"""municipality = ${len(args)} AND shared_with_municipality AND (pathway_id IS NULL OR EXISTS (
                SELECT 1 FROM rm_consents k WHERE k.pathway_id = rm_coordinated_courses.pathway_id
                AND k.scope = 'dialogue' AND k.counterpart = ${len(args)} AND k.state = 'given'))"""
        )
    args += [limit, offset]
    rest = f"WHERE {' AND '.join(where)} ORDER BY check_in_on, course_id LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    return await _ROWS.all(pool, rest, *args)


async def tasks(pool: asyncpg.Pool, course_id: str) -> list[queries.TaskRow]:
    """The course's tasks (their `referral_id` is the course id)."""
    return await queries.TASKS.all(pool, "WHERE referral_id = $1 ORDER BY opened_at, due, task_id", course_id)
