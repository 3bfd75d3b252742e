"""Entry through the acute function (akutfunktion; issue #18 item 4): an acute admission by CPR number.

A clinician of the region that serves the patient's municipality admits a patient who came to the acute
function. If the patient has an active integrated pathway, the admission is attached to it (as
`POST /pathways/{id}/admissions` does). If not, the admission starts the integrated course: a pathway whose
origin is this admission, started by its own workflow (claimed first: one active pathway per patient), which
admits the patient in its opening, so the stay is the pathway's child as every stay is.

A target group not yet open in the region (phase-in), or facts that fit no group or unmet criteria, start no
integrated course: the admission is refused here with the reason and what to do instead (admit outside the
integrated offer, and refer: the referral is held until the group opens). A stay here is always a stay of a
pathway, so there is no admission without one.

The opening admission of a pathway accepted into an inpatient course (`POST /referrals/{id}/decision` with
setting inpatient) is described by `OpeningAdmissionIn`, shared with the referral route.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from dualpath import workflow_ids
from dualpath.activities.pathway_claims import PathwayClaims
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.api.errors import ApiError
from dualpath.api.patient import PatientIn
from dualpath.contracts.activities import PathwayClaim
from dualpath.domain import copenhagen, inpatient, municipalities
from dualpath.domain import triage as triage_rules
from dualpath.domain.referral_rules import EligibilityCriteria, ReferralFacts
from dualpath.domain.validation import Input, Line, NotFuture
from dualpath.readmodels import queries
from dualpath.workflows import inpatient_stay as stay_wf
from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows import pathway_messages
from dualpath.workflows.pathway_messages import OpeningAdmission

router = disclosure.Router(prefix="/acute-admissions", tags=["admissions"])


class OpeningAdmissionIn(Input):
    """The stay a pathway starts with (accepted into an inpatient course)."""

    ward: Line = Field(min_length=1, max_length=200)
    via: inpatient.Via = Field(default="acute_function", description="acute_function or planned")
    admitted_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    in_ambulatory_pathway: bool = Field(
        default=False,
        description="True: already attached to an ambulatory clinic (home visit after discharge); "
        "False: not yet (the ambulatory acute team follows up)",
    )


def opening_admission(res, region: str, body: OpeningAdmissionIn) -> OpeningAdmission:
    """The pathway's opening admission from the request, with the region's long-stay setting."""
    return OpeningAdmission(
        via=body.via,
        ward=body.ward,
        admitted_on=body.admitted_on or copenhagen.today(),
        in_ambulatory_pathway=body.in_ambulatory_pathway,
        longer_admission_days=res.settings.for_region(region).longer_admission_days,
    )


async def until_stay_opened(res, pathway_id: str, region: str, number: int = 1) -> str:
    """Wait until the stay a pathway started with has recorded its opening and the read models have it;
    the stay's id."""
    handle = res.temporal.get_workflow_handle(stay_wf.workflow_id(pathway_id, number, region))
    await commands.until_opened(res, handle, stay_wf.InpatientStayWorkflow.opened, "admission", pathway_id)
    view = await handle.query(stay_wf.InpatientStayWorkflow.view)
    return view.stay_id


class AcuteAdmissionIn(PatientIn):
    ward: Line = Field(min_length=1, max_length=200)
    admitted_on: NotFuture | None = Field(default=None, description="Defaults to today (Copenhagen); not later")
    facts: ReferralFacts | None = Field(
        default=None, description="For a patient without a pathway: derive the target group (as a referral's)"
    )
    criteria: EligibilityCriteria | None = Field(
        default=None, description="For a patient without a pathway: the four visitation criteria (as a referral's)"
    )


class AcuteAdmissionOut(BaseModel):
    outcome: Literal["attached", "started"] = Field(
        description="attached: admitted on the patient's active pathway; started: the integrated course started "
        "with this admission"
    )
    pathway_id: str
    stay_id: str
    group: int | None
    note: str


# Who may not see the patient's pathway learns only that no course starts here (docs/security.md).
CANNOT_ADMIT = (
    "an integrated course cannot start for this patient here, and there is no pathway of yours to attach the "
    "admission to; contact the region's visitation"
)


@router.post("", status_code=201, response_model=AcuteAdmissionOut)
async def admit_acutely(
    body: AcuteAdmissionIn, res: Res, idempotency_key: idempotency.Key = None, staff: Staff = require(Role.clinician)
) -> AcuteAdmissionOut:
    """An acute admission through the acute function: attached to the patient's active pathway, or starting
    the integrated course (a pathway with this admission as its origin and its first stay)."""
    region = municipalities.region_for(body.municipality)
    if staff.org_code != region:
        raise ApiError(
            403,
            "forbidden",
            f"municipality {body.municipality} is served by region {region}: its clinicians admit the patient",
        )
    keyed_id = idempotency.derived_id("acute-admission")
    admission_id = keyed_id or str(uuid.uuid4())
    pathway_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dualpath:acute-pathway:{admission_id}"))
    admitted_on = body.admitted_on or copenhagen.today()
    await idempotency.claim(res.pool)  # the same key with another body: 422
    # The patient is looked up (or registered) by CPR number: written to the access log first.
    await access.record(res.pool, staff, pathway_id=None, object_kind="acute_admission", object_id=admission_id)
    patient_id = await queries.register_patient(res.pool, body.cpr)
    if not (keyed_id and await queries.pathway(res.pool, pathway_id)):
        if existing := await queries.active_pathway_for(res.pool, patient_id):
            return await _attach(res, staff, body, existing, admitted_on)
        await _start(res, staff, body, admission_id, pathway_id, patient_id, region, admitted_on)
    row = await queries.pathway(res.pool, pathway_id)
    assert row is not None  # commands.start waited for it
    stay_id = await until_stay_opened(res, pathway_id, region)
    return AcuteAdmissionOut(
        outcome="started",
        pathway_id=pathway_id,
        stay_id=stay_id,
        group=row.group,
        note="the integrated course started with this admission: its pathway is in phase 1, the stay in phase 1 "
        "(contact at the acute function); after discharge the ambulatory acute team follows up",
    )


async def _attach(res, staff: Staff, body: AcuteAdmissionIn, pathway_id: str, admitted_on: date) -> AcuteAdmissionOut:
    row = await queries.pathway(res.pool, pathway_id)
    if row is None or not await access.may_see(res.pool, staff, pathway_id=pathway_id, region=row.region):
        raise ApiError(409, "refused", CANNOT_ADMIT)
    await access.record(res.pool, staff, pathway_id=pathway_id)
    cmd = commands.make(
        pathway_messages.AdmitCommand,
        staff,
        via="acute_function",
        ward=body.ward,
        admitted_on=admitted_on,
        in_ambulatory_pathway=True,
        longer_admission_days=res.settings.for_region(row.region).longer_admission_days,
    )
    result = await commands.run(
        res, pathway_wf.workflow_id(pathway_id, row.region), pathway_wf.PathwayWorkflow.admit, cmd
    )
    stay = res.temporal.get_workflow_handle(result.stay_workflow_id)
    await commands.until_opened(res, stay, stay_wf.InpatientStayWorkflow.opened, "admission", result.stay_id)
    return AcuteAdmissionOut(
        outcome="attached",
        pathway_id=pathway_id,
        stay_id=result.stay_id,
        group=row.group,
        note="the patient has an active integrated pathway: the admission is attached to it, and the ambulatory "
        "pathway goes on during the stay",
    )


async def _start(
    res,
    staff: Staff,
    body: AcuteAdmissionIn,
    admission_id: str,
    pathway_id: str,
    patient_id: str,
    region: str,
    admitted_on: date,
) -> None:
    """The integrated course from the acute function: judged as a referral would be, then claimed and started."""
    if body.facts is None or body.criteria is None:
        missing = [f for f in ("facts", "criteria") if getattr(body, f) is None]
        raise ApiError(
            422,
            "invalid_input",
            f"the patient has no integrated pathway: starting the course needs {' and '.join(missing)} "
            "(as a referral's: facts.psychiatric_contact, facts.municipal_substance_treatment; the four criteria)",
        )
    triage = triage_rules.assess(
        body.facts, body.criteria, region=region, received_on=admitted_on, phase_in=res.settings.phase_in_for(region)
    )
    if triage.status == "held_until_phase_in":
        raise ApiError(
            409,
            "refused",
            f"target group {triage.group} opens in region {region} on {triage.opens_on}: an integrated course "
            "cannot start through the acute function before then, and nothing was recorded; admit the patient "
            "outside the integrated offer and refer them (POST /referrals, source acute_function): the referral "
            "is held until the group opens",
            allowed=[f"from {triage.opens_on}: an acute admission that starts the integrated course"],
        )
    if triage.status != "awaiting_visitation":
        raise ApiError(
            409,
            "refused",
            "the patient is not eligible for integrated treatment, and nothing was recorded: "
            + "; ".join(triage.reasons),
            allowed=["refer as an ordinary psychiatric referral", "admit outside the integrated offer"],
        )
    claims = PathwayClaims(res.pool)
    claim = PathwayClaim(patient_id=patient_id, pathway_id=pathway_id)
    if not await claims.claim_pathway(claim):
        raise ApiError(
            409,
            "refused",
            "the patient got an integrated pathway meanwhile: repeat the admission to attach it to that pathway",
        )
    settings = res.settings.for_region(region)
    state = pathway_messages.new_state(
        pathway_id,
        admission_id,  # the origin: this admission stands where a referral would
        patient_id=patient_id,
        group=triage.group,
        region=region,
        municipality=body.municipality,
        catalogue_version=settings.catalogue_version,
        municipal_substance_treatment=body.facts.municipal_substance_treatment,
        admit_at_start=OpeningAdmission(
            via="acute_function",
            ward=body.ward,
            admitted_on=admitted_on,
            in_ambulatory_pathway=False,
            longer_admission_days=settings.longer_admission_days,
        ),
    )
    start = pathway_messages.PathwayInput(state=state, actor=commands.actor(staff))
    summary = f"Pathway from an acute admission, target group {triage.group}, region {region}"
    try:
        await commands.start(res, pathway_wf.PathwayWorkflow.run, start, "pathway", pathway_id, region, summary)
    except Exception:
        if not await queries.pathway(res.pool, pathway_id) and not await _started(res, pathway_id, region):
            await claims.release_pathway(claim)  # nothing started: the claim must not block the patient
        raise


async def _started(res, pathway_id: str, region: str) -> bool:
    try:
        await res.temporal.get_workflow_handle(workflow_ids.pathway(pathway_id, region)).describe()
    except Exception:
        return False
    return True
