"""The staff pages: arbejdsliste, forløb, henvisning — and the forms that act on them.

Every read and every command goes through the API's own route functions
(`calls.call`, see its docstring for why), so a page shows exactly what the
API would answer the same person and refuses exactly what it would refuse.
Forms are plain HTML forms (they work without JavaScript); htmx, when
loaded, only turns their full-page round trips into in-place swaps.

A refused form never loses its input: the page is drawn again with what was
typed, the engine's reason beside the form and at the top of the page, and
the status the API would have answered (409 refused, 422 invalid, 403
forbidden, 404 not yours). A successful command redirects (303) back to the
page. Each form carries a fresh idempotency key, used the way the API uses an
`Idempotency-Key` header: the same form submitted twice (a double click, a
retry) gets the first outcome instead of acting twice; a refused form is
drawn again with a new key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Awaitable, Callable
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from dualpath.api import access, disclosure
from dualpath.api.disclosure import disclose
from dualpath.api.auth import Role, Staff
from dualpath.api import idempotency
from dualpath.api.deps import Resources, _resources
from dualpath.api.errors import ApiError
from dualpath.api.routes import admissions, consents, meetings, pathways, referrals, tasks
from dualpath.domain import inpatient, validation
from dualpath.domain.meetings import JointPlanInput, Participant
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.readmodels import queries, stays
from dualpath.web import diagram
from dualpath.web.calls import call, passes, permitted
from dualpath.web.render import PageRoute, page
from dualpath.web.session import Form, page_staff, read_form

log = structlog.get_logger("dualpath.web")
router = APIRouter(include_in_schema=False, route_class=PageRoute)

StaffDep = Annotated[Staff, Depends(page_staff)]
ResDep = Annotated[Resources, Depends(_resources)]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# What a successful form says on the page it returns to (only these: nothing typed is echoed).
NOTICES = {
    "fase": "Forløbet er flyttet til den nye fase.",
    "afsluttet": "Forløbet er afsluttet.",
    "samtykke": "Samtykket er registreret.",
    "opgave": "Opgaven er lukket.",
    "moede": "Mødet er indkaldt; invitationerne er sendt.",
    "planlagt": "Mødet er planlagt.",
    "afholdt": "Mødet er registreret som afholdt.",
    "aflyst": "Mødet er aflyst.",
    "indlagt": "Indlæggelsen er registreret.",
    "indlaeggelsesfase": "Indlæggelsen er flyttet til den nye fase.",
    "udskrevet": "Udskrivelsen er registreret; opfølgningsopgaverne er oprettet.",
    "accepteret": "Henvisningen er accepteret: forløbet er startet i fase 1 (Opstart).",
    "afvist": "Henvisningen er afvist.",
}

FIELD_NAMES = {
    "to": "Ny fase", "reason": "Begrundelse", "reason_kind": "Årsag", "scope": "Samtykkets omfang",
    "counterpart": "Kommune", "state": "Tilstand", "form": "Form", "consent_form": "Form", "outcome": "Udfald",
    "note": "Bemærkning",
    "kind": "Type", "purpose": "Formål", "participants": "Deltagere", "called_on": "Indkaldt den",
    "at": "Tidspunkt", "place": "Sted", "held_on": "Afholdt den", "attendees": "Fremmødte",
    "joint_plan": "Fælles plan", "summary": "Resumé", "agreed_by": "Aftalt af", "via": "Indlagt via",
    "ward": "Afsnit", "admitted_on": "Indlagt den", "planned_date": "Planlagt udskrivelsesdato",
    "keep_reason": "Begrundelse for at fastholde datoen", "discharged_on": "Udskrevet den",
    "cpr": "CPR-nummer", "municipality": "Bopælskommune", "source": "Henvist fra", "received_on": "Modtaget den",
    "facts": "Forhold", "criteria": "Kriterier", "psychiatric_contact": "Kontakt med psykiatrien",
    "municipal_substance_treatment": "Kommunal rusmiddelbehandling", "mental_illness": "Psykisk lidelse",
    "substance_problem": "Rusmiddelproblematik", "reduced_functioning": "Nedsat funktionsevne",
    "parallel_treatment_insufficient": "Parallel behandling ikke tilstrækkelig", "accept": "Afgørelse",
}


@dataclass
class Refusal:
    """Why a form was refused, in the engine's words, and what it allows instead."""

    status: int
    message: str
    allowed: list[Any] = field(default_factory=list)
    open_tasks: list[Any] = field(default_factory=list)
    fields: list[dict[str, str]] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return {403: "Din rolle må ikke dette", 404: "Ikke fundet", 409: "Motoren afviste handlingen",
                422: "Oplysningerne kan ikke bruges"}.get(self.status, "Handlingen mislykkedes")

    @classmethod
    def from_api(cls, exc: ApiError) -> Refusal:
        b = exc.body
        return cls(status=exc.status, message=b.message, allowed=b.allowed or [], open_tasks=b.open_tasks or [],
                   fields=b.fields or [])

    @classmethod
    def invalid(cls, exc: Exception) -> Refusal:
        if isinstance(exc, ValidationError):
            fields = []
            for e in exc.errors():
                loc = [str(p) for p in e["loc"] if not isinstance(p, int)]
                name = " · ".join(FIELD_NAMES.get(p, p) for p in loc) or "Formularen"
                msg = e["msg"].removeprefix("Value error, ")
                fields.append({"field": name, "reason": msg})
            return cls(status=422, message="; ".join(f"{f['field']}: {f['reason']}" for f in fields), fields=fields)
        return cls(status=422, message=str(exc))


# -- small parsing helpers (the models themselves validate) ----------------------------


def _date(form: Form, name: str) -> date | None:
    v = form.get(name).strip()
    if not v:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{FIELD_NAMES.get(name, name)}: '{v}' er ikke en dato (åååå-mm-dd)") from None


def _int(form: Form, name: str) -> int | None:
    v = form.get(name).strip()
    if not v:
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(f"{FIELD_NAMES.get(name, name)}: vælg en af mulighederne") from None


def _yes(form: Form, name: str) -> bool | None:
    v = form.get(name)
    return {"ja": True, "nej": False}.get(v)


def _participants(text: str) -> list[dict[str, str]]:
    """One participant per line: 'rolle, organisation[, navn eller funktion]'."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"linje {n} ('{line.strip()}'): skriv 'rolle, organisation' "
                             "(og eventuelt ', navn eller funktion')")
        out.append({"role": parts[0], "organisation": parts[1],
                    "name_or_function": ", ".join(parts[2:]) or None})
    return out


def _participant_lines(items: list[Participant]) -> str:
    return "\n".join(", ".join(x for x in (p.role, p.organisation, p.name_or_function) if x) for p in items)


# -- the pathway page ---------------------------------------------------------------


async def _pathway_context(staff: Staff, res: Resources, pathway_id: str) -> dict[str, Any]:
    p = await call(pathways.get_pathway, staff, res, pathway_id=pathway_id)
    meeting_rows = await call(meetings.list_meetings, staff, res, pathway_id=pathway_id)
    plans = await call(meetings.list_joint_plans, staff, res, pathway_id=pathway_id, kind=None)
    stay_rows = await call(admissions.list_admissions, staff, res, pathway_id=pathway_id)
    active = p.status == "active"
    clinician_meetings = passes(meetings._clinician, staff)  # the meeting routes' own role check
    may = {
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
    open_tasks = [t for t in p.tasks if t.state == "open"]
    closed_tasks = [t for t in p.tasks if t.state != "open"]
    return dict(
        p=p, meetings=meeting_rows, plans=plans, stays=stay_rows, may=may,
        clinical=staff.role in disclosure.REGION_ROLES,
        open_tasks=sorted(open_tasks, key=lambda t: (t.due, t.title or "")),
        closed_tasks=sorted(closed_tasks, key=lambda t: t.closed_at or t.opened_at, reverse=True),
        history=list(reversed(p.history)),
        task_titles={t.task_id: t.title for t in p.tasks},
        diagram=diagram.ambulatory_svg(p.phase if active else None),
        admitted=[s for s in stay_rows if s.status == "admitted"],
        stay_moves={s.stay_id: inpatient.allowed_moves(s.phase) for s in stay_rows if s.status == "admitted"},
        participant_lines=_participant_lines,
        plan_advice={},
        canonical=f"/forloeb/{pathway_id}",
    )


def _not_found(request: Request, what: str = "forløb") -> Response:
    return page(request, "error.html", status=404, title="Ikke fundet",
                message=f"Der er intet {what} med det id, som du har adgang til.")


@router.get("/forloeb/{pathway_id}")
async def pathway_page(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    try:
        ctx = await _pathway_context(staff, res, pathway_id)
    except ApiError as exc:
        if exc.status == 404:
            return _not_found(request)
        raise
    notice = NOTICES.get(request.query_params.get("besked", ""))
    return page(request, "pathway.html", title=f"Forløb {pathway_id[:8]}", notice=notice, **ctx)


async def _pathway_action(
    request: Request, staff: Staff, res: Resources, pathway_id: str, form_name: str,
    action: Callable[[Form], Awaitable[Any]], notice: str, anchor: str,
) -> Response:
    form = await read_form(request)
    token = idempotency.bind_form(staff, request.url.path, form.pairs)
    try:
        await action(form)
    except ValidationError as exc:
        return await _refused(request, staff, res, pathway_id, form_name, form, Refusal.invalid(exc))
    except ValueError as exc:
        return await _refused(request, staff, res, pathway_id, form_name, form, Refusal.invalid(exc))
    except ApiError as exc:
        return await _refused(request, staff, res, pathway_id, form_name, form, Refusal.from_api(exc))
    finally:
        idempotency.current.reset(token)
    return RedirectResponse(f"/forloeb/{pathway_id}?besked={notice}#{anchor}", status_code=303)


async def _refused(request: Request, staff: Staff, res: Resources, pathway_id: str, form_name: str, form: Form,
                   refusal: Refusal, **extra: Any) -> Response:
    try:
        ctx = await _pathway_context(staff, res, pathway_id)
    except ApiError as exc:
        if exc.status == 404:
            return _not_found(request)
        raise
    ctx.update(extra)
    return page(request, "pathway.html", status=refusal.status, title=f"Forløb {pathway_id[:8]}",
                forms={form_name: form.values()}, refusals={form_name: refusal}, **ctx)


@router.post("/forloeb/{pathway_id}/fase")
async def move_phase(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = pathways.PhaseMoveIn(to=_int(form, "to"), reason=form.optional("reason"))
        await call(pathways.move_phase, staff, res, pathway_id=pathway_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, "phase", act, "fase", "fase")


@router.post("/forloeb/{pathway_id}/afslut")
async def end_pathway(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = pathways.EndIn(reason_kind=form.get("reason_kind"), reason=form.optional("reason"))
        await call(pathways.end_pathway, staff, res, pathway_id=pathway_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, "end", act, "afsluttet", "top")


@router.post("/forloeb/{pathway_id}/samtykke")
async def record_consent(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = consents.ConsentIn(scope=form.get("scope"), counterpart=form.get("counterpart").strip(),
                                  state=form.get("state"), form=form.get("consent_form"))
        await call(consents.record_consent, staff, res, pathway_id=pathway_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, "consent", act, "samtykke", "samtykker")


@router.post("/forloeb/{pathway_id}/opgaver/{task_id}")
async def complete_task(pathway_id: str, task_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = tasks.CompleteIn(outcome=form.get("outcome"), note=form.optional("note"))
        await call(tasks.complete_task, staff, res, pathway_id=pathway_id, task_id=task_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"task-{task_id}", act, "opgave", "opgaver")


@router.post("/forloeb/{pathway_id}/moeder")
async def call_meeting(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = meetings.CallMeetingIn(kind=form.get("kind"), purpose=form.optional("purpose"),
                                      participants=_participants(form.get("participants")),
                                      called_on=_date(form, "called_on"))
        await call(meetings.call_meeting, staff, res, pathway_id=pathway_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, "meeting", act, "moede", "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/planlaeg")
async def schedule_meeting(pathway_id: str, meeting_id: str, request: Request, staff: StaffDep,
                           res: ResDep) -> Response:
    async def act(form: Form):
        raw = form.get("at").strip()
        try:
            at = datetime.fromisoformat(raw).replace(tzinfo=COPENHAGEN) if raw else None
        except ValueError:
            raise ValueError(f"Tidspunkt: '{raw}' er ikke et tidspunkt") from None
        body = meetings.ScheduleIn(at=at, place=form.get("place").strip())
        await call(meetings.schedule, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"schedule-{meeting_id}", act, "planlagt",
                                 "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/afholdt")
async def meeting_held(pathway_id: str, meeting_id: str, request: Request, staff: StaffDep,
                       res: ResDep) -> Response:
    async def act(form: Form):
        plan = None
        if form.get("plan_kind"):
            plan = JointPlanInput(kind=form.get("plan_kind"), summary=form.get("plan_summary"),
                                  agreed_by=_participants(form.get("plan_agreed_by")))
        body = meetings.HeldIn(held_on=_date(form, "held_on"), outcome=form.get("outcome"),
                               attendees=_participants(form.get("attendees")), joint_plan=plan)
        await call(meetings.record_held, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"held-{meeting_id}", act, "afholdt", "moeder")


@router.post("/forloeb/{pathway_id}/moeder/{meeting_id}/aflys")
async def cancel_meeting(pathway_id: str, meeting_id: str, request: Request, staff: StaffDep,
                         res: ResDep) -> Response:
    async def act(form: Form):
        body = meetings.CancelIn(reason=form.optional("reason"))
        await call(meetings.cancel, staff, res, pathway_id=pathway_id, meeting_id=meeting_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"cancel-{meeting_id}", act, "aflyst", "moeder")


@router.post("/forloeb/{pathway_id}/indlaeggelser")
async def admit(pathway_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = admissions.AdmitIn(via=form.get("via"), ward=form.get("ward").strip(),
                                  admitted_on=_date(form, "admitted_on"),
                                  in_ambulatory_pathway=form.get("in_ambulatory_pathway", "ja") != "nej")
        await call(admissions.admit, staff, res, pathway_id=pathway_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, "admit", act, "indlagt", "indlaeggelser")


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/fase")
async def stay_phase(pathway_id: str, stay_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = admissions.StayMoveIn(to=_int(form, "to"), reason=form.optional("reason"))
        await call(admissions.move_phase, staff, res, pathway_id=pathway_id, stay_id=stay_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"stayphase-{stay_id}", act,
                                 "indlaeggelsesfase", "indlaeggelser")


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelsesplan")
async def plan_discharge(pathway_id: str, stay_id: str, request: Request, staff: StaffDep,
                         res: ResDep) -> Response:
    """Plan a discharge: the engine's advice (the warning before non-working days, the
    proposed date, the meeting, leave, the follow-ups and their dates) is shown on the
    page, before the discharge itself is confirmed."""
    form = await read_form(request)
    name = f"plan-{stay_id}"
    token = idempotency.bind_form(staff, request.url.path, form.pairs)
    try:
        body = admissions.DischargePlanIn(planned_date=_date(form, "planned_date"),
                                          keep_reason=form.optional("keep_reason"))
        advice = await call(admissions.plan_discharge, staff, res, pathway_id=pathway_id, stay_id=stay_id,
                            body=body)
    except ValidationError as exc:
        return await _refused(request, staff, res, pathway_id, name, form, Refusal.invalid(exc))
    except ValueError as exc:
        return await _refused(request, staff, res, pathway_id, name, form, Refusal.invalid(exc))
    except ApiError as exc:
        return await _refused(request, staff, res, pathway_id, name, form, Refusal.from_api(exc))
    finally:
        idempotency.current.reset(token)
    ctx = await _pathway_context(staff, res, pathway_id)
    ctx["plan_advice"] = {stay_id: advice}
    return page(request, "pathway.html", title=f"Forløb {pathway_id[:8]}",
                notice="Udskrivelsen er planlagt. Se motorens råd nedenfor, før udskrivelsen bekræftes.", **ctx)


@router.get("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelsesplan")
async def plan_discharge_reload(pathway_id: str, stay_id: str) -> Response:
    # A reload of the advice page (without JavaScript the address bar shows the form's action).
    return RedirectResponse(f"/forloeb/{pathway_id}#indlaeggelser", status_code=303)


@router.post("/forloeb/{pathway_id}/indlaeggelser/{stay_id}/udskrivelse")
async def discharge(pathway_id: str, stay_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    async def act(form: Form):
        body = admissions.DischargeIn(discharged_on=_date(form, "discharged_on"),
                                      acute_team_weekend=form.get("acute_team_weekend") == "ja")
        await call(admissions.discharge, staff, res, pathway_id=pathway_id, stay_id=stay_id, body=body)

    return await _pathway_action(request, staff, res, pathway_id, f"discharge-{stay_id}", act, "udskrevet",
                                 "indlaeggelser")


# -- the worklist and the list of pathways -------------------------------------------


def _team(task: queries.TaskRow, wards: dict[str, str]) -> str:
    """Who on the owning organisation's side does the task, for the team filter.

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
    if task.kind == "home_visit":
        return "Ambulant team"
    if task.stay_id:
        ward = wards.get(task.stay_id)
        return f"Afsnit {ward}" if ward else "Afsnittet"
    return "Ambulant team"


def _task_link(task: queries.TaskRow) -> str | None:
    if task.pathway_id:
        return f"/forloeb/{task.pathway_id}"
    if task.referral_id:
        return f"/henvisninger/{task.referral_id}"
    return None


async def _awaiting_referrals(res: Resources, staff: Staff) -> list[queries.ReferralRow]:
    """The region's referrals that wait for visitation (the API has no list of referrals yet;
    each opens through `get_referral`, which checks and logs the look)."""
    if staff.role != Role.visitation:  # the one role that decides them
        return []
    ids = await res.pool.fetch(
        """SELECT referral_id FROM rm_referrals WHERE region = $1
             AND status IN ('awaiting_visitation', 'held_until_phase_in')
           ORDER BY start_deadline NULLS LAST, received_on, referral_id LIMIT 100""",
        staff.org_code,
    )
    rows = [await queries.referral(res.pool, r["referral_id"]) for r in ids]
    return [r for r in rows if r is not None and await access.may_see(
        res.pool, staff, pathway_id=r.pathway_id, region=r.region)]


@router.get("/arbejdsliste")
async def worklist(request: Request, staff: StaffDep, res: ResDep) -> Response:
    kind = request.query_params.get("type") or None
    team = request.query_params.get("team") or None
    if kind is not None and validation.text_problem(kind, line=True):
        return page(request, "error.html", status=422, title="Ugyldigt filter",
                    message="Filteret på type indeholder tegn, som ikke kan bruges.")
    everything = await call(tasks.worklist, staff, res, kind=None, limit=500, offset=0)
    rows = everything if kind is None else await call(tasks.worklist, staff, res, kind=kind, limit=500, offset=0)
    wards = {}
    for stay_id in {t.stay_id for t in everything if t.stay_id}:
        s = await stays.stay(res.pool, stay_id)
        if s and (ward := disclose(s, staff).ward):
            wards[stay_id] = ward
    kinds = sorted({(t.kind, t.title or t.kind) for t in everything}, key=lambda k: k[1])
    kind_options: dict[str, str] = {}
    for k, title in kinds:
        kind_options.setdefault(k, title)
    teams = sorted({_team(t, wards) for t in everything})
    shown = [t for t in rows if team is None or _team(t, wards) == team]
    return page(
        request, "worklist.html", title="Arbejdsliste", rows=shown, total=len(everything),
        kind=kind, team=team, kind_options=kind_options, teams=teams,
        team_of=lambda t: _team(t, wards), link_of=_task_link,
        referrals=await _awaiting_referrals(res, staff),
    )


@router.get("/forloeb")
async def pathway_list(request: Request, staff: StaffDep, res: ResDep) -> Response:
    status = request.query_params.get("status", "active")
    status = status if status in ("active", "ended") else None
    phase_raw = request.query_params.get("fase", "")
    phase = int(phase_raw) if phase_raw in ("1", "2", "3", "4") else None
    rows = await call(pathways.list_pathways, staff, res, status=status, phase=phase, limit=200, offset=0)
    return page(request, "pathways.html", title="Forløb", rows=rows, status_filter=status or "", phase=phase)


@router.get("/")
async def home(staff: StaffDep) -> Response:
    return RedirectResponse("/arbejdsliste", status_code=303)


# -- referrals (henvisning) ---------------------------------------------------------------


@router.get("/henvisning")
async def referral_form(request: Request, staff: StaffDep) -> Response:
    return page(request, "referral_form.html", title="Ny henvisning", values={}, refusal=None)


@router.post("/henvisning")
async def refer(request: Request, staff: StaffDep, res: ResDep) -> Response:
    form = await read_form(request)
    idempotency.bind_form(staff, request.url.path, form.pairs)  # this request's own context: no reset needed
    try:
        body = referrals.ReferralIn(
            cpr=form.get("cpr").strip(), municipality=form.get("municipality").strip(), source=form.get("source"),
            received_on=_date(form, "received_on"),
            facts=ReferralFacts(psychiatric_contact=form.get("psychiatric_contact"),
                                municipal_substance_treatment=_yes(form, "municipal_substance_treatment")),
            criteria=EligibilityCriteria(
                mental_illness=form.get("mental_illness"), substance_problem=_yes(form, "substance_problem"),
                reduced_functioning=_yes(form, "reduced_functioning"),
                parallel_treatment_insufficient=_yes(form, "parallel_treatment_insufficient")),
        )
        out = await call(referrals.refer, staff, res, body=body, idempotency_key=form.get("idem").strip() or None)
    except ValidationError as exc:
        refusal = Refusal.invalid(exc)
    except ValueError as exc:
        refusal = Refusal.invalid(exc)
    except ApiError as exc:
        refusal = Refusal.from_api(exc)
    else:
        # The CPR number is not shown back: it lives only in the patient register.
        return page(request, "referral_result.html", title="Henvisning modtaget", r=out, canonical="/henvisning")
    values = form.values()
    return page(request, "referral_form.html", status=refusal.status, title="Ny henvisning", values=values,
                refusal=refusal, canonical="/henvisning")


@router.get("/henvisninger/{referral_id}")
async def referral_page(referral_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    try:
        row = await call(referrals.get_referral, staff, res, referral_id=referral_id)
    except ApiError as exc:
        if exc.status == 404:
            return _not_found(request, "henvisning")
        raise
    return page(request, "referral.html", title="Henvisning", r=row, may_decide=permitted(referrals.decide, staff),
                notice=NOTICES.get(request.query_params.get("besked", "")), values={}, refusal=None)


@router.post("/henvisninger/{referral_id}/visitation")
async def decide(referral_id: str, request: Request, staff: StaffDep, res: ResDep) -> Response:
    form = await read_form(request)
    token = idempotency.bind_form(staff, request.url.path, form.pairs)
    try:
        accept = {"accept": True, "decline": False}.get(form.get("decision"))
        body = referrals.DecisionIn(accept=accept, setting=form.get("setting") or "ambulatory",
                                    reason=form.optional("reason"))
        out = await call(referrals.decide, staff, res, referral_id=referral_id, body=body)
    except (ValidationError, ValueError, ApiError) as exc:
        refusal = Refusal.from_api(exc) if isinstance(exc, ApiError) else Refusal.invalid(exc)
        try:
            row = await call(referrals.get_referral, staff, res, referral_id=referral_id)
        except ApiError as again:
            if again.status == 404:
                return _not_found(request, "henvisning")
            raise
        return page(request, "referral.html", status=refusal.status, title="Henvisning", r=row,
                    may_decide=permitted(referrals.decide, staff), notice=None, values=form.values(),
                    refusal=refusal, canonical=f"/henvisninger/{referral_id}")
    finally:
        idempotency.current.reset(token)
    if out.pathway_id and out.status == "accepted":
        return RedirectResponse(f"/forloeb/{out.pathway_id}?besked=accepteret", status_code=303)
    return RedirectResponse(f"/henvisninger/{referral_id}?besked=afvist", status_code=303)
