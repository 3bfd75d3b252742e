"""Referrals (henvisninger): no wrong door in, psychiatry's visitation decides."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Header, Path, Query
from pydantic import BaseModel, Field, field_validator
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.common import WorkflowIDReusePolicy

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.errors import ApiError
from dualpath.domain import copenhagen, cpr, municipalities, referral_rules
from dualpath.domain.catalogue import CURRENT_VERSION
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.domain.validation import Id, Input, NotFuture
from dualpath.readmodels import queries
from dualpath.workflows import referral as wf

router = disclosure.Router(prefix="/referrals", tags=["referrals"])

# No wrong door: every entry into the health system may refer.
Source = Literal["municipality", "general_practice", "psychiatric_clinic", "acute_function", "inpatient_ward"]


class ReferralIn(Input):
    cpr: str = Field(description="The patient's CPR number, 10 digits (DDMMYY-SSSS accepted)")
    municipality: str = Field(description="The residence municipality's official three-digit code, e.g. 851")
    source: Source
    received_on: NotFuture | None = Field(default=None, description="Defaults to today (Copenhagen); not later")
    facts: ReferralFacts
    criteria: EligibilityCriteria

    @field_validator("cpr")
    @classmethod
    def _cpr(cls, v: str) -> str:
        return cpr.validate_cpr(v, today=copenhagen.today())

    @field_validator("municipality")
    @classmethod
    def _municipality(cls, v: str) -> str:
        return municipalities.municipality(v).code


class ReferralOut(BaseModel):
    referral_id: str
    group: int | None
    region: str | None
    status: str
    start_deadline: date | None
    opens_on: date | None = None
    pathway_id: str | None = None
    reasons: list[str]


# Who refers: the region's clinicians and visitation, and the municipality (no wrong door).
# Ops run the system and refer no one: a referral answers about a patient.
REFERRERS = (Role.clinician, Role.visitation, Role.municipality)

@router.post("", status_code=201, response_model=ReferralOut, response_model_exclude_none=False)
async def refer(
    body: ReferralIn,
    res: Res,
    idempotency_key: Annotated[str | None, Header(max_length=200, description=(
        "Send the same key again (a retry after a timeout) to get the first answer; nothing is created twice"
    ))] = None,
    staff: Staff = require(*REFERRERS),
) -> ReferralOut:
    # With a key, the referral id — and so the workflow id, which Temporal
    # keeps unique — follows from the key: a repeat cannot start a second one.
    keyed_id = idempotency.derived_id("referral")
    referral_id = keyed_id or str(uuid.uuid4())
    received_on = body.received_on or copenhagen.today()
    group, reasons = referral_rules.derive_group(body.facts, body.criteria)
    unmet = referral_rules.unmet_criteria(body.criteria)
    region = municipalities.region_for(body.municipality)
    phase_in = res.settings.phase_in_for(region)
    opens_on, deadline = None, None
    if unmet or group is None:
        status = "not_eligible"
        reasons = [*unmet, *reasons]
    elif not phase_in.is_open(group, received_on):
        status, opens_on = "held_until_phase_in", phase_in.opens_on(group)
        reasons = [f"target group {group} opens for referral in region {region} on {opens_on}"]
        deadline = referral_rules.start_deadline(opens_on)
    else:
        status, deadline = "awaiting_visitation", referral_rules.start_deadline(received_on)

    # As assessed from what the referrer sent: the answer for a referrer who may not see the
    # patient's pathway, so that no answer tells them whether one exists.
    assessed = ReferralOut(referral_id=referral_id, group=group, region=region, status=status,
                           start_deadline=deadline, opens_on=opens_on, reasons=reasons)
    # The key is bound to this request first: the same key with another body is refused (422).
    await idempotency.claim(res.pool)
    if keyed_id and (row := await queries.referral(res.pool, referral_id)):
        return await _as_seen_by(res, staff, _out(row), assessed)
    await access.record(res.pool, staff, pathway_id=None, object_kind="referral", object_id=referral_id)
    patient_id = await queries.register_patient(res.pool, body.cpr)
    # A referral joins an open pathway of its own region only: another region's pathway is not
    # this region's to see; its visitation decides, and a patient has one active pathway at most.
    open_pathway = (await queries.active_pathway_for(res.pool, patient_id, region)
                    if status != "not_eligible" else None)
    if open_pathway:
        status, deadline, opens_on = "attached", None, None
        reasons = ["the patient already has an open pathway: this referral joins it"]

    start = wf.ReferralInput(
        referral_id=referral_id,
        patient_id=patient_id,
        source=body.source,
        municipality=body.municipality,
        region=region,
        group=group,
        status=status,
        received_on=received_on,
        start_deadline=deadline,
        opens_on=opens_on,
        reasons=reasons,
        catalogue_version=CURRENT_VERSION,
        release_at=copenhagen.midnight(opens_on) if opens_on else None,
        warn_at=copenhagen.midnight(deadline - timedelta(days=referral_rules.WARN_DAYS_BEFORE_DEADLINE)) if deadline else None,
        deadline_at=copenhagen.midnight(deadline + timedelta(days=1)) if deadline else None,
        attach_to_pathway=open_pathway,
        municipal_substance_treatment=body.facts.municipal_substance_treatment,
        actor=commands.actor(staff),
    )
    try:
        await res.temporal.start_workflow(
            wf.ReferralWorkflow.run,
            start,
            id=wf.workflow_id(referral_id, region),
            task_queue=res.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Referral, target group {group or '-'}, region {region}",
        )
    except WorkflowAlreadyStartedError:
        # The same key raced itself (or the first attempt's answer was lost):
        # answer what the first one recorded.
        await commands.until_listed(res, "rm_referrals", "referral_id", referral_id, "referral")
        row = await queries.referral(res.pool, referral_id)
        assert row is not None
        return await _as_seen_by(res, staff, _out(row), assessed)
    await commands.until_listed(res, "rm_referrals", "referral_id", referral_id, "referral")
    return await _as_seen_by(res, staff, ReferralOut(
        referral_id=referral_id, group=group, region=region, status=status, start_deadline=deadline,
        opens_on=opens_on, pathway_id=open_pathway, reasons=reasons,
    ), assessed)


# What visitation has still to decide: the referrals its worklist shows.
UNDECIDED: tuple[wf.ReferralStatus, ...] = ("awaiting_visitation", "held_until_phase_in")


@router.get("", response_model=list[queries.ReferralRow])
async def list_referrals(
    res: Res,
    staff: Staff = require(Role.visitation),
    status: wf.ReferralStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[queries.ReferralRow]:
    """The caller's region's referrals still to be decided (or those of one `status`), the nearest start
    deadline first. Visitation's list: it decides them, and sees every referral of its own region."""
    await access.record_list(res.pool, staff)
    statuses: list[str] = list(UNDECIDED) if status is None else [status]
    return await queries.referrals(res.pool, region=staff.org_code, statuses=statuses, limit=limit)


async def _as_seen_by(res, staff: Staff, answer: ReferralOut, assessed: ReferralOut) -> ReferralOut:
    """The answer, if the caller may see the pathway it joined; else the referral as assessed."""
    if answer.pathway_id is None or await access.may_see(
            res.pool, staff, pathway_id=answer.pathway_id, region=answer.region):
        return answer
    return assessed


def _out(row: queries.ReferralRow) -> ReferralOut:
    return ReferralOut(
        referral_id=row.referral_id, group=row.group, region=row.region, status=row.status,
        start_deadline=row.start_deadline, opens_on=row.opens_on, pathway_id=row.pathway_id, reasons=row.reasons,
    )


class DecisionIn(Input):
    accept: bool
    setting: Literal["ambulatory", "inpatient"] = "ambulatory"
    reason: str | None = Field(default=None, max_length=2000, description="Required when declining")


ReferralId = Annotated[Id, Path(description="The referral's id")]


@router.post("/{referral_id}/decision", response_model=ReferralOut)
async def decide(
    referral_id: ReferralId, body: DecisionIn, res: Res, staff: Staff = require(Role.visitation)
) -> ReferralOut:
    row = await _visible_referral(res, staff, referral_id)
    if row.status not in ("awaiting_visitation", "held_until_phase_in"):
        # Its process has finished; answer as the workflow's validator would.
        raise ApiError(409, "refused", f"the referral is {row.status}: psychiatry's decision is final and is "
                       "made once")
    handle = await workflow_ids.handle(res.temporal, wf.workflow_id(referral_id, row.region))
    result = await commands.update(
        res, handle, wf.ReferralWorkflow.decide,
        wf.DecisionCommand(accept=body.accept, setting=body.setting, reason=body.reason,
                           actor=commands.actor(staff)),
    )
    view = result.referral
    if view.pathway_id:
        await commands.until_listed(res, "rm_pathways", "pathway_id", view.pathway_id, "pathway")
    return ReferralOut(
        referral_id=referral_id, group=view.group, region=view.region, status=view.status,
        start_deadline=view.start_deadline, opens_on=view.opens_on, pathway_id=view.pathway_id,
        reasons=row.reasons,
    )


@router.get("/{referral_id}", response_model=queries.ReferralRow)
async def get_referral(referral_id: ReferralId, staff: CurrentStaff, res: Res) -> queries.ReferralRow:
    return await _visible_referral(res, staff, referral_id)


async def _visible_referral(res, staff: Staff, referral_id: str) -> queries.ReferralRow:
    row = await queries.referral(res.pool, referral_id)
    # Referrals are the region's: municipality staff follow a patient through
    # the pathway, once consent allows.
    visible = row is not None and staff.role != Role.municipality and await access.may_see(
        res.pool, staff, pathway_id=row.pathway_id, region=row.region)
    await access.look(res.pool, staff, kind="referral", object_id=referral_id, visible=visible,
                      pathway_id=row.pathway_id if row is not None else None)
    assert row is not None
    return row

