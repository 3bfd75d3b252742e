"""The pathway page (forløb): what it shows, and how each of its forms comes back.

Every form on the page acts through `act_on_pathway`: it binds the form's
idempotency key, runs the API route, and on success answers as the form says
(usually a redirect back to the page); refused, the page is drawn again with
what was typed, the engine's reason beside the form and the API's status.
The forms themselves are in pathway_forms, meeting_forms and stay_forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api import disclosure, idempotency
from dualpath.api.auth import Staff
from dualpath.api.deps import Res, Resources
from dualpath.api.errors import ApiError
from dualpath.api.routes import admissions, consents, meetings, pathways, tasks
from dualpath.domain import inpatient
from dualpath.web import diagram
from dualpath.web.calls import call, passes, permitted
from dualpath.web.forms import NOTICES, Refusal, participant_lines
from dualpath.web.render import PageRoute, not_found, page
from dualpath.web.session import Form, PageStaff, read_form

router = APIRouter(include_in_schema=False, route_class=PageRoute)

Outcome = TypeVar("Outcome")


def _may(staff: Staff, active: bool) -> dict[str, bool]:
    """Which forms the page offers: the ones whose route's own role check lets this staff member through."""
    clinician_meetings = passes(meetings._clinician, staff)  # the meeting routes' own role check
    return {
        "move": active and permitted(pathways.move_phase, staff),
        "end": active and permitted(pathways.end_pathway, staff),
        "consent": permitted(consents.record_consent, staff),
        "complete": permitted(tasks.complete_task, staff),
        "call_meeting": active and clinician_meetings,
        "meeting_commands": clinician_meetings,
        "admit": active and permitted(admissions.admit, staff),
        "stay": permitted(admissions.move_phase, staff),
        "plan": permitted(admissions.plan_discharge, staff),
        "discharge": permitted(admissions.discharge, staff),
    }


async def pathway_context(staff: Staff, res: Resources, pathway_id: str) -> dict[str, Any]:
    """What the pathway page shows, read through the API's routes as this staff member."""
    p = await call(pathways.get_pathway, staff, res, pathway_id=pathway_id)
    meeting_rows = await call(meetings.list_meetings, staff, res, pathway_id=pathway_id)
    plans = await call(meetings.list_joint_plans, staff, res, pathway_id=pathway_id, kind=None)
    stay_rows = await call(admissions.list_admissions, staff, res, pathway_id=pathway_id)
    active = p.status == "active"
    open_tasks = [t for t in p.tasks if t.state == "open"]
    closed_tasks = [t for t in p.tasks if t.state != "open"]
    admitted = [s for s in stay_rows if s.status == "admitted"]
    return dict(
        p=p,
        meetings=meeting_rows,
        plans=plans,
        stays=stay_rows,
        may=_may(staff, active),
        clinical=staff.role in disclosure.REGION_ROLES,
        open_tasks=sorted(open_tasks, key=lambda t: (t.due, t.title or "")),
        closed_tasks=sorted(closed_tasks, key=lambda t: t.closed_at or t.opened_at, reverse=True),
        history=list(reversed(p.history)),
        task_titles={t.task_id: t.title for t in p.tasks},
        diagram=diagram.ambulatory_svg(p.phase if active else None),
        admitted=admitted,
        stay_moves={s.stay_id: inpatient.allowed_moves(s.phase) for s in admitted},
        participant_lines=participant_lines,
        plan_advice={},
        canonical=f"/forloeb/{pathway_id}",
    )


async def draw(
    request: Request, staff: Staff, res: Resources, pathway_id: str, *, status: int = 200, **extra: Any
) -> Response:
    """The pathway page, or not found if this staff member may not see the pathway (the API's 404)."""
    try:
        ctx = await pathway_context(staff, res, pathway_id)
    except ApiError as exc:
        if exc.status == 404:
            return not_found(request)
        raise
    ctx.update(extra)
    return page(request, "pathway.html", status=status, title=f"Forløb {pathway_id[:8]}", **ctx)


@router.get("/forloeb/{pathway_id}")
async def pathway_page(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    return await draw(request, staff, res, pathway_id, notice=NOTICES.get(request.query_params.get("besked", "")))


async def act_on_pathway(
    request: Request,
    staff: Staff,
    res: Resources,
    pathway_id: str,
    form_name: str,
    action: Callable[[Form], Awaitable[Outcome]],
    answer: Callable[[Outcome], Awaitable[Response]],
) -> Response:
    """Run one of the page's forms: `action` gives the command, `answer` the page after it succeeded."""
    form = await read_form(request)
    token = idempotency.bind_form(staff, request.url.path, form.pairs)
    try:
        outcome = await action(form)
    except (ValueError, ApiError) as exc:  # ValueError includes the body models' ValidationError
        refusal = Refusal.of(exc)
        return await draw(
            request,
            staff,
            res,
            pathway_id,
            status=refusal.status,
            forms={form_name: form.values()},
            refusals={form_name: refusal},
        )
    finally:
        idempotency.current.reset(token)
    return await answer(outcome)


async def pathway_form(
    request: Request,
    staff: Staff,
    res: Resources,
    pathway_id: str,
    form_name: str,
    action: Callable[[Form], Awaitable[Any]],
    notice: str,
    anchor: str,
) -> Response:
    """A form that, done, goes back to the page (303) with its notice, at its section."""

    async def back(_: Any) -> Response:
        return RedirectResponse(f"/forloeb/{pathway_id}?besked={notice}#{anchor}", status_code=303)

    return await act_on_pathway(request, staff, res, pathway_id, form_name, action, back)
