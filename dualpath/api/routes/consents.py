"""Consents (samtykke): recorded by psychiatry, effective at once; and what was disclosed on them, or without
them on a legal basis (spec §7)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, ValidationInfo, field_validator, model_validator

from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.errors import ApiError
from dualpath.api.routes import pathways
from dualpath.api.routes.pathways import PathwayId, PathwayOut
from dualpath.domain import consent, legal_basis, municipalities, validation
from dualpath.domain.consent import ConsentForm, ConsentScope, ConsentState
from dualpath.domain.relatives import INVOLVE_RELATIVE
from dualpath.domain.validation import Input
from dualpath.readmodels import queries, relatives
from dualpath.workflows import pathway as wf
from dualpath.workflows import pathway_messages as messages

router = disclosure.Router(tags=["consents"])


class ConsentIn(Input):
    # A field this model does not know is refused, not dropped: a consent recorded without what was sent
    # with it (a legal basis, say) would be a record that says less than the clinician meant.
    model_config = ConfigDict(extra="forbid")

    scope: ConsentScope
    counterpart: str  # the municipality's three-digit code
    state: ConsentState
    form: ConsentForm

    @model_validator(mode="before")
    @classmethod
    def _no_legal_basis(cls, data: Any) -> Any:
        if isinstance(data, dict) and "legal_basis" in data:
            raise ValueError(
                "a consent is the patient's own decision and takes no legal basis; a disclosure without consent "
                "names its basis when the municipality reads the pathway (legal_basis="
                + "|".join(legal_basis.CODES)
                + ")"
            )
        return data

    @field_validator("counterpart")
    @classmethod
    def _counterpart(cls, value: str, info: ValidationInfo) -> str:
        # A municipality's code for the scopes towards a municipality; involve_relative names one of the pathway's
        # relatives by id (checked against the register by the route). Judged as the field, so a refusal names it.
        scope = info.data.get("scope")
        if scope is None or scope in consent.MUNICIPAL_SCOPES:
            return municipalities.municipality(value).code
        if validation.id_problem(value) is not None:
            raise ValueError("for scope involve_relative, the relative's id (GET /pathways/{id}/relatives)")
        return value


@router.post("/pathways/{pathway_id}/consents", response_model=PathwayOut)
async def record_consent(
    pathway_id: PathwayId, body: ConsentIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    if body.scope == INVOLVE_RELATIVE:
        await pathways.visible_pathway(res, staff, pathway_id)
        if await relatives.relative(res.pool, pathway_id, body.counterpart) is None:
            raise ApiError(
                422,
                "invalid_input",
                "counterpart: not a relative of this pathway; add the relative first (POST /pathways/{id}/relatives)",
            )
    return await pathways.command(
        res,
        staff,
        pathway_id,
        wf.PathwayWorkflow.record_consent,
        messages.ConsentCommand(**body.model_dump(), actor=commands.actor(staff)),
    )


@router.get("/pathways/{pathway_id}/disclosures", response_model=list[queries.DisclosureRow])
async def list_disclosures(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> list[queries.DisclosureRow]:
    """Who outside psychiatry read the pathway, on what basis: the patient's consent (`consent`) or, without it,
    a named legal basis (`psychiatry_act_13a`, `psychiatry_act_13b`); per organisation and basis, from the
    access log. Municipal staff read their own organisation's."""
    await pathways.visible_pathway(res, staff, pathway_id)
    return await queries.disclosures(res.pool, pathway_id)
