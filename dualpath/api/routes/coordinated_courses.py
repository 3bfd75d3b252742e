"""The coordinated course after integrated care (issue #18 item 9): followed for the period the settings name.

Who may do what:
- read: region staff (clinician, visitation) their region's courses; municipality staff their municipality's,
  only when the course is shared with it (the patient's consent to dialogue with it at the planned closure,
  or its own referral that visitation declined) and, after a planned closure, only while the pathway's consent
  is given (withdrawn, access ends at once); ops every course's process state. The record holds no clinical
  text (the relapse's reason stays in the course's events); every look is written to the access log.
- complete a task: staff of the organisation that owns it.
- relapse: the course's municipality (when shared) or region staff refer the patient back to visitation: a new
  referral, assessed like one sent to POST /referrals (triage, phase-in, the §82c deadline), that names the
  course; the course records the referral's id and ends.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, Field

from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res
from dualpath.api.disclosure import REGION_ROLES
from dualpath.api.errors import ApiError
from dualpath.api.routes.referrals import ReferralOut, Source, _as_seen_by, _out
from dualpath.domain import copenhagen, municipalities
from dualpath.domain import triage as triage_rules
from dualpath.domain.coordinated_course import CourseStatus, Origin
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.domain.validation import Id, Input, NotFuture
from dualpath.readmodels import coordinated_courses as rm
from dualpath.readmodels import queries
from dualpath.workflows import coordinated_course as wf
from dualpath.workflows import referral as referral_wf
from dualpath.workflows.coordinated_course_messages import RelapseCommand
from dualpath.workflows.kit import CompleteTaskCommand

router = disclosure.Router(prefix="/coordinated-courses", tags=["coordinated courses"])

CourseId = Annotated[Id, Path(description="The coordinated course's id")]


class CourseSummary(BaseModel):
    course_id: str
    origin: Origin = Field(description="declined_referral | planned_closure")
    origin_id: str = Field(description="The declined referral, or the pathway closed to coordinated treatment")
    pathway_id: str | None
    region: str | None
    municipality: str
    shared_with_municipality: bool = Field(description="Whether the municipality follows the course up")
    status: CourseStatus
    started_on: date
    check_in_on: date
    ends_on: date
    check_in_opened: bool
    relapse_referral_id: str | None = Field(description="The referral back to visitation a relapse made")
    relapsed_on: date | None
    ended_on: date | None


class CourseOut(CourseSummary):
    tasks: list[queries.TaskRow]


def _summary(row: rm.CourseRow) -> CourseSummary:
    return CourseSummary.model_validate(row.model_dump(include=set(CourseSummary.model_fields)))


async def may_see(res, staff: Staff, row: rm.CourseRow) -> bool:
    """The visibility rule of a course (the module's docstring says it in words)."""
    if staff.role in REGION_ROLES:
        return staff.org_code == row.region
    if staff.role == Role.municipality:
        if staff.org_code != row.municipality or not row.shared_with_municipality:
            return False
        return row.pathway_id is None or await access.may_see(
            res.pool, staff, pathway_id=row.pathway_id, region=row.region
        )
    return staff.role == Role.ops


async def _visible(res, staff: Staff, course_id: str) -> rm.CourseRow:
    row = await rm.course(res.pool, course_id)
    visible = row is not None and await may_see(res, staff, row)
    return await access.seen(res.pool, staff, "coordinated_course", course_id, row, visible)


async def _answer(res, course_id: str) -> CourseOut:
    row = await rm.course(res.pool, course_id)
    assert row is not None  # courses are never deleted
    return CourseOut(**_summary(row).model_dump(), tasks=await rm.tasks(res.pool, course_id))


def _acting(staff: Staff, what: str) -> None:
    if staff.role == Role.ops:
        raise ApiError(
            403,
            "forbidden",
            f"{what} is for the course's parties: region staff or the municipality",
            allowed=[*(r.value for r in REGION_ROLES), Role.municipality.value],
        )


# -- read ----------------------------------------------------------------------


@router.get("", response_model=list[CourseSummary])
async def list_courses(
    staff: CurrentStaff,
    res: Res,
    status: CourseStatus | None = None,
    origin_id: Annotated[Id | None, Query(description="Only the course after this referral or pathway")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[CourseSummary]:
    """The caller's region's (or municipality's) coordinated courses, the soonest check-in first."""
    await access.record_list(res.pool, staff)
    region, municipality = access.list_limits(staff)
    rows = await rm.courses(
        res.pool,
        region=region,
        municipality=municipality,
        status=status,
        origin_id=origin_id,
        limit=limit,
        offset=offset,
    )
    return [_summary(r) for r in rows]


@router.get("/{course_id}", response_model=CourseOut)
async def get_course(course_id: CourseId, staff: CurrentStaff, res: Res) -> CourseOut:
    row = await _visible(res, staff, course_id)
    return await _answer(res, row.course_id)


# -- tasks ---------------------------------------------------------------------


class CompleteTaskIn(Input):
    outcome: Annotated[str, Field(pattern="^(done|not_possible)$", description="done | not_possible")]
    note: str | None = Field(default=None, max_length=4000, description="Required for not_possible: why")


@router.post("/{course_id}/tasks/{task_id}/complete", response_model=CourseOut)
async def complete_task(
    course_id: CourseId, task_id: Annotated[Id, Path()], body: CompleteTaskIn, staff: CurrentStaff, res: Res
) -> CourseOut:
    """Close a follow-up or check-in task of the course: by the organisation that owns it."""
    row = await _visible(res, staff, course_id)
    _acting(staff, "completing a course's task")
    task = await queries.task(res.pool, task_id)
    if task is not None and task.referral_id == course_id and task.owner_org != staff.org:
        raise ApiError(403, "forbidden", f"the task belongs to {task.owner_org}: its staff complete it")
    cmd = commands.make(CompleteTaskCommand, staff, body, task_id=task_id)
    await commands.run(res, wf.workflow_id(course_id, row.region), wf.CoordinatedCourseWorkflow.complete_task, cmd)
    return await _answer(res, course_id)


# -- relapse: back to visitation -----------------------------------------------


class RelapseIn(Input):
    reason: str = Field(min_length=1, max_length=2000, description="What has worsened (recorded on the course)")
    source: Source | None = Field(
        default=None, description="Who refers; defaults to municipality for municipal staff, else psychiatric_clinic"
    )
    received_on: NotFuture | None = Field(default=None, description="Defaults to today (Copenhagen); not later")
    facts: ReferralFacts
    criteria: EligibilityCriteria


class RelapseOut(BaseModel):
    course: CourseOut
    referral: ReferralOut


@router.post("/{course_id}/relapse", status_code=201, response_model=RelapseOut)
async def relapse(
    course_id: CourseId, body: RelapseIn, staff: CurrentStaff, res: Res, idempotency_key: idempotency.Key = None
) -> RelapseOut:
    """Refer the patient back to visitation from the coordinated course (a relapse): a new referral, assessed as
    POST /referrals assesses one, that names the course; the course records it and ends.

    In two steps, neither half-applied: the referral's id is drawn first and the course records the relapse
    with it (refused, nothing is written); then the referral is started by that id, which Temporal keeps unique.
    Should the second step fail, repeating the request starts the referral the course already names."""
    row = await _visible(res, staff, course_id)
    _acting(staff, "referring back to visitation")
    received_on = body.received_on or copenhagen.today()
    region = municipalities.region_for(row.municipality)
    # Assessed before anything is written: input the triage refuses leaves the course as it was.
    triage = triage_rules.assess(
        body.facts, body.criteria, region=region, received_on=received_on, phase_in=res.settings.phase_in_for(region)
    )
    keyed_id = idempotency.derived_id("relapse-referral")
    if row.status == "active":
        cmd = commands.make(RelapseCommand, staff, None, referral_id=keyed_id or str(uuid.uuid4()), reason=body.reason)
        result = await commands.run(
            res, wf.workflow_id(course_id, row.region), wf.CoordinatedCourseWorkflow.relapse, cmd
        )
        referral_id = result.course.relapse_referral_id
    elif (
        row.status == "relapsed"
        and row.relapse_referral_id
        and (keyed_id == row.relapse_referral_id or await queries.referral(res.pool, row.relapse_referral_id) is None)
    ):
        referral_id = row.relapse_referral_id  # a repeat, or the referral not started after the course recorded it
    else:
        said = f" (referral {row.relapse_referral_id})" if row.relapse_referral_id else ""
        raise ApiError(
            409,
            "refused",
            f"the coordinated course is {row.status}{said}: a relapse is referred back to visitation only while the "
            "course is followed; refer the patient anew through POST /referrals",
        )
    assert referral_id is not None
    if await queries.referral(res.pool, referral_id) is None:
        await _refer(res, staff, body, row, referral_id, received_on, triage)
    now = await queries.referral(res.pool, referral_id)
    assert now is not None  # recorded: commands.start waited for it
    assessed = ReferralOut(referral_id=referral_id, **triage.model_dump())
    return RelapseOut(course=await _answer(res, course_id), referral=await _as_seen_by(res, staff, _out(now), assessed))


async def _refer(
    res,
    staff: Staff,
    body: RelapseIn,
    row: rm.CourseRow,
    referral_id: str,
    received_on: date,
    triage: triage_rules.Triage,
) -> None:
    """The referral back to visitation, started as POST /referrals starts one (`referrals._start`), by its id."""
    await access.record(res.pool, staff, pathway_id=None, object_kind="referral", object_id=referral_id)
    open_pathway = (
        await queries.active_pathway_for(res.pool, row.patient_id, triage.region)
        if triage_rules.may_join_a_pathway(triage)
        else None
    )
    if open_pathway:
        triage = triage_rules.joined(triage)
    source = body.source or ("municipality" if staff.role == Role.municipality else "psychiatric_clinic")
    start = referral_wf.ReferralInput(
        referral_id=referral_id,
        patient_id=row.patient_id,
        source=source,
        municipality=row.municipality,
        received_on=received_on,
        **triage.model_dump(),
        **triage_rules.timers(triage).model_dump(),
        catalogue_version=res.settings.for_region(triage.region).catalogue_version,
        attach_to_pathway=open_pathway,
        municipal_substance_treatment=body.facts.municipal_substance_treatment,
        from_coordinated_course=row.course_id,
        actor=commands.actor(staff),
    )
    summary = f"Referral back from a coordinated course, target group {triage.group or '-'}, region {triage.region}"
    await commands.start(res, referral_wf.ReferralWorkflow.run, start, "referral", referral_id, triage.region, summary)
