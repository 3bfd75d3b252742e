"""The pathway page's inpatient forms: admit, move the stay's phase, plan the discharge, discharge."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api.deps import Res
from dualpath.api.routes import admissions
from dualpath.web.calls import call
from dualpath.web.forms import a_choice, a_date
from dualpath.web.pathway_page import act_on_pathway, draw, pathway_form
from dualpath.web.render import PageRoute
from dualpath.web.session import Form, PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/forloeb/{pathway_id}/indlaeggelser")
async def admit(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = admissions.AdmitIn.model_validate(
            dict(
                via=form.get("via"),
                ward=form.get("ward").strip(),
                admitted_on=a_date(form, "admitted_on"),
                in_ambulatory_pathway=form.get("in_ambulatory_pathway", "ja") != "nej",
            )
        )
        await call(admissions.admit, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, "admit", act, "indlagt", "indlaeggelser")


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/fase")
async def stay_phase(pathway_id: str, stay_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = admissions.StayMoveIn.model_validate(dict(to=a_choice(form, "to"), reason=form.optional("reason")))
        await call(admissions.move_phase, staff, res, pathway_id=pathway_id, stay_id=stay_id, body=body)

    return await pathway_form(
        request, staff, res, pathway_id, f"stayphase-{stay_id}", act, "indlaeggelsesfase", "indlaeggelser"
    )


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelsesplan")
async def plan_discharge(pathway_id: str, stay_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    """Plan a discharge: the engine's advice (the warning before non-working days, the
    proposed date, the meeting, leave, the follow-ups and their dates) is shown on the
    page, before the discharge itself is confirmed."""

    async def act(form: Form) -> admissions.DischargePlanOut:
        body = admissions.DischargePlanIn.model_validate(
            dict(planned_date=a_date(form, "planned_date"), keep_reason=form.optional("keep_reason"))
        )
        advice: admissions.DischargePlanOut = await call(
            admissions.plan_discharge, staff, res, pathway_id=pathway_id, stay_id=stay_id, body=body
        )
        return advice

    async def show(advice: admissions.DischargePlanOut) -> Response:
        return await draw(
            request,
            staff,
            res,
            pathway_id,
            plan_advice={stay_id: advice},
            notice="Udskrivelsen er planlagt. Se motorens råd nedenfor, før udskrivelsen bekræftes.",
        )

    return await act_on_pathway(request, staff, res, pathway_id, f"plan-{stay_id}", act, show)


@router.get("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelsesplan")
async def plan_discharge_reload(pathway_id: str, stay_id: str) -> Response:
    # A reload of the advice page (without JavaScript the address bar shows the form's action).
    return RedirectResponse(f"/forloeb/{pathway_id}#indlaeggelser", status_code=303)


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelse")
async def discharge(pathway_id: str, stay_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = admissions.DischargeIn.model_validate(
            dict(discharged_on=a_date(form, "discharged_on"), acute_team_weekend=form.get("acute_team_weekend") == "ja")
        )
        await call(admissions.discharge, staff, res, pathway_id=pathway_id, stay_id=stay_id, body=body)

    return await pathway_form(
        request, staff, res, pathway_id, f"discharge-{stay_id}", act, "udskrevet", "indlaeggelser"
    )
