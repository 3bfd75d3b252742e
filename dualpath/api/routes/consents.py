"""Consents (samtykke): recorded by psychiatry, effective at once."""

from __future__ import annotations

from pydantic import field_validator

from fastapi import APIRouter

from dualpath import workflow_ids
from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.api.routes.pathways import PathwayOut, PathwayId, pathway_out, visible_pathway
from dualpath.domain import municipalities
from dualpath.domain.consent import ConsentForm, ConsentScope, ConsentState
from dualpath.domain.validation import Input
from dualpath.workflows import pathway as wf

router = disclosure.Router(tags=["consents"])


class ConsentIn(Input):
    scope: ConsentScope
    counterpart: str  # the municipality's three-digit code
    state: ConsentState
    form: ConsentForm

    @field_validator("counterpart")
    @classmethod
    def _municipality(cls, v: str) -> str:
        return municipalities.municipality(v).code


@router.post("/pathways/{pathway_id}/consents", response_model=PathwayOut)
async def record_consent(
    pathway_id: PathwayId, body: ConsentIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    row = await visible_pathway(res, staff, pathway_id)
    await commands.update(
        res, await workflow_ids.handle(res.temporal, wf.workflow_id(pathway_id, row.region)),
        wf.PathwayWorkflow.record_consent,
        wf.ConsentCommand(**body.model_dump(), actor=commands.actor(staff)),
    )
    return await pathway_out(res, staff, pathway_id)
