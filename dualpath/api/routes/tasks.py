"""The worklist (arbejdsliste) and completing tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import Field

from dualpath.api import access, commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res, require
from dualpath.api.errors import ApiError
from dualpath.api.routes.pathways import PathwayId, PathwayOut, answer, visible_pathway
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import queries, stays
from dualpath.readmodels import staff as staff_register
from dualpath.workflows import inpatient_stay as stay_wf
from dualpath.workflows import pathway as wf
from dualpath.workflows.kit import CompleteTaskCommand

router = disclosure.Router(tags=["tasks"])


@router.get("/worklist", response_model=list[queries.TaskRow])
async def worklist(
    staff: CurrentStaff,
    res: Res,
    kind: Line | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    scope: Annotated[
        Literal["all", "team", "mine"],
        Query(
            description="all: the organisation's open tasks for your role; mine: those given to you; team: those "
            "given to someone of your team (the staff register) or to no one yet"
        ),
    ] = "all",
) -> list[queries.TaskRow]:
    """The caller's organisation's open tasks for the caller's role, due soonest first."""
    await access.record_list(res.pool, staff)
    team = None
    if scope == "team":
        me = await staff_register.staff_member(res.pool, staff.subject)
        if me is None or me.organisation != staff.org:
            raise ApiError(
                422, "invalid_input", "scope team: you are not in your organisation's staff register (POST /staff)"
            )
        team = me.team
    return await queries.worklist(
        res.pool,
        org=staff.org,
        role=staff.role.value,
        kind=kind,
        limit=limit,
        offset=offset,
        assigned_to=staff.subject if scope == "mine" else None,
        team=team,
    )


class CompleteIn(Input):
    outcome: Literal["done", "not_possible"]
    note: str | None = Field(default=None, max_length=4000, description="Required for not_possible: why")


@router.post("/pathways/{pathway_id}/tasks/{task_id}/complete", response_model=PathwayOut)
async def complete_task(
    pathway_id: PathwayId,
    task_id: Annotated[Id, Path()],
    body: CompleteIn,
    res: Res,
    staff: Staff = require(Role.clinician),
) -> PathwayOut:
    row = await visible_pathway(res, staff, pathway_id)
    cmd = commands.make(CompleteTaskCommand, staff, body, task_id=task_id)
    task = await queries.task(res.pool, task_id)
    if task is not None and task.stay_id and task.pathway_id == pathway_id:
        # A stay's task belongs to the stay's own process.
        stay = await stays.stay(res.pool, task.stay_id)
        assert stay is not None
        stay_id = stay_wf.workflow_id(pathway_id, stay.number, row.region)
        await commands.run(res, stay_id, stay_wf.InpatientStayWorkflow.complete_task, cmd)
    else:
        await commands.run(res, wf.workflow_id(pathway_id, row.region), wf.PathwayWorkflow.complete_task, cmd)
    return await answer(res, row)
