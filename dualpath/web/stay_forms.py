"""The pathway page's inpatient forms: admit, move the stay's phase, plan the discharge, leave (orlov), discharge."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api.deps import Res
from dualpath.api.routes import admissions
from dualpath.web.calls import call
from dualpath.web.forms import a_choice, a_date, optional, stripped, text, ticked
from dualpath.web.pathway_page import CommandForm, act_on_pathway, command_forms, draw
from dualpath.web.session import Form, PageStaff


def _in_ambulatory_pathway(form: Form, name: str) -> bool:
    return form.get(name, "ja") != "nej"  # the default choice is yes


# Each form's fields, by the body's field names.
ADMITTED = {"via": text, "ward": stripped, "admitted_on": a_date, "in_ambulatory_pathway": _in_ambulatory_pathway}
MOVED = {"to": a_choice, "reason": optional}
DISCHARGED = {"discharged_on": a_date, "acute_team_weekend": ticked, "reason": optional, "meeting_reason": optional}
LEAVE = {"kind": text, "from_date": a_date, "to_date": a_date}
LEAVE_WENT = {"went": text, "note": optional}
STAY = "/indlaeggelser/{stay_id}"

router = command_forms(
    CommandForm("/indlaeggelser", admissions.admit, ADMITTED, "admit", "indlagt#indlaeggelser"),
    CommandForm(f"{STAY}/fase", admissions.move_phase, MOVED, "stayphase-{stay_id}", "indlaeggelsesfase#indlaeggelser"),
    CommandForm(
        f"{STAY}/udskrivelse", admissions.discharge, DISCHARGED, "discharge-{stay_id}", "udskrevet#indlaeggelser"
    ),
    CommandForm(f"{STAY}/orlov", admissions.grant_leave, LEAVE, "leave-{stay_id}", "orlov#indlaeggelser"),
    CommandForm(
        f"{STAY}/orlov/{{leave_id}}/forloeb",
        admissions.record_leave_outcome,
        LEAVE_WENT,
        "leavewent-{leave_id}",
        "orlov-forloeb#indlaeggelser",
    ),
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
