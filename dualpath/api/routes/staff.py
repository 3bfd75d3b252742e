"""The staff register (issue #15 item 1) and the pathways' named contact persons (item 2).

Who may do what:
- register a colleague (`POST /staff`) and change one (`POST /staff/{subject}`): staff of the same organisation
  who work with patients — clinicians and visitation of a region, municipal staff of a municipality. There is
  no administrator role in the tokens, and the organisation is the one boundary the token vouches for, so a
  member of staff keeps the register of their own organisation and of no other. Ops never register anyone.
- read the register (`GET /staff`, `GET /staff/{subject}`): staff of the organisation, with names; ops the
  counts and the process state, never a name (the disclosure policy withholds them). Another organisation's
  staff member answers 404, as something that does not exist.
- name a pathway's contact person (`POST /pathways/{id}/contact-person`): clinicians of the pathway's region
  (the catalogue's task `contact_person` is theirs). The subject must be in the register, active and of the
  pathway's region; a change needs a reason. The pathway's answer shows the contact person (GET /pathways/{id}).
- give an open task of the pathway to a named person (`POST /pathways/{id}/tasks/{task_id}/assign`): clinicians
  of the pathway's region, to a staff member of it (registered, active). It shows on that person's worklist with
  `GET /worklist?scope=mine`; `scope=team` is what is given to their team (or to no one yet).

No personal identity in Temporal: the display name is written here to the register table `staff_names` (as the
CPR number to `patients`); the staff member's workflow and events carry subject, organisation, team and role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field, model_validator
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dualpath.api import commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res, require
from dualpath.api.errors import ApiError
from dualpath.api.routes.pathways import PathwayId, PathwayOut, answer, visible_pathway
from dualpath.domain import staff as rules
from dualpath.domain.staff import StaffRole, Team
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import staff as rm
from dualpath.readmodels.staff import StaffList, StaffRow
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows import pathway_messages
from dualpath.workflows import staff_member as wf
from dualpath.workflows.staff_member_messages import ChangeStaffCommand, StaffMemberInput

router = disclosure.Router(tags=["staff"])

# Those who keep their own organisation's register: everyone who works with patients; never ops.
KEEPERS = (Role.clinician, Role.visitation, Role.municipality)

Subject = Annotated[Line, Path(min_length=1, max_length=200, description="The staff member's token subject (sub)")]


class StaffIn(Input):
    subject: Line = Field(min_length=1, max_length=200, description="The staff member's token subject (sub)")
    display_name: Line = Field(min_length=1, max_length=200, description="The name colleagues know them by")
    team: Team = Field(description="The team of the organisation they work in (domain/staff.py)")
    role: StaffRole = Field(description="Their profession or function")
    organisation: str | None = Field(
        default=None, description="Their organisation; your own (the default) — you keep no other's register"
    )

    @model_validator(mode="after")
    def _subject_form(self) -> StaffIn:
        if not self.subject.strip():
            raise ValueError("subject: must name the staff member's token subject")
        return self


class StaffChangeIn(Input):
    display_name: Line | None = Field(default=None, min_length=1, max_length=200)
    team: Team | None = None
    role: StaffRole | None = None
    active: bool | None = Field(default=None, description="false: left the organisation (no longer named)")


class AssignIn(Input):
    subject: Line = Field(min_length=1, max_length=200, description="The staff member's subject, from the register")


class ContactPersonIn(Input):
    subject: Line = Field(min_length=1, max_length=200, description="The staff member's subject, from the register")
    reason: str | None = Field(
        default=None, max_length=2000, description="Required when the pathway has a contact person already"
    )


def _own(staff: Staff, organisation: str | None) -> str:
    org = organisation or staff.org
    if org != staff.org:
        raise ApiError(
            403, "forbidden", f"you keep the register of {staff.org} only, not of {org}", allowed=[staff.org]
        )
    return org


async def _visible(res, staff: Staff, subject: str) -> StaffRow:
    row = await rm.staff_member(res.pool, subject)
    if row is None or (staff.role != Role.ops and row.organisation != staff.org):
        raise ApiError(404, "not_found", f"no staff member {subject} in your organisation's register")
    return row


@router.post("/staff", status_code=201, response_model=StaffRow)
async def register_staff(body: StaffIn, res: Res, staff: Staff = require(*KEEPERS)) -> StaffRow:
    """Register a colleague of your own organisation: their name goes to the register (never to Temporal), their
    organisation, team and role to their workflow, which records StaffMemberRegistered."""
    org = _own(staff, body.organisation)
    try:
        rules.check_team(org, body.team)
    except rules.StaffRefused as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    if await rm.staff_member(res.pool, body.subject) is not None:
        raise ApiError(
            409, "refused", f"{body.subject} is registered already: change them with POST /staff/{{subject}}"
        )
    await idempotency.claim(res.pool)
    await rm.register_name(res.pool, body.subject, body.display_name)
    start = StaffMemberInput(
        subject=body.subject, organisation=org, team=body.team, role=body.role, actor=commands.actor(staff)
    )
    try:
        await res.temporal.start_workflow(
            wf.StaffMemberWorkflow.run,
            start,
            id=wf.workflow_id(body.subject),
            task_queue=res.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary="staff member",
        )
    except WorkflowAlreadyStartedError:
        pass  # the same registration raced itself, or the first answer was lost
    await commands.until_recorded(res, wf.stream_id(body.subject), "staff member", body.subject)
    row = await rm.staff_member(res.pool, body.subject)
    assert row is not None
    if row.organisation != org:  # registered a moment ago by another organisation
        raise ApiError(409, "refused", f"{body.subject} is registered already")
    return row


@router.get("/staff", response_model=StaffList)
async def list_staff(
    staff: CurrentStaff,
    res: Res,
    org: Annotated[str | None, Query(description="The organisation (default: your own; ops: every one)")] = None,
    team: Annotated[Team | None, Query(description="One team of it")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> StaffList:
    """Your organisation's staff (names included); ops read how many, never who."""
    organisation = org if staff.role == Role.ops else _own(staff, org)
    count, members = await rm.staff(res.pool, organisation=organisation, team=team, limit=limit, offset=offset)
    return StaffList(organisation=organisation, team=team, count=count, members=members)


@router.get("/staff/{subject}", response_model=StaffRow)
async def get_staff(subject: Subject, staff: CurrentStaff, res: Res) -> StaffRow:
    """A staff member of your organisation (ops: without the name)."""
    return await _visible(res, staff, subject)


@router.post("/staff/{subject}", response_model=StaffRow)
async def change_staff(subject: Subject, body: StaffChangeIn, res: Res, staff: Staff = require(*KEEPERS)) -> StaffRow:
    """Change a colleague's name (in the register only), team, role or activity (StaffMemberChanged)."""
    row = await _visible(res, staff, subject)
    team, role = body.team or row.team, body.role or row.role
    active = row.active if body.active is None else body.active
    if body.display_name is None and (team, role, active) == (row.team, row.role, row.active):
        raise ApiError(422, "invalid_input", "nothing to change: give display_name, team, role or active")
    if body.display_name is not None:
        await rm.register_name(res.pool, subject, body.display_name)
    if (team, role, active) != (row.team, row.role, row.active):
        cmd = commands.make(ChangeStaffCommand, staff, team=team, role=role, active=active)
        await commands.run(res, wf.workflow_id(subject), wf.StaffMemberWorkflow.change, cmd)
    changed = await rm.staff_member(res.pool, subject)
    assert changed is not None
    return changed


async def _registered(res, subject: str, organisation: str) -> StaffRow:
    """The staff member `subject` if the register has them, active, in `organisation`; else 422 saying which."""
    member = await rm.staff_member(res.pool, subject)
    if member is None or member.organisation != organisation:
        raise ApiError(
            422,
            "invalid_input",
            f"subject: {subject} is not in the staff register of {organisation}; register them first (POST /staff)",
        )
    if not member.active:
        raise ApiError(422, "invalid_input", f"subject: {subject} is no longer active in the staff register")
    return member


@router.post("/pathways/{pathway_id}/contact-person", response_model=PathwayOut)
async def name_contact_person(
    pathway_id: PathwayId, body: ContactPersonIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    """Name the pathway's contact person from the register (a staff member of the pathway's region, active);
    the first naming closes the phase-1 task `contact_person`, a change needs its reason (409 without)."""
    row = await visible_pathway(res, staff, pathway_id)
    await _registered(res, body.subject, f"region:{row.region}")
    cmd = commands.make(pathway_messages.ContactPersonCommand, staff, body)
    await commands.run(
        res, pathway_wf.workflow_id(pathway_id, row.region), pathway_wf.PathwayWorkflow.name_contact_person, cmd
    )
    return await answer(res, row)


@router.post("/pathways/{pathway_id}/tasks/{task_id}/assign", response_model=PathwayOut)
async def assign_task(
    pathway_id: PathwayId,
    task_id: Annotated[Id, Path(description="The open task's id")],
    body: AssignIn,
    res: Res,
    staff: Staff = require(Role.clinician),
) -> PathwayOut:
    """Give an open task of the pathway to a named staff member of the pathway's region (active in the register):
    it shows on their worklist with `scope=mine` (TaskAssigned). A later assignment replaces it."""
    row = await visible_pathway(res, staff, pathway_id)
    await _registered(res, body.subject, f"region:{row.region}")
    cmd = commands.make(pathway_messages.AssignTaskCommand, staff, body, task_id=task_id)
    await commands.run(res, pathway_wf.workflow_id(pathway_id, row.region), pathway_wf.PathwayWorkflow.assign_task, cmd)
    return await answer(res, row)
