"""Relatives (pårørende) on a pathway (issue #15 item 4): named, listed, removed; involved only with consent.

Who may do what:
- add a relative (`POST /pathways/{id}/relatives`) and remove one (`DELETE /pathways/{id}/relatives/{relative_id}`):
  clinicians of the pathway's region, on an active pathway. The name, relation and how to reach them are written to
  the register table `relatives` (never to Temporal nor an event, as the CPR number to `patients`); the pathway's
  workflow records RelativeAdded / RelativeRemoved with the pseudonymous id and the kind of relation only.
- read them (`GET /pathways/{id}/relatives`): whoever may see the pathway. Names and contact are SHARED: region
  staff, and municipal staff who see the pathway (on the patient's consent to dialogue, or on a named legal
  basis); ops read the count and the kinds of relation, never a name. A municipality without consent sees no
  pathway and so no relatives (404).

Involving a relative needs the patient's consent to involving that relative: `POST /pathways/{id}/consents` with
scope `involve_relative` and the relative's id as counterpart. A meeting takes a relative as a participant only
while that consent is given (api/routes/meetings.py checks it before the command: domain/relatives.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path
from pydantic import Field

from dualpath.api import commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.errors import ApiError, not_found
from dualpath.api.routes.pathways import PathwayId, visible_pathway
from dualpath.domain.relatives import RelativeRelation
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import relatives as register
from dualpath.readmodels.relatives import RelativeList
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows.pathway_messages import RelativeCommand

router = disclosure.Router(prefix="/pathways/{pathway_id}", tags=["relatives"])

RelativeId = Annotated[Id, Path(description="The relative's pseudonymous id")]


class RelativeIn(Input):
    name: Line = Field(min_length=1, max_length=200, description="The relative's name (kept in the register only)")
    relation: RelativeRelation = Field(description="The relative's relation to the patient")
    contact: Line | None = Field(
        default=None, max_length=500, description="How to reach them (phone, e-mail); kept in the register only"
    )


async def _active(res, staff: Staff, pathway_id: str):
    row = await visible_pathway(res, staff, pathway_id)
    if row.status != "active":
        raise ApiError(409, "refused", "the pathway has ended: its relatives can no longer be changed")
    return row


@router.post("/relatives", status_code=201, response_model=RelativeList)
async def add_relative(
    pathway_id: PathwayId, body: RelativeIn, res: Res, staff: Staff = require(Role.clinician)
) -> RelativeList:
    """Name a relative on the pathway: the name and contact go to the register, the pathway records RelativeAdded
    (the relative's id and kind of relation). Involving them needs the consent `involve_relative` next."""
    row = await _active(res, staff, pathway_id)
    # With an Idempotency-Key the id follows from the key: a repeat adds no second relative.
    relative_id = idempotency.derived_id(f"relative|{pathway_id}") or str(uuid.uuid4())
    await idempotency.claim(res.pool)
    await register.add(
        res.pool,
        relative_id=relative_id,
        pathway_id=pathway_id,
        name=body.name.strip(),
        relation=body.relation,
        contact=body.contact.strip() if body.contact and body.contact.strip() else None,
    )
    cmd = commands.make(RelativeCommand, staff, relative_id=relative_id, relation=body.relation)
    try:
        await commands.run(
            res, pathway_wf.workflow_id(pathway_id, row.region), pathway_wf.PathwayWorkflow.add_relative, cmd
        )
    except ApiError:
        # Refused by the pathway (it ended meanwhile): the register keeps no relative the pathway never had.
        await res.pool.execute("DELETE FROM relatives WHERE relative_id = $1", relative_id)
        raise
    return await register.relatives(res.pool, pathway_id)


@router.get("/relatives", response_model=RelativeList)
async def list_relatives(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> RelativeList:
    """The pathway's relatives, with the patient's consent to involving each (ops: the count, no names)."""
    await visible_pathway(res, staff, pathway_id)
    return await register.relatives(res.pool, pathway_id)


@router.delete("/relatives/{relative_id}", response_model=RelativeList)
async def remove_relative(
    pathway_id: PathwayId, relative_id: RelativeId, res: Res, staff: Staff = require(Role.clinician)
) -> RelativeList:
    """The relative is no longer on the pathway (RelativeRemoved): no longer invited to meetings. The register keeps
    the row (marked removed), so the consents and meetings that named them still read."""
    row = await _active(res, staff, pathway_id)
    found = await register.relative(res.pool, pathway_id, relative_id)
    if found is None:
        raise not_found("relative")
    if found.removed_at is not None:
        raise ApiError(409, "refused", f"relative {relative_id} was removed from the pathway already")
    cmd = commands.make(RelativeCommand, staff, relative_id=relative_id, relation=found.relation)
    await commands.run(
        res, pathway_wf.workflow_id(pathway_id, row.region), pathway_wf.PathwayWorkflow.remove_relative, cmd
    )
    await register.remove(res.pool, relative_id)
    return await register.relatives(res.pool, pathway_id)
