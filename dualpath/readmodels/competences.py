"""The `competences` projection and the coverage report (issue #15 item 3).

`rm_certifications` keeps every certification in a method (the latest per member and method stands: a renewal
replaces it), `rm_courses` the courses attended (seed 001's other competence areas and the leaders' programme),
`rm_supervisions` the method and case supervision sessions (a case by its pathway id only). All from the staff
members' streams (`staff-<subject>`).

Disclosure: a staff member's subject and display name belong to their organisation (OWNER, by `organisation`,
as in the register): ops read the counts and shares, never who.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated

import asyncpg
from pydantic import BaseModel

from dualpath import workflow_ids
from dualpath.contracts.events import RecordedEvent
from dualpath.domain import competences as rules
from dualpath.domain.competences import CertificationRecorded, CourseAttended, SupervisionReceived
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import ReadModel, on, streams_of
from dualpath.readmodels.staff import ORGANISATION_OWNS


class CompetencesProjection(
    ReadModel,
    name="competences",
    tables=("rm_certifications", "rm_courses", "rm_supervisions"),
    stream_prefix=streams_of(workflow_ids.staff_stream),
):
    @on(CertificationRecorded)
    async def certified(self, conn: Connection, e: CertificationRecorded, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_certifications (subject, version, method, certified_on, renewal_due, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject, version) DO NOTHING""",
            e.subject,
            at.version,
            e.method,
            e.certified_on,
            e.renewal_due,
            at.recorded_at,
        )

    @on(CourseAttended)
    async def attended(self, conn: Connection, e: CourseAttended, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_courses (course_id, subject, area, title, attended_on, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (course_id) DO NOTHING""",
            e.course_id,
            e.subject,
            e.area,
            e.title,
            e.attended_on,
            at.recorded_at,
        )

    @on(SupervisionReceived)
    async def supervised(self, conn: Connection, e: SupervisionReceived, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_supervisions (supervision_id, subject, kind, method, pathway_id, held_on, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (supervision_id) DO NOTHING""",
            e.supervision_id,
            e.subject,
            e.kind,
            e.method,
            e.pathway_id,
            e.held_on,
            at.recorded_at,
        )


# -- one staff member's competences -------------------------------------------------------------------------------


class CertificationRow(BaseModel):
    method: str
    certified_on: date
    renewal_due: date
    held: bool  # certified on or before today and renewal not yet due
    renewal_due_soon: bool  # due within RENEWAL_HORIZON_DAYS


class CourseRow(BaseModel):
    course_id: str
    area: str
    title: str
    attended_on: date


class SupervisionRow(BaseModel):
    supervision_id: str
    kind: str
    method: str | None
    pathway_id: str | None
    held_on: date
    quarter: str


class StaffCompetences(BaseModel):
    """A staff member's current certifications (the latest per method), courses and supervision sessions."""

    subject: Annotated[str | None, ORGANISATION_OWNS]
    organisation: str
    certifications: list[CertificationRow]
    certification_history: list[CertificationRow]
    courses: list[CourseRow]
    supervisions: list[SupervisionRow]


def _certification(row: asyncpg.Record, today: date) -> CertificationRow:
    horizon = today + timedelta(days=rules.RENEWAL_HORIZON_DAYS)
    return CertificationRow(
        method=row["method"],
        certified_on=row["certified_on"],
        renewal_due=row["renewal_due"],
        held=row["certified_on"] <= today < row["renewal_due"],
        renewal_due_soon=today <= row["renewal_due"] <= horizon,
    )


async def staff_competences(pool: asyncpg.Pool, subject: str, organisation: str, today: date) -> StaffCompetences:
    certs = await pool.fetch(
        "SELECT method, certified_on, renewal_due FROM rm_certifications WHERE subject = $1 ORDER BY version DESC",
        subject,
    )
    history = [_certification(r, today) for r in certs]
    latest: dict[str, CertificationRow] = {}
    for c in history:
        latest.setdefault(c.method, c)
    courses = await pool.fetch(
        """SELECT course_id, area, title, attended_on FROM rm_courses WHERE subject = $1
            ORDER BY attended_on DESC, recorded_at DESC""",
        subject,
    )
    sessions = await pool.fetch(
        """SELECT supervision_id, kind, method, pathway_id, held_on FROM rm_supervisions WHERE subject = $1
            ORDER BY held_on DESC, recorded_at DESC""",
        subject,
    )
    return StaffCompetences(
        subject=subject,
        organisation=organisation,
        certifications=[latest[m] for m in rules.METHODS if m in latest],
        certification_history=history,
        courses=[CourseRow(**dict(r)) for r in courses],
        supervisions=[SupervisionRow(**dict(r), quarter=rules.quarter(r["held_on"])) for r in sessions],
    )


# -- the coverage report ------------------------------------------------------------------------------------------


class MethodCoverage(BaseModel):
    method: str
    certified: int  # active staff in scope holding a current certification
    staff: int
    share: float  # certified / staff, rounded to 4 decimals (0 when there is no staff)
    renewals_due: int  # current certifications whose renewal falls due within the horizon


class RenewalDue(BaseModel):
    subject: Annotated[str | None, ORGANISATION_OWNS]
    display_name: Annotated[str | None, ORGANISATION_OWNS]
    organisation: str
    team: str
    method: str
    renewal_due: date


class QuarterSupervision(BaseModel):
    quarter: str
    sessions: int
    method_sessions: int
    case_sessions: int
    supervised: int  # staff members with at least one session
    staff: int
    per_person: float  # sessions / staff, rounded to 2 decimals


class PersonSupervision(BaseModel):
    subject: Annotated[str | None, ORGANISATION_OWNS]
    display_name: Annotated[str | None, ORGANISATION_OWNS]
    organisation: str
    team: str
    quarter: str
    sessions: int


class CourseCoverage(BaseModel):
    area: str
    staff: int  # staff in scope with at least one course of the area


class PathwayLacking(BaseModel):
    """An active pathway whose current contact person holds no current certification in a method its phase names."""

    pathway_id: str
    kind: str
    phase: int
    catalogue_version: str
    called_for: list[str]
    missing: list[str]
    subject: Annotated[str | None, ORGANISATION_OWNS]
    display_name: Annotated[str | None, ORGANISATION_OWNS]
    organisation: str | None
    team: str | None


class CompetenceReport(BaseModel):
    organisation: str | None  # None: every organisation (ops)
    team: str | None
    today: date
    horizon_days: int
    staff: int  # active staff members in scope
    methods: list[MethodCoverage]
    renewals_due: list[RenewalDue]
    supervision: list[QuarterSupervision]  # the last four quarters, the current one first
    supervision_per_person: list[PersonSupervision]
    courses: list[CourseCoverage]
    pathways_checked: int  # active pathways with a contact person in scope
    pathways_lacking_method: list[PathwayLacking]


# `organisation` is exact, or the pattern "region:%" (every region's staff: the monitoring report's totals).
_SCOPE = "s.active AND ($1::text IS NULL OR s.organisation LIKE $1) AND ($2::text IS NULL OR s.team = $2)"


def _quarter_start(on: date) -> date:
    return date(on.year, (on.month - 1) // 3 * 3 + 1, 1)


def _quarters_back(today: date, n: int) -> list[date]:
    starts = [_quarter_start(today)]
    for _ in range(n - 1):
        starts.append(_quarter_start(starts[-1] - timedelta(days=1)))
    return starts


async def competence_report(
    pool: asyncpg.Pool, *, organisation: str | None, team: str | None, today: date
) -> CompetenceReport:
    horizon = today + timedelta(days=rules.RENEWAL_HORIZON_DAYS)
    staff_count = await pool.fetchval(f"SELECT count(*) FROM rm_staff s WHERE {_SCOPE}", organisation, team)
    # The latest certification per (member, method), for the active members in scope.
    current = await pool.fetch(
        f"""SELECT DISTINCT ON (c.subject, c.method) c.subject, c.method, c.certified_on, c.renewal_due,
                   s.organisation, s.team, n.display_name
              FROM rm_certifications c JOIN rm_staff s USING (subject)
              LEFT JOIN staff_names n ON n.subject = c.subject
             WHERE {_SCOPE}
             ORDER BY c.subject, c.method, c.version DESC""",
        organisation,
        team,
    )
    held: dict[str, set[str]] = defaultdict(set)  # subject -> methods held today
    methods: list[MethodCoverage] = []
    renewals: list[RenewalDue] = []
    for r in current:
        if r["certified_on"] <= today < r["renewal_due"]:
            held[r["subject"]].add(r["method"])
        if today <= r["renewal_due"] <= horizon:
            renewals.append(
                RenewalDue(
                    subject=r["subject"],
                    display_name=r["display_name"],
                    organisation=r["organisation"],
                    team=r["team"],
                    method=r["method"],
                    renewal_due=r["renewal_due"],
                )
            )
    renewals.sort(key=lambda x: (x.renewal_due, x.method, x.subject or ""))
    for m in rules.METHODS:
        certified = sum(1 for ms in held.values() if m in ms)
        methods.append(
            MethodCoverage(
                method=m,
                certified=certified,
                staff=staff_count,
                share=round(certified / staff_count, 4) if staff_count else 0.0,
                renewals_due=sum(1 for x in renewals if x.method == m),
            )
        )

    starts = _quarters_back(today, 4)
    sessions = await pool.fetch(
        f"""SELECT v.subject, v.kind, v.held_on, s.organisation, s.team, n.display_name
              FROM rm_supervisions v JOIN rm_staff s USING (subject)
              LEFT JOIN staff_names n ON n.subject = v.subject
             WHERE {_SCOPE} AND v.held_on >= $3""",
        organisation,
        team,
        starts[-1],
    )
    per_quarter: dict[str, list[asyncpg.Record]] = defaultdict(list)
    per_person: dict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
    for r in sessions:
        q = rules.quarter(r["held_on"])
        per_quarter[q].append(r)
        per_person[(r["subject"], q)].append(r)
    supervision = []
    for start in starts:
        q = rules.quarter(start)
        rows = per_quarter.get(q, [])
        supervision.append(
            QuarterSupervision(
                quarter=q,
                sessions=len(rows),
                method_sessions=sum(1 for r in rows if r["kind"] == "method"),
                case_sessions=sum(1 for r in rows if r["kind"] == "case"),
                supervised=len({r["subject"] for r in rows}),
                staff=staff_count,
                per_person=round(len(rows) / staff_count, 2) if staff_count else 0.0,
            )
        )
    people = [
        PersonSupervision(
            subject=subject,
            display_name=rows[0]["display_name"],
            organisation=rows[0]["organisation"],
            team=rows[0]["team"],
            quarter=q,
            sessions=len(rows),
        )
        for (subject, q), rows in per_person.items()
    ]
    people.sort(key=lambda p: (p.display_name or "", p.subject or ""))
    people.sort(key=lambda p: p.quarter, reverse=True)  # stable: the latest quarter first, by name within it

    courses = await pool.fetch(
        f"""SELECT k.area, count(DISTINCT k.subject) AS staff
              FROM rm_courses k JOIN rm_staff s USING (subject) WHERE {_SCOPE} GROUP BY k.area""",
        organisation,
        team,
    )
    by_area = {r["area"]: r["staff"] for r in courses}

    lacking, checked = await _pathways_lacking(pool, organisation, team, held)
    return CompetenceReport(
        organisation=organisation,
        team=team,
        today=today,
        horizon_days=rules.RENEWAL_HORIZON_DAYS,
        staff=staff_count,
        methods=methods,
        renewals_due=renewals,
        supervision=supervision,
        supervision_per_person=people,
        courses=[CourseCoverage(area=a, staff=by_area.get(a, 0)) for a in rules.COURSE_AREAS],
        pathways_checked=checked,
        pathways_lacking_method=lacking,
    )


async def _pathways_lacking(
    pool: asyncpg.Pool, organisation: str | None, team: str | None, held: dict[str, set[str]]
) -> tuple[list[PathwayLacking], int]:
    """The active pathways whose current contact person (in scope: the member's organisation and team) holds no
    current certification in a method the pathway's phase names in its catalogue version; and how many were
    checked. The pathway's region is its contact person's organisation (a contact person is of its region)."""
    rows = await pool.fetch(
        """SELECT p.pathway_id, p.kind, p.phase, p.catalogue_version, c.subject, s.organisation, s.team,
                   n.display_name
              FROM rm_pathways p
              JOIN LATERAL (SELECT subject FROM rm_contact_persons cp WHERE cp.pathway_id = p.pathway_id
                             ORDER BY cp.version DESC LIMIT 1) c ON true
              JOIN rm_staff s ON s.subject = c.subject
              LEFT JOIN staff_names n ON n.subject = c.subject
             WHERE p.status = 'active' AND ($1::text IS NULL OR s.organisation LIKE $1)
               AND ($2::text IS NULL OR s.team = $2)
             ORDER BY p.started_at, p.pathway_id""",
        organisation,
        team,
    )
    lacking = []
    for r in rows:
        called_for = rules.methods_called_for(r["kind"], r["phase"], r["catalogue_version"])
        missing = [m for m in called_for if m not in held.get(r["subject"], set())]
        if missing:
            lacking.append(
                PathwayLacking(
                    pathway_id=r["pathway_id"],
                    kind=r["kind"],
                    phase=r["phase"],
                    catalogue_version=r["catalogue_version"],
                    called_for=list(called_for),
                    missing=missing,
                    subject=r["subject"],
                    display_name=r["display_name"],
                    organisation=r["organisation"],
                    team=r["team"],
                )
            )
    return lacking, len(rows)
