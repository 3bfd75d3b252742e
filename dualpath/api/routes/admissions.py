"""Inpatient stays (indlæggelser): admit, move through the stay's phases, plan and record discharge."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.errors import not_found
from dualpath.api.routes.pathways import PathwayId, visible_pathway
from dualpath.domain import copenhagen, inpatient
from dualpath.domain.discharge import DischargeAdvice
from dualpath.domain.leave import LeaveKind, LeaveWent
from dualpath.domain.tasks import Task
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import queries, stays
from dualpath.workflows import inpatient_stay as stay_wf
from dualpath.workflows import inpatient_stay_messages as stay_messages
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows import pathway_messages
from dualpath.workflows.kit import MovePhaseCommand

router = disclosure.Router(prefix="/pathways/{pathway_id}/admissions", tags=["admissions"])
StayId = Annotated[Id, Path(description="The stay's id")]


class AdmitIn(Input):
    via: inpatient.Via
    ward: Line = Field(min_length=1, max_length=200)
    admitted_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    in_ambulatory_pathway: bool = Field(default=True, description="False: referred, not yet attached to a clinic")


class StayOut(stays.StayRow):
    phase_name: str
    tasks: list[queries.TaskRow]
    leaves: list[stays.LeaveRow] = Field(description="Leave before discharge (orlov), granted and how it went")


async def _stay(res, staff: Staff, pathway_id: str, stay_id: str) -> stays.StayRow:
    await visible_pathway(res, staff, pathway_id)
    row = await stays.stay(res.pool, stay_id)
    if row is None or row.pathway_id != pathway_id:
        raise not_found("admission")
    return row


async def _out(res, row: stays.StayRow) -> StayOut:
    tasks = [t for t in await queries.pathway_tasks(res.pool, row.pathway_id) if t.stay_id == row.stay_id]
    leaves = [x for x in await stays.leaves(res.pool, row.pathway_id) if x.stay_id == row.stay_id]
    return StayOut(**row.model_dump(), phase_name=inpatient.PHASE_NAMES[row.phase], tasks=tasks, leaves=leaves)


async def _now(res, stay_id: str) -> StayOut:
    """The stay as it stands after a command, for a caller who has been allowed to see it."""
    row = await stays.stay(res.pool, stay_id)
    assert row is not None  # stays are never deleted
    return await _out(res, row)


async def _command(res, staff: Staff, pathway_id: str, stay_id: str, update_fn: Any, cmd: Any) -> Any:
    """A clinician's command on the stay's own process: the stay seen once, the command run."""
    row = await _stay(res, staff, pathway_id, stay_id)
    pathway = await queries.pathway(res.pool, pathway_id)
    assert pathway is not None  # the caller has seen it
    return await commands.run(res, stay_wf.workflow_id(pathway_id, row.number, pathway.region), update_fn, cmd)


@router.post("", status_code=201, response_model=StayOut)
async def admit(pathway_id: PathwayId, body: AdmitIn, res: Res, staff: Staff = require(Role.clinician)) -> StayOut:
    pathway = await visible_pathway(res, staff, pathway_id)
    cmd = commands.make(
        pathway_messages.AdmitCommand,
        staff,
        body,
        admitted_on=body.admitted_on or copenhagen.today(),
        longer_admission_days=res.settings.for_region(pathway.region).longer_admission_days,
    )
    workflow_id = pathway_wf.workflow_id(pathway_id, pathway.region)
    result = await commands.run(res, workflow_id, pathway_wf.PathwayWorkflow.admit, cmd)
    stay = res.temporal.get_workflow_handle(result.stay_workflow_id)
    await commands.until_opened(res, stay, stay_wf.InpatientStayWorkflow.opened, "admission", result.stay_id)
    return await _now(res, result.stay_id)


@router.get("", response_model=list[StayOut])
async def list_admissions(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> list[StayOut]:
    await visible_pathway(res, staff, pathway_id)
    return [await _out(res, r) for r in await stays.stays(res.pool, pathway_id)]


class StayMoveIn(Input):
    to: int = Field(ge=1, le=4)
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/{stay_id}/phase", response_model=StayOut)
async def move_phase(
    pathway_id: PathwayId, stay_id: StayId, body: StayMoveIn, res: Res, staff: Staff = require(Role.clinician)
) -> StayOut:
    cmd = commands.make(MovePhaseCommand, staff, body)
    await _command(res, staff, pathway_id, stay_id, stay_wf.InpatientStayWorkflow.move_phase, cmd)
    return await _now(res, stay_id)


class DischargePlanIn(Input):
    planned_date: date
    keep_reason: str | None = Field(
        default=None, max_length=2000, description="Why a date warned against is kept (it is recorded)"
    )


class FollowUpOut(BaseModel):
    kind: str
    due: date


class DischargePlanOut(BaseModel):
    planned_date: date
    length_of_stay_days: int
    network_meeting_required: bool
    transition_conversation_required: bool
    offer_leave: bool
    before_non_working_days: bool
    on_non_working_day: bool
    warning: str | None
    proposed_date: date | None
    kept_despite_warning: str | None
    followups: list[FollowUpOut]


def _plan_out(advice: DischargeAdvice, keep_reason: str | None) -> DischargePlanOut:
    warned = advice.before_non_working_day or advice.on_non_working_day
    kinds = {"home_visit": "home_visit", "acute_team_follow_up": "acute_team", "weekend_follow_up": "ward_contact"}
    return DischargePlanOut(
        planned_date=advice.planned_date,
        length_of_stay_days=advice.length_of_stay_days,
        network_meeting_required=advice.meeting == "network_meeting",
        transition_conversation_required=advice.meeting == "transition_conversation",
        offer_leave=advice.offer_leave,
        before_non_working_days=advice.before_non_working_day,
        on_non_working_day=advice.on_non_working_day,
        warning=advice.warning,
        proposed_date=advice.proposed_date,
        kept_despite_warning=keep_reason if warned else None,
        followups=[FollowUpOut(kind=kinds[f.kind], due=f.due) for f in advice.follow_ups],
    )


@router.post("/{stay_id}/discharge-plan", response_model=DischargePlanOut)
async def plan_discharge(
    pathway_id: PathwayId, stay_id: StayId, body: DischargePlanIn, res: Res, staff: Staff = require(Role.clinician)
) -> DischargePlanOut:
    cmd = commands.make(stay_messages.PlanDischargeCommand, staff, body)
    result = await _command(res, staff, pathway_id, stay_id, stay_wf.InpatientStayWorkflow.plan_discharge, cmd)
    return _plan_out(result.advice, body.keep_reason)


class DischargeIn(Input):
    discharged_on: date
    acute_team_weekend: bool = Field(
        default=False,
        description=("Staff judged follow-up by the acute team over the coming non-working days necessary"),
    )
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why the patient goes home before non-working days all the same: required then, and recorded",
    )
    meeting_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why the meeting the discharge calls for (network meeting after a longer stay, else the "
        "conversation about the transition) was not held: required then, and recorded",
    )


class DischargeOut(BaseModel):
    stay: StayOut
    followups: list[Task]


@router.post("/{stay_id}/discharge", response_model=DischargeOut)
async def discharge(
    pathway_id: PathwayId, stay_id: StayId, body: DischargeIn, res: Res, staff: Staff = require(Role.clinician)
) -> DischargeOut:
    cmd = commands.make(stay_messages.DischargeCommand, staff, body)
    result = await _command(res, staff, pathway_id, stay_id, stay_wf.InpatientStayWorkflow.discharge, cmd)
    return DischargeOut(stay=await _now(res, stay_id), followups=result.follow_ups)


class LeaveIn(Input):
    kind: LeaveKind = Field(default="orlov", description="orlov, or overnight_at_home")
    from_date: date
    to_date: date


@router.post("/{stay_id}/leave", status_code=201, response_model=StayOut)
async def grant_leave(
    pathway_id: PathwayId, stay_id: StayId, body: LeaveIn, res: Res, staff: Staff = require(Role.clinician)
) -> StayOut:
    """Leave before discharge (orlov), from–to: it closes the leave-offer task and asks, the day after it ends,
    how it went. An offer the patient declines: close the leave-offer task as not_possible with the reason."""
    cmd = commands.make(stay_messages.GrantLeaveCommand, staff, body)
    await _command(res, staff, pathway_id, stay_id, stay_wf.InpatientStayWorkflow.grant_leave, cmd)
    return await _now(res, stay_id)


LeaveId = Annotated[Id, Path(description="The leave's id")]


class LeaveOutcomeIn(Input):
    went: LeaveWent = Field(description="as_planned, ended_early or not_returned")
    note: str | None = Field(default=None, max_length=2000, description="Required unless as_planned")


@router.post("/{stay_id}/leave/{leave_id}/outcome", response_model=StayOut)
async def record_leave_outcome(
    pathway_id: PathwayId,
    stay_id: StayId,
    leave_id: LeaveId,
    body: LeaveOutcomeIn,
    res: Res,
    staff: Staff = require(Role.clinician),
) -> StayOut:
    cmd = commands.make(stay_messages.LeaveOutcomeCommand, staff, body, leave_id=leave_id)
    await _command(res, staff, pathway_id, stay_id, stay_wf.InpatientStayWorkflow.record_leave_outcome, cmd)
    return await _now(res, stay_id)
