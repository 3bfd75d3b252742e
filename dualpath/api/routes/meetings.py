"""Meetings on a pathway (netværksmøde, samarbejdsmøde, opstartsmøde) and the joint plans made at them.

Clinicians of the pathway's region call, schedule, record and cancel; whoever
may see the pathway may read. Municipal staff get 404 until consent-gated
access is built.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import AwareDatetime, BaseModel, Field

from dualpath import workflow_ids
from dualpath.api import commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.errors import ApiError, not_found
from dualpath.api.routes.pathways import PathwayId, visible_pathway
from dualpath.domain import copenhagen
from dualpath.domain import meetings as rules
from dualpath.domain import relatives as relative_rules
from dualpath.domain.meetings import (
    JointPlanInput,
    JointPlanKind,
    MeetingKind,
    MeetingOccasion,
    MeetingRefused,
    Participant,
)
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import meetings as rm
from dualpath.readmodels import relatives as relatives_register
from dualpath.readmodels import stays
from dualpath.workflows import meeting as wf
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows.pathway_joint_plans import JointPlanCommand

router = disclosure.Router(prefix="/pathways/{pathway_id}", tags=["meetings"])

MeetingId = Annotated[Id, Path(description="The meeting's id")]


class MeetingOut(rm.MeetingRow):
    allowed: list[str] = Field(description="The commands the meeting takes now")


def _out(row: rm.MeetingRow) -> MeetingOut:
    return MeetingOut(**row.model_dump(), allowed=rules.allowed_commands(row.status))


def _clinician(staff: Staff) -> None:
    # After the visibility check, so that staff who may not see the pathway
    # learn nothing about it from a 403.
    if staff.role != Role.clinician:
        raise ApiError(403, "forbidden", f"role {staff.role.value} may not do this", allowed=[Role.clinician.value])


async def _meeting(res, pathway_id: str, meeting_id: str) -> rm.MeetingRow:
    row = await rm.meeting(res.pool, meeting_id)
    if row is None or row.pathway_id != pathway_id:
        raise not_found("meeting")
    return row


def _refuse_if_closed(row: rm.MeetingRow, what: str) -> None:
    """A held or cancelled meeting's workflow has ended and takes no update, so
    the API answers with the workflow's own rule; an open meeting's workflow
    judges the command itself."""
    try:
        rules.require_open(row.status, what)
    except MeetingRefused as exc:
        raise ApiError(409, "refused", str(exc), allowed=exc.allowed) from None


class CallMeetingIn(Input):
    kind: MeetingKind
    purpose: str | None = Field(default=None, max_length=2000)
    participants: list[Participant] = Field(min_length=1)
    called_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    occasion: MeetingOccasion | None = Field(
        default=None,
        description="What it is held for: phase_4 (the ambulatory pathway's), discharge (from a stay: give "
        "stay_id), transition, other. Defaults to discharge with a stay_id, else not stated",
    )
    stay_id: Id | None = Field(default=None, description="The stay whose discharge the meeting is for")


async def _for_stay(res, body: CallMeetingIn, pathway_id: str, region: str) -> dict[str, Any]:
    """A discharge meeting's stay (admitted, on this pathway) and its workflow, which is told when it is held."""
    occasion = body.occasion or ("discharge" if body.stay_id else None)
    if (occasion == "discharge") != (body.stay_id is not None):
        raise ApiError(
            422,
            "invalid",
            "a meeting for a discharge names the stay it is for (stay_id), and only such a meeting does",
            allowed=["occasion discharge with the stay_id of an admitted stay", "another occasion without stay_id"],
        )
    if body.stay_id is None:
        return {"occasion": occasion}
    stay = await stays.stay(res.pool, body.stay_id)
    if stay is None or stay.pathway_id != pathway_id:
        raise not_found("admission")
    if stay.status != "admitted":
        raise ApiError(409, "refused", f"the stay is {stay.status}: a discharge meeting is called while admitted")
    stay_workflow_id = await workflow_ids.resolve(res.temporal, workflow_ids.stay(pathway_id, stay.number, region))
    return {"occasion": occasion, "stay_id": stay.stay_id, "stay_workflow_id": stay_workflow_id}


@router.post("/meetings", status_code=201, response_model=MeetingOut)
async def call_meeting(pathway_id: PathwayId, body: CallMeetingIn, staff: CurrentStaff, res: Res) -> MeetingOut:
    pathway = await visible_pathway(res, staff, pathway_id)
    _clinician(staff)
    if pathway.status != "active":
        raise ApiError(409, "refused", "the pathway has ended: no meetings can be called on it")
    for_stay = await _for_stay(res, body, pathway_id, pathway.region)
    await check_relatives(res, pathway_id, body.participants)
    # With an Idempotency-Key the meeting id — and so its workflow id, which Temporal keeps
    # unique — follows from the key: a repeat calls no second meeting.
    meeting_id = idempotency.derived_id(f"meeting|{pathway_id}") or str(uuid.uuid4())
    # hold_by comes from the calendar activity inside the workflow.
    start = commands.make(
        wf.MeetingInput,
        staff,
        body,
        meeting_id=meeting_id,
        pathway_id=pathway_id,
        region=pathway.region,
        municipality=pathway.municipality,
        called_on=body.called_on or copenhagen.today(),
        hold_within_working_days=res.settings.for_region(pathway.region).meeting_within_working_days,
        pathway_workflow_id=await workflow_ids.resolve(res.temporal, workflow_ids.pathway(pathway_id, pathway.region)),
        **for_stay,
    )
    summary = f"{rules.DANISH_NAMES[body.kind]} ({body.kind}) on a pathway in region {pathway.region}"
    await commands.start(res, wf.MeetingWorkflow.run, start, "meeting", meeting_id, pathway.region, summary)
    return await _now(res, meeting_id)


@router.get("/meetings", response_model=list[MeetingOut])
async def list_meetings(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> list[MeetingOut]:
    await visible_pathway(res, staff, pathway_id)
    return [_out(r) for r in await rm.meetings(res.pool, pathway_id)]


class ScheduleIn(Input):
    at: AwareDatetime = Field(description="When, with its UTC offset")
    place: Line = Field(min_length=1, max_length=500)


@router.post("/meetings/{meeting_id}/schedule", response_model=MeetingOut)
async def schedule(
    pathway_id: PathwayId, meeting_id: MeetingId, body: ScheduleIn, staff: CurrentStaff, res: Res
) -> MeetingOut:
    cmd = commands.make(wf.ScheduleMeeting, staff, body)
    return await _command(res, staff, pathway_id, meeting_id, "scheduled", wf.MeetingWorkflow.schedule, cmd)


class HeldIn(Input):
    held_on: date
    outcome: str = Field(max_length=10_000)
    attendees: list[Participant] = []
    joint_plan: JointPlanInput | None = None


@router.post("/meetings/{meeting_id}/held", response_model=MeetingOut)
async def record_held(
    pathway_id: PathwayId, meeting_id: MeetingId, body: HeldIn, staff: CurrentStaff, res: Res
) -> MeetingOut:
    cmd = commands.make(wf.RecordHeld, staff, body)
    return await _command(res, staff, pathway_id, meeting_id, "recorded as held", wf.MeetingWorkflow.record_held, cmd)


class CancelIn(Input):
    reason: str | None = Field(default=None, max_length=2000, description="Required")


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingOut)
async def cancel(
    pathway_id: PathwayId, meeting_id: MeetingId, body: CancelIn, staff: CurrentStaff, res: Res
) -> MeetingOut:
    cmd = commands.make(wf.CancelMeeting, staff, reason=body.reason or "")
    return await _command(res, staff, pathway_id, meeting_id, "cancelled", wf.MeetingWorkflow.cancel, cmd)


async def check_relatives(res, pathway_id: str, participants: list[Participant]) -> None:
    """Relatives at a meeting (invited or present) only as the pathway's relatives with the patient's consent to
    involving them (scope involve_relative, given, not withdrawn): 409 saying what is missing.

    Checked here, before the command, rather than in the meeting workflow's validators: the meeting workflow does
    not know the pathway's consents, and teaching its validators would change what recorded meetings did (a
    participant of role `relative` was free text before). The API already checks the pathway before commands."""
    if not any(relative_rules.is_relative(p) for p in participants):
        return
    known, consented = await relatives_register.involvable(res.pool, pathway_id)
    try:
        relative_rules.check_participants(participants, known=known, consented=consented)
    except relative_rules.RelativeRefused as exc:
        raise ApiError(409, "refused", str(exc)) from None


async def _command(
    res, staff: Staff, pathway_id: str, meeting_id: str, what: str, update_fn: Any, cmd: Any
) -> MeetingOut:
    """A clinician's command on a meeting of a pathway they may see: seen once, run, answered."""
    pathway = await visible_pathway(res, staff, pathway_id)
    _clinician(staff)
    row = await _meeting(res, pathway_id, meeting_id)
    _refuse_if_closed(row, what)
    await check_relatives(res, pathway_id, [*getattr(cmd, "attendees", []), *_plan_parties(cmd)])
    await commands.run(res, workflow_ids.meeting(meeting_id, pathway.region), update_fn, cmd)
    return await _now(res, meeting_id)


def _plan_parties(cmd: Any) -> list[Participant]:
    """Those who agreed a joint plan made at the meeting: a relative among them took part too."""
    plan = getattr(cmd, "joint_plan", None)
    return list(plan.agreed_by) if plan is not None else []


async def _now(res, meeting_id: str) -> MeetingOut:
    """The meeting as it stands after a command, for a caller who has been allowed to see it."""
    row = await rm.meeting(res.pool, meeting_id)
    assert row is not None  # meetings are never deleted
    return _out(row)


@router.get("/joint-plans", response_model=list[rm.JointPlanRow])
async def list_joint_plans(
    pathway_id: PathwayId, staff: CurrentStaff, res: Res, kind: JointPlanKind | None = None
) -> list[rm.JointPlanRow]:
    """Every version of the pathway's joint plans (udskrivningsaftale, koordinationsplan,
    koordinerende indsatsplan), newest first."""
    await visible_pathway(res, staff, pathway_id)
    return await rm.joint_plans(res.pool, pathway_id, kind)


class JointPlanIn(JointPlanInput):
    """A joint plan made or revised on its own (not at a meeting)."""

    revises: int | None = Field(
        default=None,
        ge=1,
        description="The version revised, which must be the latest (GET .../joint-plans/{kind}); none for the first",
    )


class JointPlanOut(BaseModel):
    """A kind of joint plan on the pathway: its latest version (None: none made yet) and every version, newest
    first."""

    kind: JointPlanKind
    latest: rm.JointPlanRow | None
    history: list[rm.JointPlanRow]


async def _plan_of(res, pathway_id: str, kind: JointPlanKind) -> JointPlanOut:
    history = await rm.joint_plans(res.pool, pathway_id, kind)
    return JointPlanOut(kind=kind, latest=history[0] if history else None, history=history)


@router.post("/joint-plans", status_code=201, response_model=JointPlanOut)
async def record_joint_plan(pathway_id: PathwayId, body: JointPlanIn, staff: CurrentStaff, res: Res) -> JointPlanOut:
    """Make a joint plan (without `revises`) or revise it (`revises`: its latest version) outside a meeting:
    who does what on each side, the crisis plan, the next review. A revision of an older version is refused
    (409, saying the current version). Clinicians of the pathway's region."""
    pathway = await visible_pathway(res, staff, pathway_id)
    _clinician(staff)
    if pathway.status != "active":
        raise ApiError(409, "refused", "the pathway has ended: no joint plan can be made or revised on it")
    cmd = commands.make(JointPlanCommand, staff, body)
    await commands.run(
        res, pathway_wf.workflow_id(pathway_id, pathway.region), pathway_wf.PathwayWorkflow.record_joint_plan, cmd
    )
    return await _plan_of(res, pathway_id, body.kind)


@router.get("/joint-plans/{kind}", response_model=JointPlanOut)
async def get_joint_plan(pathway_id: PathwayId, kind: JointPlanKind, staff: CurrentStaff, res: Res) -> JointPlanOut:
    """The pathway's plan of `kind`: the latest version and its history (newest first)."""
    await visible_pathway(res, staff, pathway_id)
    return await _plan_of(res, pathway_id, kind)
