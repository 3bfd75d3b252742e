"""The pathway page (forløb): what it shows, and how each of its forms comes back.

Every form on the page acts through `act_on_pathway`: it binds the form's
idempotency key, runs the API route, and on success answers as the form says
(usually a redirect back to the page); refused, the page is drawn again with
what was typed, the engine's reason beside the form and the API's status.
The forms themselves are in pathway_forms, meeting_forms, joint_plan_forms and stay_forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from dualpath.api import disclosure
from dualpath.api.auth import Staff
from dualpath.api.deps import Res, Resources
from dualpath.api.errors import ApiError
from dualpath.api.routes import (
    admissions,
    consents,
    coordinated_courses,
    meetings,
    pathways,
    relatives,
    screenings,
    tasks,
)
from dualpath.api.routes import staff as staff_routes
from dualpath.domain import ambulatory, copenhagen, first_contact, inpatient, legal_basis, screening
from dualpath.domain import staff as staff_register
from dualpath.web import diagram
from dualpath.web.calls import call, passes, permitted
from dualpath.web.forms import NOTICES, Reader, Refusal, participant_lines, read, submit
from dualpath.web.render import PageRoute, not_found, page
from dualpath.web.session import Form, PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)

Outcome = TypeVar("Outcome")


def _may(staff: Staff, active: bool) -> dict[str, bool]:
    """Which forms the page offers: the ones whose route's own role check lets this staff member through."""
    clinician_meetings = passes(meetings._clinician, staff)  # the meeting routes' own role check
    return {
        "move": active and permitted(pathways.move_phase, staff),
        "end": active and permitted(pathways.end_pathway, staff),
        "level": active and permitted(pathways.decide_level_of_care, staff),
        "first_contact": active and permitted(pathways.record_first_contact, staff),
        "acute_contact": active and permitted(pathways.record_acute_contact, staff),
        "screening": active and permitted(screenings.record_screening, staff),
        "contact_person": active and permitted(staff_routes.name_contact_person, staff),
        "relatives": active and permitted(relatives.add_relative, staff),
        "consent": permitted(consents.record_consent, staff),
        "complete": permitted(tasks.complete_task, staff),
        "call_meeting": active and clinician_meetings,
        "joint_plan": active and clinician_meetings,  # the joint plan route's check is the meeting routes'
        "meeting_commands": clinician_meetings,
        "admit": active and permitted(admissions.admit, staff),
        "stay": permitted(admissions.move_phase, staff),
        "plan": permitted(admissions.plan_discharge, staff),
        "discharge": permitted(admissions.discharge, staff),
    }


async def _course_after(staff: Staff, res: Resources, pathway_id: str) -> coordinated_courses.CourseOut | None:
    """The coordinated course that follows the pathway's planned closure, when there is one the caller may see
    (read through the course's own route: its visibility rule and the access log)."""
    found = await call(
        coordinated_courses.list_courses, staff, res, status=None, origin_id=pathway_id, limit=1, offset=0
    )
    if not found:
        return None
    try:
        return await call(coordinated_courses.get_course, staff, res, course_id=found[0].course_id)
    except ApiError:
        return None  # not shared with this caller


async def pathway_context(staff: Staff, res: Resources, pathway_id: str) -> dict[str, Any]:
    """What the pathway page shows, read through the API's routes as this staff member."""
    p = await call(pathways.get_pathway, staff, res, pathway_id=pathway_id)
    meeting_rows = await call(meetings.list_meetings, staff, res, pathway_id=pathway_id)
    plans = await call(meetings.list_joint_plans, staff, res, pathway_id=pathway_id, kind=None)
    stay_rows = await call(admissions.list_admissions, staff, res, pathway_id=pathway_id)
    disclosure_rows = await call(consents.list_disclosures, staff, res, pathway_id=pathway_id)
    screening_rows = await call(screenings.list_screenings, staff, res, pathway_id=pathway_id)
    relative_list = await call(relatives.list_relatives, staff, res, pathway_id=pathway_id)
    course = await _course_after(staff, res, pathway_id) if p.status == "ended" else None
    # Municipal staff read on consent or, without it, on a named legal basis: the page says which.
    reading_on = legal_basis.kind_of(p.access_basis)
    active = p.status == "active"
    open_tasks = [t for t in p.tasks if t.state == "open"]
    closed_tasks = [t for t in p.tasks if t.state != "open"]
    admitted = [s for s in stay_rows if s.status == "admitted"]
    may = _may(staff, active)
    # Whom the contact person can be: the caller's (the pathway's region's) active staff, from the register.
    colleagues = (
        [
            m
            for m in (await call(staff_routes.list_staff, staff, res, org=None, team=None, limit=500, offset=0)).members
            if m.active
        ]
        if may["contact_person"]
        else []
    )
    return dict(
        p=p,
        meetings=meeting_rows,
        plans=plans,
        stays=stay_rows,
        disclosures=disclosure_rows,
        screenings=screening_rows,
        relatives=relative_list,
        relative_names={r.relative_id: r.name for r in relative_list.relatives if r.name},
        # The instruments as data (domain/screening.py): the forms' items, options and points.
        instruments=[screening.BY_NAME[name] for name in screening.INSTRUMENTS],
        zone_names=screening.ZONE_NAMES_DA,
        course=course,
        reading_on=reading_on if reading_on in legal_basis.LABELS else None,
        basis_labels=legal_basis.LABELS,
        may=may,
        colleagues=colleagues,
        team_names=staff_register.TEAM_NAMES_DA,
        clinical=staff.role in disclosure.REGION_ROLES,
        open_tasks=sorted(open_tasks, key=lambda t: (t.due, t.title or "")),
        closed_tasks=sorted(closed_tasks, key=lambda t: t.closed_at or t.opened_at, reverse=True),
        history=list(reversed(p.history)),
        task_titles={t.task_id: t.title for t in p.tasks},
        diagram=diagram.ambulatory_svg(p.phase if active else None),
        admitted=admitted,
        stay_moves={s.stay_id: inpatient.allowed_moves(s.phase) for s in admitted},
        # The levels a clinician decides between (the rule's own list: domain/ambulatory.py).
        decidable_levels=[level.value for level in ambulatory.DECIDABLE_LEVELS],
        first_contact_phase=first_contact.PHASE,
        latest_contact_on=copenhagen.today(),  # a first contact is on this day at the latest
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

    async def refused(form: Form, refusal: Refusal) -> Response:
        shown = {"forms": {form_name: form.values()}, "refusals": {form_name: refusal}}
        return await draw(request, staff, res, pathway_id, status=refusal.status, **shown)

    return await submit(request, staff, action, answer, refused)


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


@dataclass(frozen=True)
class CommandForm:
    """A form of the pathway page that sends one API command: where it posts, below the pathway's
    address (with the ids the route takes, e.g. `/opgaver/{task_id}`); the route, whose body is read
    field by field from what was typed; the form's name on the page (with those ids); and where it
    comes back to, as the notice and the section (`"opgave#opgaver"`)."""

    path: str
    route: Callable[..., Awaitable[Any]]
    fields: Mapping[str, Reader]
    name: str
    back: str

    async def post(self, request: Request, staff: PageStaff, res: Res) -> Response:
        ids: dict[str, str] = dict(request.path_params)
        body_model: type[BaseModel] = get_type_hints(self.route)["body"]

        async def act(form: Form) -> None:
            await call(self.route, staff, res, **ids, body=body_model.model_validate(read(form, self.fields)))

        notice, _, anchor = self.back.partition("#")
        name = self.name.format(**ids)
        return await pathway_form(request, staff, res, ids["pathway_id"], name, act, notice, anchor)


def command_forms(*forms: CommandForm) -> APIRouter:
    """A router with these forms of the pathway page, each at its path."""
    forms_router = APIRouter(include_in_schema=False, route_class=PageRoute)
    for f in forms:
        forms_router.add_api_route(f"/forloeb/{{pathway_id}}{f.path}", f.post, methods=["POST"], name=f.route.__name__)
    return forms_router
