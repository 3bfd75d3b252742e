"""A municipality's referral to the central visitation unit (CVD, spec §6): a citizen in the
target group whose psychiatric treatment ended within the last year, assessed as an ordinary referral."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Header
from pydantic import Field, field_validator

from dualpath.api import disclosure
from dualpath.api.auth import Role
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.errors import ApiError
from dualpath.api.routes import referrals
from dualpath.domain import copenhagen, cpr
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.domain.validation import Input, NotFuture

router = disclosure.Router(prefix="/cvd-referrals", tags=["referrals"])


class CvdReferralIn(Input):
    cpr: str = Field(description="The citizen's CPR number, 10 digits")
    municipality: str | None = Field(default=None, description="Defaults to your municipality")
    treatment_ended_on: date = Field(description="When the citizen's psychiatric treatment ended: within the last year")
    municipal_substance_treatment: bool = Field(
        default=True, description="Group 2: in municipal substance treatment now"
    )
    criteria: EligibilityCriteria
    received_on: NotFuture | None = None

    @field_validator("cpr")
    @classmethod
    def _cpr(cls, v: str) -> str:
        return cpr.validate_cpr(v, today=copenhagen.today())


class CvdReferralOut(referrals.ReferralOut):
    routed_to: str


@router.post("", status_code=201, response_model=CvdReferralOut)
async def refer_to_cvd(
    body: CvdReferralIn,
    staff: CurrentStaff,
    res: Res,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CvdReferralOut:
    """A municipality refers a citizen in the target group whose psychiatric treatment ended within the last
    year to the central visitation unit (CVD), which assesses it as usual: an ordinary referral."""
    if staff.role != Role.municipality:
        raise ApiError(
            403, "forbidden", "CVD referrals are made by the municipality", allowed=[Role.municipality.value]
        )
    municipality = body.municipality or staff.org_code
    if municipality != staff.org_code:
        raise ApiError(403, "forbidden", f"municipality {staff.org_code} refers its own citizens")
    today = copenhagen.today()
    if not today - timedelta(days=365) <= body.treatment_ended_on <= today:
        raise ApiError(
            422,
            "invalid_input",
            f"treatment_ended_on: the psychiatric treatment must have ended within "
            f"the last year ({today - timedelta(days=365)} to {today}); otherwise "
            "refer as usual (POST /referrals)",
        )
    out = await referrals.refer(
        referrals.ReferralIn(
            cpr=body.cpr,
            municipality=municipality,
            source="municipality",
            received_on=body.received_on,
            facts=ReferralFacts(
                psychiatric_contact="within_last_year", municipal_substance_treatment=body.municipal_substance_treatment
            ),
            criteria=body.criteria,
        ),
        res=res,
        idempotency_key=idempotency_key,
        staff=staff,
    )
    return CvdReferralOut(**out.model_dump(), routed_to=f"the central visitation unit (CVD) of region {out.region}")
