"""Competences of the staff register's members and the coverage report (issue #15 item 3).

Who may do what (the register's rules, api/routes/staff.py):
- record a colleague's certification (`POST /staff/{subject}/certifications`), course (`…/courses`) or
  supervision session (`…/supervisions`): staff of the member's own organisation who keep its register
  (clinicians and visitation of a region, municipal staff of a municipality); never ops. Another organisation's
  member answers 404. A case supervision names the case by its pathway id, which the caller must be allowed to
  see; no clinical text is kept.
- read a member's competences (`GET /staff/{subject}/competences`): staff of the organisation; ops without the
  subject.
- the coverage report (`GET /reports/competences?region=&team=`): region staff their own region's; municipal
  staff their own organisation's; ops any region or all, with counts and shares but never who (the disclosure
  policy withholds subjects and names, marked ORGANISATION_OWNS).

Renewal: a certification's `renewal_due` is the certificate's own when given, else the method's default period
(domain/competences.py RENEWAL_YEARS: KAT 3 years, DAT 3 years, MI 2 years; the engine's defaults).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import Field

from dualpath.api import access, commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.errors import ApiError
from dualpath.api.routes.pathways import visible_pathway
from dualpath.api.routes.staff import KEEPERS, Subject, _visible
from dualpath.domain import competences as rules
from dualpath.domain import copenhagen
from dualpath.domain.competences import CourseArea, Method, SupervisionKind
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.staff import Team
from dualpath.domain.validation import Id, Input, Line, NotFuture
from dualpath.readmodels import competences as rm
from dualpath.readmodels.competences import CompetenceReport, StaffCompetences
from dualpath.workflows import staff_member as wf
from dualpath.workflows.staff_member_messages import CertificationCommand, CourseCommand, SupervisionCommand

router = disclosure.Router(tags=["competences"])


class CertificationIn(Input):
    method: Method = Field(description="KAT, DAT or MI")
    # Not in the future: the default renewal (certified_on + the method's period) then stays a storable date.
    certified_on: NotFuture = Field(description="The day certified (not in the future)")
    renewal_due: date | None = Field(
        default=None, description="When renewal is due; default: the method's period (KAT 3, DAT 3, MI 2 years)"
    )


class CourseIn(Input):
    area: CourseArea = Field(description="The competence area of seed 001, or leaders_programme")
    title: Line = Field(min_length=1, max_length=200, description="The course (no personal data)")
    attended_on: date


class SupervisionIn(Input):
    kind: SupervisionKind = Field(description="method (metodesupervision) or case (sagssupervision)")
    held_on: date
    method: Method | None = Field(default=None, description="Method supervision: the method")
    pathway_id: Id | None = Field(default=None, description="Case supervision: the case by its pathway id only")


async def _answer(res: Res, subject: str, organisation: str) -> StaffCompetences:
    return await rm.staff_competences(res.pool, subject, organisation, copenhagen.today())


@router.post("/staff/{subject}/certifications", status_code=201, response_model=StaffCompetences)
async def record_certification(
    subject: Subject, body: CertificationIn, res: Res, staff: Staff = require(*KEEPERS)
) -> StaffCompetences:
    """A colleague certified (or renewed) in a method (CertificationRecorded)."""
    row = await _visible(res, staff, subject)
    renewal_due = body.renewal_due or rules.default_renewal(body.method, body.certified_on)
    cmd = commands.make(CertificationCommand, staff, body, renewal_due=renewal_due)
    await commands.run(res, wf.workflow_id(subject), wf.StaffMemberWorkflow.record_certification, cmd)
    return await _answer(res, subject, row.organisation)


@router.post("/staff/{subject}/courses", status_code=201, response_model=StaffCompetences)
async def record_course(
    subject: Subject, body: CourseIn, res: Res, staff: Staff = require(*KEEPERS)
) -> StaffCompetences:
    """A course of competence development (or of the leaders' programme) attended (CourseAttended)."""
    row = await _visible(res, staff, subject)
    cmd = commands.make(CourseCommand, staff, body)
    await commands.run(res, wf.workflow_id(subject), wf.StaffMemberWorkflow.record_course, cmd)
    return await _answer(res, subject, row.organisation)


@router.post("/staff/{subject}/supervisions", status_code=201, response_model=StaffCompetences)
async def record_supervision(
    subject: Subject, body: SupervisionIn, res: Res, staff: Staff = require(*KEEPERS)
) -> StaffCompetences:
    """A method supervision (its method) or a case supervision (the pathway id only) (SupervisionReceived)."""
    row = await _visible(res, staff, subject)
    try:
        rules.check_supervision(body.kind, body.method, body.pathway_id)
    except rules.CompetenceRefused as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    if body.pathway_id is not None:
        await visible_pathway(res, staff, body.pathway_id)
    cmd = commands.make(SupervisionCommand, staff, body)
    await commands.run(res, wf.workflow_id(subject), wf.StaffMemberWorkflow.record_supervision, cmd)
    return await _answer(res, subject, row.organisation)


@router.get("/staff/{subject}/competences", response_model=StaffCompetences)
async def staff_competences(subject: Subject, staff: CurrentStaff, res: Res) -> StaffCompetences:
    """A member's current certifications (with renewal), the history, courses and supervision sessions."""
    row = await _visible(res, staff, subject)
    return await _answer(res, subject, row.organisation)


@router.get("/reports/competences", response_model=CompetenceReport)
async def competence_report(
    staff: CurrentStaff,
    res: Res,
    region: Annotated[
        str | None,
        Query(description="A region code, e.g. 1082. Ops: omit for every organisation; region staff: their own"),
    ] = None,
    team: Annotated[Team | None, Query(description="One team of it")] = None,
) -> CompetenceReport:
    """Coverage per region (or municipality) and team: the share certified in each method, renewals due within 90
    days, supervision per person per quarter, courses per area, and the active pathways whose contact person lacks
    a method the pathway's phase names in the catalogue. Ops: counts and shares, never who."""
    if region is not None and region not in REGIONS:
        raise ApiError(422, "invalid_input", f"region: unknown region code {region!r}", allowed=sorted(REGIONS))
    if staff.role == Role.ops:
        organisation = f"region:{region}" if region is not None else None
    elif staff.role == Role.gp:
        raise ApiError(403, "forbidden", "a general practice may not see the coverage report")
    else:
        if region is not None and staff.org != f"region:{region}":
            raise ApiError(
                403, "forbidden", f"you see your own organisation's coverage ({staff.org}) only", allowed=[staff.org]
            )
        organisation = staff.org
    await access.record_list(res.pool, staff)
    return await rm.competence_report(res.pool, organisation=organisation, team=team, today=copenhagen.today())
