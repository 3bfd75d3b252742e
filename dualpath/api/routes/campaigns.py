"""Group-2 phase-in campaigns per psychiatric centre and municipality (spec §6, seed 004).

Who may do what:
- open a campaign: region staff (clinician, visitation) of the region serving the municipality;
- the clinic's list, its consents, decisions: region staff of the campaign's region (the clinic's side;
  psychiatry holds the visitation right); the municipality's list and its consents: municipality staff
  of the campaign's municipality; the KKR contacts, sharing, the collaboration meeting and network
  meetings: either side;
- read: each side its campaigns — its own people, and the other side's once the lists are shared and
  the other side has the person's consent; pseudonymous ids and states, no psychiatric facts for the
  municipality; ops the process state and counts, no people. Every look and change is written to the
  access log first (api/access.py). What is not yours answers 404.
The workflow refuses an illegal command with 409 and the reason.

CPR numbers come in only in the uploaded lists: each row's patient is registered in PostgreSQL
and the campaign gets nothing but the pseudonymous `patient_id` and the row's facts.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, field_validator, model_validator

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Offset, Res
from dualpath.api.disclosure import REGION_ROLES
from dualpath.api.errors import ApiError, ErrorBody
from dualpath.domain import campaign as rules
from dualpath.domain import campaign_lists, copenhagen, municipalities
from dualpath.domain.campaign import ConsentForm, ConsentState, DecisionKind, KkrContact, Side
from dualpath.domain.validation import Id, Input, Line
from dualpath.readmodels import campaigns as rm
from dualpath.readmodels import queries
from dualpath.workflows import campaign as wf
from dualpath.workflows import campaign_messages

router = disclosure.Router(prefix="/campaigns", tags=["campaigns"])

CampaignId = Annotated[Id, Path(description="The campaign's id")]
PatientId = Annotated[Id, Path(description="The person's pseudonymous id (as listed by GET /campaigns/{id})")]


def _side(staff: Staff) -> Side:
    if staff.role in REGION_ROLES:
        return "clinic"
    if staff.role == Role.municipality:
        return "municipality"
    raise ApiError(
        403,
        "forbidden",
        "ops see a campaign's process state; the clinic and the municipality act",
        allowed=[Role.clinician.value, Role.visitation.value, Role.municipality.value],
    )


class CampaignIn(Input):
    centre: Line = Field(
        min_length=1, max_length=200, description="The psychiatric centre, e.g. 'Psykiatrisk Center København'"
    )
    municipality: str = Field(description="The municipality's three-digit code, e.g. 101")
    region: str | None = Field(
        default=None, description="The region's code; must be the one serving the municipality (defaults to it)"
    )
    collaboration_meeting_on: date = Field(description="The planned collaboration meeting (samarbejdsmøde)")

    @field_validator("municipality")
    @classmethod
    def _municipality(cls, v: str) -> str:
        return municipalities.municipality(v).code

    @model_validator(mode="after")
    def _region(self) -> CampaignIn:
        serving = municipalities.region_for(self.municipality)
        if self.region is not None and self.region != serving:
            raise ValueError(f"municipality {self.municipality} is served by region {serving}, not {self.region}")
        self.region = serving
        return self


class PersonOut(BaseModel):
    patient_id: str = Field(description="Pseudonymous: the CPR number stays in the patient register")
    on_lists: list[Side]
    row: int | None = Field(description="The line in your side's uploaded file, if the person is on it")
    consent: dict[str, str | None] = Field(description="Per side: given | refused | null (not recorded)")
    discussed: bool = Field(description="False without consent from both sides: the person is not discussed")
    not_discussed: str | None = Field(description="Why the person is not discussed")
    decision: str | None
    from_date: date | None
    status: str
    started_on: date | None
    pathway_id: str | None = Field(description="The integrated pathway started (region staff only)")
    network_meeting: dict | None
    psychiatric_contact: str | None = Field(description="Region staff only")
    clinic_or_unit: str | None = Field(description="Region staff only")
    acute_contacts_last_year: int | None = Field(
        default=None,
        description="Region staff only: contacts at the acute function recorded on the patient's pathways within "
        "the last year (group-2 evidence: repeated acute contacts without ambulatory treatment taking hold)",
    )


class TimetableEntry(BaseModel):
    patient_id: str
    decision: str
    from_date: date
    status: str
    network_meeting: dict | None


class CampaignOut(rm.CampaignRow):
    lists: dict[str, int] = Field(description="People on each side's list (all of them, also those you do not see)")
    without_consent: int = Field(description="People not discussed for want of consent")
    people: list[PersonOut] = Field(description="Empty for ops")
    timetable: list[TimetableEntry] = Field(description="The start timetable: decided starts, soonest first")


def _person_out(p: rm.PersonRow, side: Side, staff: Staff) -> PersonOut:
    consent = {"clinic": p.consent_clinic, "municipality": p.consent_municipality}
    # The read model keeps plain text; the rules' own model checks it is one of theirs.
    person = rules.Person.model_validate(
        dict(
            patient_id=p.patient_id,
            psychiatric_contact=p.psychiatric_contact,
            municipal_substance_treatment=p.municipal_substance_treatment,
            consent={k: v for k, v in consent.items() if v},
        )
    )
    mark = rules.not_discussed_mark(person)
    region = staff.role in REGION_ROLES
    rows: tuple[tuple[Side, int | None], ...] = (("clinic", p.clinic_row), ("municipality", p.municipality_row))
    return PersonOut(
        patient_id=p.patient_id,
        on_lists=[s for s, r in rows if r is not None],
        row=p.clinic_row if side == "clinic" else p.municipality_row,
        consent=consent,
        discussed=mark is None,
        not_discussed=mark,
        decision=p.decision,
        from_date=p.from_date,
        status=p.status,
        started_on=p.started_on,
        pathway_id=p.pathway_id if region else None,
        network_meeting=p.network_meeting,
        psychiatric_contact=p.psychiatric_contact if region else None,
        clinic_or_unit=p.clinic_or_unit if region else None,
        acute_contacts_last_year=p.acute_contacts_last_year if region else None,
    )


def _visible_people(row: rm.CampaignRow, people: list[rm.PersonRow], side: Side) -> list[rm.PersonRow]:
    """A side sees the people on its own list; the other side's people once the lists are shared and only
    with the other side's recorded consent (without it nothing about them is shared)."""

    def sees(p: rm.PersonRow) -> bool:
        if side == "clinic":
            return p.clinic_row is not None or (row.shared_on is not None and p.consent_municipality == "given")
        return p.municipality_row is not None or (row.shared_on is not None and p.consent_clinic == "given")

    return [p for p in people if sees(p)]


def _may_see(staff: Staff, row: rm.CampaignRow) -> bool:
    if staff.role in REGION_ROLES:
        return staff.org_code == row.region
    if staff.role == Role.municipality:
        return staff.org_code == row.municipality
    return staff.role == Role.ops


async def _visible(res, staff: Staff, campaign_id: str) -> rm.CampaignRow:
    row = await rm.campaign(res.pool, campaign_id)
    await access.look(
        res.pool, staff, kind="campaign", object_id=campaign_id, visible=row is not None and _may_see(staff, row)
    )
    assert row is not None
    return row


async def _out(res, staff: Staff, campaign_id: str, row: rm.CampaignRow | None = None) -> CampaignOut:
    row = row or await _visible(res, staff, campaign_id)
    everyone = await rm.people(res.pool, campaign_id)
    counts = {
        "clinic": sum(p.clinic_row is not None for p in everyone),
        "municipality": sum(p.municipality_row is not None for p in everyone),
    }
    without = sum(1 for p in everyone if not (p.consent_clinic == p.consent_municipality == "given"))
    people: list[PersonOut] = []
    if staff.role != Role.ops:
        side = _side(staff)
        people = [_person_out(p, side, staff) for p in _visible_people(row, everyone, side)]
    timetable = sorted(
        (
            TimetableEntry(
                patient_id=p.patient_id,
                decision=p.decision or "",
                from_date=p.from_date,
                status=p.status,
                network_meeting=p.network_meeting,
            )
            for p in people
            if p.from_date is not None
        ),
        key=lambda t: (t.from_date, t.patient_id),
    )
    return CampaignOut(**row.model_dump(), lists=counts, without_consent=without, people=people, timetable=timetable)


# -- open, read -------------------------------------------------------------------------


@router.post("", status_code=201, response_model=CampaignOut)
async def open_campaign(
    body: CampaignIn, staff: CurrentStaff, res: Res, idempotency_key: idempotency.Key = None
) -> CampaignOut:
    """A phase-in campaign for target group 2, per psychiatric centre and municipality: opened by the region."""
    assert body.region
    if staff.role not in REGION_ROLES or staff.org_code != body.region:
        raise ApiError(
            403,
            "forbidden",
            f"a campaign for municipality {body.municipality} is opened by the staff of region {body.region}",
            allowed=[Role.clinician.value, Role.visitation.value],
        )
    today = copenhagen.today()
    if body.collaboration_meeting_on <= today:
        raise ApiError(422, "invalid_input", f"collaboration_meeting_on: plan the meeting after today ({today})")
    keyed_id = idempotency.derived_id("campaign")
    campaign_id = keyed_id or str(uuid.uuid4())
    await idempotency.claim(res.pool)  # the same key with another body: 422
    if keyed_id and await rm.campaign(res.pool, campaign_id):
        return await _out(res, staff, campaign_id)  # a repeat: the first answer, looked at like any read
    await access.record(res.pool, staff, pathway_id=None, object_kind="campaign", object_id=campaign_id)
    start = campaign_messages.CampaignInput(
        campaign_id=campaign_id,
        centre=body.centre.strip(),
        region=body.region,
        municipality=body.municipality,
        collaboration_meeting_on=body.collaboration_meeting_on,
        share_days=res.settings.campaign_share_days_before_meeting,
        group2_opens_on=res.settings.phase_in_for(body.region).opens_on(2),
        catalogue_version=res.settings.for_region(body.region).catalogue_version,
        actor=commands.actor(staff),
    )
    summary = f"Group-2 phase-in campaign, region {body.region}, municipality {body.municipality}"
    await commands.start(res, wf.CampaignWorkflow.run, start, "campaign", campaign_id, body.region, summary)
    return await _now(res, staff, campaign_id)


@router.get("", response_model=list[CampaignOut])
async def list_campaigns(
    staff: CurrentStaff,
    res: Res,
    phase: rules.Phase | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[CampaignOut]:
    await access.record_list(res.pool, staff)
    region, municipality = access.list_limits(staff)
    rows = await rm.campaigns(
        res.pool, region=region, municipality=municipality, phase=phase, limit=limit, offset=offset
    )
    return [await _out(res, staff, r.campaign_id, r) for r in rows]


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The list template, with two example rows"}},
)
async def template(staff: CurrentStaff) -> Response:
    """The list template (docs/campaign-template.md): semicolon-separated, one row per person."""
    return Response(
        campaign_lists.TEMPLATE,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="gruppe2-liste.csv"'},
    )


@router.get("/{campaign_id}", response_model=CampaignOut)
async def get_campaign(campaign_id: CampaignId, staff: CurrentStaff, res: Res) -> CampaignOut:
    return await _out(res, staff, campaign_id)


# -- commands ----------------------------------------------------------------------------


async def _command(res, staff: Staff, campaign_id: str, update_fn, cmd, row: rm.CampaignRow | None = None):
    """A command of the clinic's or the municipality's side: the campaign seen once, the command run, answered."""
    row = row or await _visible(res, staff, campaign_id)
    _side(staff)
    await commands.run(res, workflow_ids.campaign(campaign_id, row.region), update_fn, cmd)
    return await _now(res, staff, campaign_id)


async def _now(res, staff: Staff, campaign_id: str) -> CampaignOut:
    """The campaign as it stands after a command, for a caller who has been allowed to see it."""
    row = await rm.campaign(res.pool, campaign_id)
    assert row is not None  # campaigns are never deleted
    return await _out(res, staff, campaign_id, row)


class KkrIn(Input):
    contacts: list[KkrContact] = Field(
        min_length=1,
        max_length=500,
        description=("The KKR list of municipal contacts: role, name or function, organisation. No patient data."),
    )


@router.put("/{campaign_id}/kkr-contacts", response_model=CampaignOut)
async def set_kkr_contacts(campaign_id: CampaignId, body: KkrIn, staff: CurrentStaff, res: Res):
    cmd = commands.make(campaign_messages.KkrCommand, staff, body)
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.set_kkr_contacts, cmd)


@router.put(
    "/{campaign_id}/lists/{side}",
    response_model=CampaignOut,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
    responses={422: {"model": ErrorBody, "description": "Every bad row and column with the reason; nothing imported"}},
)
async def upload_list(campaign_id: CampaignId, side: Side, request: Request, staff: CurrentStaff, res: Res):
    """A side's whole list of group-2 people as CSV (the template: GET /campaigns/template.csv); it replaces
    that side's earlier list. Every row is validated: one bad row and nothing is imported (422 lists them all)."""
    row = await _visible(res, staff, campaign_id)
    if _side(staff) != side:
        raise ApiError(403, "forbidden", f"you upload {_side(staff)}'s list, not {side}'s")
    if row.shared_on is not None:
        raise ApiError(
            409,
            "refused",
            f"the lists were shared on {row.shared_on}: {rules.SIDE_NAMES[side]}'s list can no longer be replaced",
        )
    data = await request.body()
    if len(data) > 2_000_000:
        raise ApiError(413, "too_large", "a list of at most 2 MB")
    try:
        parsed = campaign_lists.parse_list(campaign_lists.decode(data), today=copenhagen.today())
    except campaign_lists.ListInvalid as exc:
        fields = [e.model_dump() for e in exc.errors]
        summary = "; ".join(
            f"row {e.row}" + (f", column {e.column}" if e.column else "") + f": {e.reason}" for e in exc.errors[:20]
        )
        more = f" (and {len(exc.errors) - 20} more)" if len(exc.errors) > 20 else ""
        body = ErrorBody(error="invalid_list", message=f"nothing imported — {summary}{more}", fields=fields)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)
    rows = [
        rules.ListedRow(
            patient_id=await queries.register_patient(res.pool, r.cpr),
            row=r.row,
            psychiatric_contact=r.psychiatric_contact,
            municipal_substance_treatment=r.municipal_substance_treatment,
            clinic_or_unit=r.clinic_or_unit,
        )
        for r in parsed
    ]
    cmd = commands.make(campaign_messages.UploadListCommand, staff, side=side, rows=rows)
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.upload_list, cmd, row)


class ConsentIn(Input):
    state: ConsentState
    form: ConsentForm = "written"


@router.post("/{campaign_id}/people/{patient_id}/consent", response_model=CampaignOut)
async def record_consent(
    campaign_id: CampaignId, patient_id: PatientId, body: ConsentIn, staff: CurrentStaff, res: Res
):
    """Your side's record of the person's consent to the case being discussed with the other side."""
    cmd = commands.make(campaign_messages.ConsentCommand, staff, body, patient_id=patient_id, side=_side(staff))
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.record_consent, cmd)


@router.post("/{campaign_id}/share", response_model=CampaignOut)
async def share_lists(campaign_id: CampaignId, staff: CurrentStaff, res: Res):
    """Both lists are shared today: the collaboration meeting may be held `share_days` (14) days later."""
    return await _command(
        res, staff, campaign_id, wf.CampaignWorkflow.share_lists, commands.make(campaign_messages.ShareCommand, staff)
    )


class MeetingIn(Input):
    held_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    note: str | None = Field(default=None, max_length=4000, description="No patient data")


@router.post("/{campaign_id}/collaboration-meeting", response_model=CampaignOut)
async def hold_collaboration_meeting(
    campaign_id: CampaignId, staff: CurrentStaff, res: Res, body: MeetingIn | None = None
):
    """The bilateral collaboration meeting was held: refused earlier than `share_days` after sharing."""
    body = body or MeetingIn()
    cmd = commands.make(campaign_messages.MeetingCommand, staff, body, held_on=body.held_on or copenhagen.today())
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.hold_collaboration_meeting, cmd)


class DecisionIn(Input):
    decision: DecisionKind
    from_date: date | None = Field(default=None, description="integrated / coordinated: the start date")


@router.post("/{campaign_id}/people/{patient_id}/decision", response_model=CampaignOut)
async def decide(campaign_id: CampaignId, patient_id: PatientId, body: DecisionIn, staff: CurrentStaff, res: Res):
    """The meeting's decision for a person with consent from both sides, recorded by the region (psychiatry
    holds the visitation right): integrated from a date, coordinated from a date, or not relevant."""
    row = await _visible(res, staff, campaign_id)
    if staff.role not in REGION_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "the decision is recorded by the region (psychiatry's visitation right)",
            allowed=[Role.clinician.value, Role.visitation.value],
        )
    if body.decision == "integrated" and (open_ := await queries.active_pathway_for(res.pool, patient_id)):
        raise ApiError(409, "refused", f"the person is in integrated treatment already (pathway {open_})")
    cmd = commands.make(campaign_messages.DecideCommand, staff, body, patient_id=patient_id)
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.decide, cmd, row)


class NetworkMeetingPlanIn(Input, rules.NetworkMeetingPlan):
    """A network meeting's plan as sent (the campaign keeps it as `NetworkMeetingPlan`)."""


@router.post("/{campaign_id}/people/{patient_id}/network-meeting", response_model=CampaignOut)
async def plan_network_meeting(
    campaign_id: CampaignId, patient_id: PatientId, body: NetworkMeetingPlanIn, staff: CurrentStaff, res: Res
):
    """An individual network meeting, with accompaniment (følgeskab) and outreach (udgående behandling)."""
    cmd = commands.make(campaign_messages.NetworkMeetingCommand, staff, patient_id=patient_id, plan=body)
    return await _command(res, staff, campaign_id, wf.CampaignWorkflow.plan_network_meeting, cmd)
