"""Consents (samtykke): recorded by psychiatry, effective at once."""

from __future__ import annotations

from pydantic import field_validator

from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.api.routes import pathways
from dualpath.api.routes.pathways import PathwayId, PathwayOut
from dualpath.domain import municipalities
from dualpath.domain.consent import ConsentForm, ConsentScope, ConsentState
from dualpath.domain.validation import Input
from dualpath.workflows import pathway as wf
from dualpath.workflows import pathway_messages as messages

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
    return await pathways.command(
        res,
        staff,
        pathway_id,
        wf.PathwayWorkflow.record_consent,
        messages.ConsentCommand(**body.model_dump(), actor=commands.actor(staff)),
    )
