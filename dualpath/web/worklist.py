"""The worklist (arbejdsliste), with the referrals awaiting visitation, and the list of pathways."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api.auth import Staff
from dualpath.api.deps import Res, Resources
from dualpath.api.errors import ApiError
from dualpath.api.routes import admissions, pathways, referrals, tasks
from dualpath.domain import validation
from dualpath.readmodels.queries import ReferralRow, TaskRow
from dualpath.web.calls import call, permitted
from dualpath.web.render import PageRoute, page
from dualpath.web.session import PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _owning_team(task: TaskRow) -> str | None:
    """Who on the owning organisation's side does the task, for the team filter; None: the ward of its stay.

    The engine owns a task by organisation and role (a staff register with teams is
    spec §9's "later"); for the worklist a task belongs to the ambulatory team, the
    acute team, the ward of the stay it came from, or the visitation. Words only: the
    follow-up kinds name their owner in domain/discharge.py."""
    if task.referral_id and not task.pathway_id:
        return "Visitationen"
    if task.owner_role == "municipality":
        return "Kommunen"
    if task.kind in ("acute_team", "acute_team_weekend"):
        return "Akutteamet"
    if task.kind == "home_visit" or not task.stay_id:
        return "Ambulant team"
    return None


def _team(task: TaskRow, wards: dict[str, str]) -> str:
    if (team := _owning_team(task)) is not None:
        return team
    ward = wards.get(task.stay_id or "")
    return f"Afsnit {ward}" if ward else "Afsnittet"


async def _wards(staff: Staff, res: Resources, rows: list[TaskRow]) -> dict[str, str]:
    """The ward of each stay a ward's task came from, as the API shows it to this staff member:
    one list of stays per pathway, not one look-up per task."""
    wards: dict[str, str] = {}
    for pathway_id in sorted({t.pathway_id for t in rows if t.pathway_id and _owning_team(t) is None}):
        try:
            stays = await call(admissions.list_admissions, staff, res, pathway_id=pathway_id)
        except ApiError as exc:
            if exc.status in (403, 404):  # a task of a pathway not (or no longer) shown to them: no ward
                continue
            raise
        wards.update({s.stay_id: s.ward for s in stays if s.ward})
    return wards


def _task_link(task: TaskRow) -> str | None:
    if task.pathway_id:
        return f"/forloeb/{task.pathway_id}"
    if task.referral_id:
        return f"/henvisninger/{task.referral_id}"
    return None


async def _awaiting_visitation(staff: Staff, res: Resources) -> list[ReferralRow]:
    """The region's referrals visitation has still to decide, for the one role that decides them."""
    if not permitted(referrals.list_referrals, staff):
        return []
    rows: list[ReferralRow] = await call(referrals.list_referrals, staff, res, status=None, limit=100)
    return rows


@router.get("/arbejdsliste")
async def worklist(request: Request, staff: PageStaff, res: Res) -> Response:
    kind = request.query_params.get("type") or None
    team = request.query_params.get("team") or None
    if kind is not None and validation.text_problem(kind, line=True):
        return page(
            request,
            "error.html",
            status=422,
            title="Ugyldigt filter",
            message="Filteret på type indeholder tegn, som ikke kan bruges.",
        )
    # "Mine": the tasks given to this staff member by name (the staff register), beside the whole list.
    scope = "mine" if request.query_params.get("vis") == "mine" else "all"
    everything = await call(tasks.worklist, staff, res, kind=None, limit=500, offset=0)
    rows = (
        everything
        if kind is None and scope == "all"
        else await call(tasks.worklist, staff, res, kind=kind, limit=500, offset=0, scope=scope)
    )
    wards = await _wards(staff, res, everything)
    kind_options: dict[str, str] = {}
    for k, title in sorted({(t.kind, t.title or t.kind) for t in everything}, key=lambda k: k[1]):
        kind_options.setdefault(k, title)
    return page(
        request,
        "worklist.html",
        title="Arbejdsliste",
        total=len(everything),
        rows=[t for t in rows if team is None or _team(t, wards) == team],
        kind=kind,
        team=team,
        mine=scope == "mine",
        kind_options=kind_options,
        teams=sorted({_team(t, wards) for t in everything}),
        team_of=lambda t: _team(t, wards),
        link_of=_task_link,
        referrals=await _awaiting_visitation(staff, res),
    )


@router.get("/forloeb")
async def pathway_list(request: Request, staff: PageStaff, res: Res) -> Response:
    asked = request.query_params.get("status", "active")
    status = asked if asked in ("active", "ended") else None
    phase_raw = request.query_params.get("fase", "")
    phase = int(phase_raw) if phase_raw in ("1", "2", "3", "4") else None
    rows = await call(pathways.list_pathways, staff, res, status=status, phase=phase, limit=200, offset=0)
    return page(request, "pathways.html", title="Forløb", rows=rows, status_filter=status or "", phase=phase)


@router.get("/")
async def home(staff: PageStaff) -> Response:
    return RedirectResponse("/arbejdsliste", status_code=303)
