"""The pathway page's meeting forms: call a meeting, schedule it, record it held (with a joint plan), cancel it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dualpath.api.deps import Res
from dualpath.api.routes import meetings
from dualpath.domain.meetings import JointPlanInput
from dualpath.web.calls import call
from dualpath.web.forms import a_date, a_time, participants
from dualpath.web.pathway_page import pathway_form
from dualpath.web.render import PageRoute
from dualpath.web.session import Form, PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/forloeb/{pathway_id}/moeder")
async def call_meeting(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = meetings.CallMeetingIn.model_validate(
            dict(
                kind=form.get("kind"),
                purpose=form.optional("purpose"),
                participants=participants(form.get("participants")),
                called_on=a_date(form, "called_on"),
            )
        )
        await call(meetings.call_meeting, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, "meeting", act, "moede", "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/planlaeg")
async def schedule_meeting(pathway_id: str, meeting_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = meetings.ScheduleIn.model_validate(dict(at=a_time(form, "at"), place=form.get("place").strip()))
        await call(meetings.schedule, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, f"schedule-{meeting_id}", act, "planlagt", "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/afholdt")
async def meeting_held(pathway_id: str, meeting_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        plan = None
        if form.get("plan_kind"):
            plan = JointPlanInput.model_validate(
                dict(
                    kind=form.get("plan_kind"),
                    summary=form.get("plan_summary"),
                    agreed_by=participants(form.get("plan_agreed_by")),
                )
            )
        body = meetings.HeldIn.model_validate(
            dict(
                held_on=a_date(form, "held_on"),
                outcome=form.get("outcome"),
                attendees=participants(form.get("attendees")),
                joint_plan=plan,
            )
        )
        await call(meetings.record_held, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, f"held-{meeting_id}", act, "afholdt", "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/aflys")
async def cancel_meeting(pathway_id: str, meeting_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = meetings.CancelIn.model_validate(dict(reason=form.optional("reason")))
        await call(meetings.cancel, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, f"cancel-{meeting_id}", act, "aflyst", "moeder")
