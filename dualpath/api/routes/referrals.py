"""Referrals (henvisninger): no wrong door in, psychiatry's visitation decides."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res, require
from dualpath.api.errors import ApiError
from dualpath.api.patient import PatientIn
from dualpath.api.routes.acute_admissions import OpeningAdmissionIn, opening_admission, until_stay_opened
from dualpath.domain import copenhagen, municipalities, referral_rules
from dualpath.domain import triage as triage_rules
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.domain.validation import Id, Input, NotFuture
from dualpath.readmodels import queries
from dualpath.workflows import referral as wf

router = disclosure.Router(prefix="/referrals", tags=["referrals"])

# No wrong door: every entry into the health system may refer.
Source = Literal["municipality", "general_practice", "psychiatric_clinic", "acute_function", "inpatient_ward"]


class ReferralIn(PatientIn):
    source: Source
    received_on: NotFuture | None = Field(default=None, description="Defaults to today (Copenhagen); not later")
    facts: ReferralFacts
    criteria: EligibilityCriteria


class ReferralOut(BaseModel):
    referral_id: str
    group: int | None
    region: str | None
    status: str
    start_deadline: date | None
    opens_on: date | None = None
    pathway_id: str | None = None
    reasons: list[str]


# Who refers: the region's clinicians and visitation, the municipality and general practice (no wrong
# door). Ops run the system and refer no one: a referral answers about a patient.
REFERRERS = (Role.clinician, Role.visitation, Role.municipality, Role.gp)
# What a general practitioner's referral is: the source follows from the role.
GP_SOURCE: Source = "general_practice"


@router.post("", status_code=201, response_model=ReferralOut, response_model_exclude_none=False)
async def refer(
    body: ReferralIn, res: Res, idempotency_key: idempotency.Key = None, staff: Staff = require(*REFERRERS)
) -> ReferralOut:
    if staff.role == Role.gp and body.source != GP_SOURCE:
        raise ApiError(
            422,
            "invalid_input",
            f"source: a general practice refers as {GP_SOURCE!r}, not {body.source!r}",
            allowed=[GP_SOURCE],
        )
    # With a key, the referral id — and so the workflow id, which Temporal
    # keeps unique — follows from the key: a repeat cannot start a second one.
    keyed_id = idempotency.derived_id("referral")
    referral_id = keyed_id or str(uuid.uuid4())
    received_on = body.received_on or copenhagen.today()
    region = municipalities.region_for(body.municipality)
    triage = triage_rules.assess(
        body.facts, body.criteria, region=region, received_on=received_on, phase_in=res.settings.phase_in_for(region)
    )
    # As assessed from what the referrer sent: the answer for a referrer who may not see the
    # patient's pathway, so that no answer tells them whether one exists.
    assessed = ReferralOut(referral_id=referral_id, **triage.model_dump())
    # The key is bound to this request first: the same key with another body is refused (422).
    await idempotency.claim(res.pool)
    if not (keyed_id and await queries.referral(res.pool, referral_id)):
        await access.record(res.pool, staff, pathway_id=None, object_kind="referral", object_id=referral_id)
        patient_id = await queries.register_patient(res.pool, body.cpr)
        # A referral joins an open pathway of its own region only: another region's pathway is not
        # this region's to see; its visitation decides, and a patient has one active pathway at most.
        open_pathway = (
            await queries.active_pathway_for(res.pool, patient_id, region)
            if triage_rules.may_join_a_pathway(triage)
            else None
        )
        await _start(
            res,
            staff,
            body,
            referral_id,
            patient_id,
            received_on,
            triage_rules.joined(triage) if open_pathway else triage,
            open_pathway,
        )
    row = await queries.referral(res.pool, referral_id)
    assert row is not None  # recorded: commands.start waited for it
    return await _as_seen_by(res, staff, _out(row), assessed)


async def _start(
    res,
    staff: Staff,
    body: ReferralIn,
    referral_id: str,
    patient_id: str,
    received_on: date,
    triage: triage_rules.Triage,
    open_pathway: str | None,
) -> None:
    """The referral's process: it keeps the deadline, and waits for visitation's decision."""
    start = wf.ReferralInput(
        referral_id=referral_id,
        patient_id=patient_id,
        source=body.source,
        municipality=body.municipality,
        received_on=received_on,
        **triage.model_dump(),
        **triage_rules.timers(triage).model_dump(),
        catalogue_version=res.settings.for_region(triage.region).catalogue_version,
        attach_to_pathway=open_pathway,
        municipal_substance_treatment=body.facts.municipal_substance_treatment,
        actor=commands.actor(staff),
    )
    summary = f"Referral, target group {triage.group or '-'}, region {triage.region}"
    await commands.start(res, wf.ReferralWorkflow.run, start, "referral", referral_id, triage.region, summary)


# What visitation has still to decide: the referrals its worklist shows.
UNDECIDED: tuple[wf.ReferralStatus, ...] = ("awaiting_visitation", "held_until_phase_in")


@router.get("", response_model=list[queries.ReferralRow])
async def list_referrals(
    res: Res, staff: Staff = require(Role.visitation), status: wf.ReferralStatus | None = None, limit: Limit = 100
) -> list[queries.ReferralRow]:
    """The caller's region's referrals still to be decided (or those of one `status`), the nearest start
    deadline first. Visitation's list: it decides them, and sees every referral of its own region."""
    await access.record_list(res.pool, staff)
    statuses: list[str] = list(UNDECIDED) if status is None else [status]
    return await queries.referrals(res.pool, region=staff.org_code, statuses=statuses, limit=limit)


@router.get("/sent", response_model=list[queries.ReferralAnswer])
async def referrals_sent(
    res: Res, staff: Staff = require(Role.gp), limit: Limit = 100, offset: Offset = 0
) -> list[queries.ReferralAnswer]:
    """The referrals the caller's practice sent, the latest received first, each with its answer:
    accepted or declined (with the reason), and when treatment started. A general practice's list:
    only its own referrals, nothing of the pathways."""
    await access.record_list(res.pool, staff)
    answers = await queries.referral_answers(res.pool, referred_by=staff.org, limit=limit, offset=offset)
    return [await _answer_as_seen_by(res, staff, a) for a in answers]


@router.get("/{referral_id}/answer", response_model=queries.ReferralAnswer)
async def referral_answer(
    referral_id: Annotated[Id, Path(description="The referral's id")], staff: CurrentStaff, res: Res
) -> queries.ReferralAnswer:
    """The answer to one referral: accepted or declined (with the reason), the pathway's start and the first
    treatment contact. For the practice that sent it (a general practice: its own referrals only) and for
    region staff and ops as the referral itself (the reason is not ops')."""
    row = await queries.referral_answer(res.pool, referral_id)
    if row is None:
        visible = False
    elif staff.role == Role.gp:
        visible = row.referred_by == staff.org
    else:
        visible = staff.role != Role.municipality and await access.may_see(
            res.pool, staff, pathway_id=row.pathway_id, region=row.region
        )
    seen = await access.seen(res.pool, staff, "referral", referral_id, row, visible)
    return await _answer_as_seen_by(res, staff, seen)


async def _answer_as_seen_by(res, staff: Staff, answer: queries.ReferralAnswer) -> queries.ReferralAnswer:
    """The answer; a referral that joined a pathway the caller may not see reads as assessed from what was
    sent (awaiting visitation, or held until its group opens), as `refer` answered it: no answer tells a
    referrer whether the patient has a pathway."""
    if answer.status != "attached" or await access.may_see(
        res.pool, staff, pathway_id=answer.pathway_id, region=answer.region
    ):
        return answer
    opens_on = None
    if answer.group is not None and answer.region is not None:
        calendar = res.settings.phase_in_for(answer.region)
        if not calendar.is_open(answer.group, answer.received_on):
            opens_on = calendar.opens_on(answer.group)
    held = opens_on is not None and opens_on > copenhagen.today()  # a held referral is released that day
    return answer.model_copy(
        update={
            "status": "held_until_phase_in" if held else "awaiting_visitation",
            "opens_on": opens_on,
            "start_deadline": referral_rules.start_deadline(opens_on or answer.received_on),
            "decided_on": None,
            "pathway_id": None,
        }
    )


async def _as_seen_by(res, staff: Staff, answer: ReferralOut, assessed: ReferralOut) -> ReferralOut:
    """The answer, if the caller may see the pathway it joined; else the referral as assessed."""
    if answer.pathway_id is None or await access.may_see(
        res.pool, staff, pathway_id=answer.pathway_id, region=answer.region
    ):
        return answer
    return assessed


def _out(row: queries.ReferralRow) -> ReferralOut:
    return ReferralOut.model_validate(row.model_dump(include=set(ReferralOut.model_fields)))


class DecisionIn(Input):
    accept: bool
    setting: Literal["ambulatory", "inpatient"] = "ambulatory"
    reason: str | None = Field(default=None, max_length=2000, description="Required when declining")
    admission: OpeningAdmissionIn | None = Field(
        default=None,
        description="Accepting into an inpatient course (setting inpatient): the stay the pathway starts with "
        "(ward, via, admitted_on); required then, and only then",
    )


ReferralId = Annotated[Id, Path(description="The referral's id")]


@router.post("/{referral_id}/decision", response_model=ReferralOut)
async def decide(
    referral_id: ReferralId, body: DecisionIn, res: Res, staff: Staff = require(Role.visitation)
) -> ReferralOut:
    row = await _visible_referral(res, staff, referral_id)
    if row.status not in UNDECIDED:
        # Its process has finished; answer as the workflow's validator would.
        raise ApiError(409, "refused", f"the referral is {row.status}: psychiatry's decision is final and is made once")
    # Into an inpatient course: the pathway starts with its stay (issue #18 item 4).
    admission = opening_admission(res, row.region or "", body.admission) if body.admission else None
    cmd = commands.make(wf.DecisionCommand, staff, body, admission=admission)
    result = await commands.run(res, workflow_ids.referral(referral_id, row.region), wf.ReferralWorkflow.decide, cmd)
    if pathway_id := result.referral.pathway_id:
        # The pathway is a process of its own, started by the decision: the answer names it once
        # the read models have its opening (its phase-1 tasks with it, and the stay it starts with).
        await commands.until_recorded(res, workflow_ids.pathway_stream(pathway_id), "pathway", pathway_id)
        if admission is not None and row.region:
            await until_stay_opened(res, pathway_id, row.region)
    if course_id := result.referral.coordinated_course_id:
        # Declined: the coordinated course that follows the patient is a process of its own (issue #18 item 9).
        await commands.until_recorded(res, workflow_ids.coordinated_stream(course_id), "coordinated course", course_id)
    now = await queries.referral(res.pool, referral_id)
    assert now is not None  # referrals are never deleted
    return _out(now)


@router.get("/{referral_id}", response_model=queries.ReferralRow)
async def get_referral(referral_id: ReferralId, staff: CurrentStaff, res: Res) -> queries.ReferralRow:
    return await _visible_referral(res, staff, referral_id)


async def _visible_referral(res, staff: Staff, referral_id: str) -> queries.ReferralRow:
    row = await queries.referral(res.pool, referral_id)
    # Referrals are the region's: municipality staff follow a patient through
    # the pathway, once consent allows.
    visible = (
        row is not None
        and staff.role != Role.municipality
        and await access.may_see(res.pool, staff, pathway_id=row.pathway_id, region=row.region)
    )
    return await access.seen(res.pool, staff, "referral", referral_id, row, visible)
