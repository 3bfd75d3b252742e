"""Referrals (henvisning): the form that refers a patient, and a referral's page with visitation's decision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api import idempotency
from dualpath.api.auth import Staff
from dualpath.api.deps import Res, Resources
from dualpath.api.errors import ApiError
from dualpath.api.routes import referrals
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.web.calls import call, permitted
from dualpath.web.forms import NOTICES, Refusal, a_date, submit, yes_or_no
from dualpath.web.render import PageRoute, not_found, page
from dualpath.web.session import Form, PageStaff, read_form

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/mine-henvisninger")
async def referrals_sent(request: Request, staff: PageStaff, res: Res) -> Response:
    """A general practice's referrals and the answers to them (the API's GET /referrals/sent)."""
    answers = await call(referrals.referrals_sent, staff, res, limit=200, offset=0)
    return page(request, "referrals_sent.html", title="Mine henvisninger", answers=answers)


@router.get("/henvisning")
async def referral_form(request: Request, staff: PageStaff) -> Response:
    return page(request, "referral_form.html", title="Ny henvisning", values={}, refusal=None)


def _referral_in(form: Form) -> referrals.ReferralIn:
    received_on = a_date(form, "received_on")
    # Facts and criteria are models of their own: a refusal names their fields without the "Forhold ·" prefix.
    facts = ReferralFacts.model_validate(
        dict(
            psychiatric_contact=form.get("psychiatric_contact"),
            municipal_substance_treatment=yes_or_no(form, "municipal_substance_treatment"),
        )
    )
    criteria = EligibilityCriteria.model_validate(
        dict(
            mental_illness=form.get("mental_illness"),
            substance_problem=yes_or_no(form, "substance_problem"),
            reduced_functioning=yes_or_no(form, "reduced_functioning"),
            parallel_treatment_insufficient=yes_or_no(form, "parallel_treatment_insufficient"),
        )
    )
    return referrals.ReferralIn.model_validate(
        dict(
            cpr=form.get("cpr").strip(),
            municipality=form.get("municipality").strip(),
            source=form.get("source"),
            received_on=received_on,
            facts=facts,
            criteria=criteria,
        )
    )


@router.post("/henvisning")
async def refer(request: Request, staff: PageStaff, res: Res) -> Response:
    form = await read_form(request)
    idempotency.bind_form(staff, request.url.path, form.pairs)  # this request's own context: no reset needed
    try:
        out = await call(
            referrals.refer, staff, res, body=_referral_in(form), idempotency_key=form.get("idem").strip() or None
        )
    except (ValueError, ApiError) as exc:  # ValueError includes the body models' ValidationError
        refusal = Refusal.of(exc)
        return page(
            request,
            "referral_form.html",
            status=refusal.status,
            title="Ny henvisning",
            values=form.values(),
            refusal=refusal,
            canonical="/henvisning",
        )
    # The CPR number is not shown back: it lives only in the patient register.
    return page(request, "referral_result.html", title="Henvisning modtaget", r=out, canonical="/henvisning")


async def _draw(
    request: Request, staff: Staff, res: Resources, referral_id: str, *, status: int = 200, **extra: Any
) -> Response:
    """A referral's page, or not found if this staff member may not see it (the API's 404)."""
    try:
        row = await call(referrals.get_referral, staff, res, referral_id=referral_id)
    except ApiError as exc:
        if exc.status == 404:
            return not_found(request, "henvisning")
        raise
    return page(
        request,
        "referral.html",
        status=status,
        title="Henvisning",
        r=row,
        may_decide=permitted(referrals.decide, staff),
        **extra,
    )


@router.get("/henvisninger/{referral_id}")
async def referral_page(referral_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    return await _draw(
        request,
        staff,
        res,
        referral_id,
        values={},
        refusal=None,
        notice=NOTICES.get(request.query_params.get("besked", "")),
    )


@router.post("/henvisninger/{referral_id}/visitation")
async def decide(referral_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> referrals.ReferralOut:
        accept = {"accept": True, "decline": False}.get(form.get("decision"))
        setting = form.get("setting") or "ambulatory"
        # Into an inpatient course: the stay the pathway starts with (the API says what is missing).
        admission = (
            dict(
                ward=form.get("ward"), via=form.get("via") or "acute_function", admitted_on=form.optional("admitted_on")
            )
            if setting == "inpatient" and accept and form.optional("ward")
            else None
        )
        body = referrals.DecisionIn.model_validate(
            dict(accept=accept, setting=setting, reason=form.optional("reason"), admission=admission)
        )
        out: referrals.ReferralOut = await call(referrals.decide, staff, res, referral_id=referral_id, body=body)
        return out

    async def answer(out: referrals.ReferralOut) -> Response:
        if out.pathway_id and out.status == "accepted":
            return RedirectResponse(f"/forloeb/{out.pathway_id}?besked=accepteret", status_code=303)
        return RedirectResponse(f"/henvisninger/{referral_id}?besked=afvist", status_code=303)

    async def refused(form: Form, refusal: Refusal) -> Response:
        shown = {"values": form.values(), "refusal": refusal, "canonical": f"/henvisninger/{referral_id}"}
        return await _draw(request, staff, res, referral_id, status=refusal.status, notice=None, **shown)

    return await submit(request, staff, act, answer, refused)
