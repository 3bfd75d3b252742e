"""The pathway's own forms: move its phase, end it, record a consent, close a task."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dualpath.api.deps import Res
from dualpath.api.routes import consents, pathways, tasks
from dualpath.web.calls import call
from dualpath.web.forms import a_choice
from dualpath.web.pathway_page import pathway_form
from dualpath.web.render import PageRoute
from dualpath.web.session import Form, PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/forloeb/{pathway_id}/fase")
async def move_phase(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = pathways.PhaseMoveIn.model_validate(dict(to=a_choice(form, "to"), reason=form.optional("reason")))
        await call(pathways.move_phase, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, "phase", act, "fase", "fase")


@router.post("/forloeb/{pathway_id}/afslut")
async def end_pathway(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = pathways.EndIn.model_validate(dict(reason_kind=form.get("reason_kind"), reason=form.optional("reason")))
        await call(pathways.end_pathway, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, "end", act, "afsluttet", "top")


@router.post("/forloeb/{pathway_id}/samtykke")
async def record_consent(pathway_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = consents.ConsentIn.model_validate(
            dict(
                scope=form.get("scope"),
                counterpart=form.get("counterpart").strip(),
                state=form.get("state"),
                form=form.get("consent_form"),
            )
        )
        await call(consents.record_consent, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, "consent", act, "samtykke", "samtykker")


@router.post("/forloeb/{pathway_id}/opgaver/{task_id}")
async def complete_task(pathway_id: str, task_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    async def act(form: Form) -> None:
        body = tasks.CompleteIn.model_validate(dict(outcome=form.get("outcome"), note=form.optional("note")))
        await call(tasks.complete_task, staff, res, pathway_id=pathway_id, task_id=task_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, f"task-{task_id}", act, "opgave", "opgaver")
