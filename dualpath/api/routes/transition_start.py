"""Starting a transition (overgang): who may report one, and the patient found by CPR number.

A municipality reports its own citizen in coordinated treatment whose situation worsens
(to_integrated); the region's staff may report one too; psychiatry's clinicians propose a move
back from an integrated pathway (to_coordinated). The transition's steps, reads and the
visibility rule are in routes/transitions.py.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.errors import ApiError
from dualpath.api.routes.pathways import visible_pathway
from dualpath.api.routes.transitions import REGION_ROLES, may_see
from dualpath.domain import copenhagen, cpr, municipalities, triage
from dualpath.domain import transition as rules
from dualpath.domain.referral_rules import PsychiatricContact
from dualpath.domain.transition import DialogueConsent, Direction, Sign
from dualpath.domain.transition_records import Party
from dualpath.domain.validation import Id, Input
from dualpath.readmodels import queries
from dualpath.readmodels import transitions as rm
from dualpath.workflows import transition as wf
from dualpath.workflows import transition_messages as messages

router = disclosure.Router(prefix="/transitions", tags=["transitions"])


class TransitionIn(Input):
    direction: Direction
    # to_integrated: a patient in coordinated treatment, identified like a referral.
    cpr: str | None = Field(default=None, description="to_integrated: the patient's CPR number, 10 digits")
    municipality: str | None = Field(default=None, description="to_integrated: the three-digit municipality code")
    reported_by: Party | None = Field(default=None, description="Defaults to the caller's side; must match it")
    signs: list[Sign] = Field(default=[], description="to_integrated: the signs of worsening seen")
    description: str | None = Field(default=None, max_length=4000, description="What was seen; needed with 'other'")
    dialogue_consent: DialogueConsent | None = Field(
        default=None,
        description=(
            "to_integrated: the patient's consent to dialogue between municipality and region; "
            "refused or not asked takes the no-consent branch"
        ),
    )
    psychiatric_contact: PsychiatricContact | None = Field(
        default=None, description=("to_integrated, optional: derives the target group of the pathway that may start")
    )
    # to_coordinated: psychiatry proposes a move back from an integrated pathway.
    pathway_id: Id | None = Field(default=None, description="to_coordinated: the integrated pathway")
    reason: str | None = Field(default=None, max_length=4000, description="to_coordinated: why psychiatry proposes it")

    @field_validator("cpr")
    @classmethod
    def _cpr(cls, v: str | None) -> str | None:
        return cpr.validate_cpr(v, today=copenhagen.today()) if v is not None else None

    @field_validator("municipality")
    @classmethod
    def _municipality(cls, v: str | None) -> str | None:
        return municipalities.municipality(v).code if v is not None else None

    @model_validator(mode="after")
    def _shape(self) -> TransitionIn:
        if self.direction == "to_integrated":
            missing = [f for f in ("cpr", "municipality", "dialogue_consent") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a transition to integrated treatment needs {', '.join(missing)}")
            if self.pathway_id is not None:
                raise ValueError("a patient in coordinated treatment has no pathway yet: leave out pathway_id")
            if not self.signs:
                raise ValueError(
                    "name the signs of worsening seen (missed_attendance, no_progress_towards_goal, crisis, other)"
                )
            if "other" in self.signs and not (self.description and self.description.strip()):
                raise ValueError("sign 'other' needs a description of what was seen")
        else:
            if self.pathway_id is None or not (self.reason and self.reason.strip()):
                raise ValueError("a move back to coordinated treatment needs pathway_id and reason")
            given = [
                f
                for f in ("cpr", "municipality", "dialogue_consent", "psychiatric_contact")
                if getattr(self, f) is not None
            ]
            if given:
                raise ValueError(
                    f"leave out {', '.join(given)}: a move back takes the patient, the municipality "
                    "and the dialogue consent from the pathway"
                )
        return self


class TransitionCreated(BaseModel):
    transition_id: str
    direction: str
    branch: str
    state: str
    pathway_id: str | None
    note: str | None = None


# -- start ---------------------------------------------------------------------


@router.post("", status_code=201, response_model=TransitionCreated)
async def start_transition(
    body: TransitionIn, staff: CurrentStaff, res: Res, idempotency_key: idempotency.Key = None
) -> TransitionCreated:
    keyed_id = idempotency.derived_id("transition")
    transition_id = keyed_id or str(uuid.uuid4())
    await idempotency.claim(res.pool)  # the same key with another body: 422
    if not (keyed_id and await rm.transition(res.pool, transition_id)):
        start = await (_to_integrated if body.direction == "to_integrated" else _to_coordinated)(
            res, staff, body, transition_id
        )
        summary = (
            f"Transition {start.direction.replace('_', ' ')} ({start.branch}), region {start.region}, "
            f"municipality {start.municipality}"
        )
        await commands.start(res, wf.TransitionWorkflow.run, start, "transition", transition_id, start.region, summary)
    row = await rm.transition(res.pool, transition_id)
    assert row is not None
    return _created(row, staff)


def _created(row: rm.TransitionRow, staff: Staff) -> TransitionCreated:
    note = None
    if row.branch == "no_consent":
        note = (
            "without the patient's consent to dialogue between the sectors psychiatry assesses alone and owns "
            "the talk with the patient; nothing more is shared with the municipality"
        )
    return TransitionCreated(**row.model_dump(include=set(TransitionCreated.model_fields)), note=note)


def _due_days(res, region: str) -> dict[str, int]:
    # Checked when the settings were read: a region's steps over the national ones over the defaults.
    return rules.step_due_days(res.settings.for_region(region).transition_step_due_days)


async def _to_integrated(res, staff: Staff, body: TransitionIn, transition_id: str) -> messages.TransitionInput:
    assert body.municipality and body.cpr and body.dialogue_consent
    region = municipalities.region_for(body.municipality)
    if staff.role == Role.municipality:
        if staff.org_code != body.municipality:
            raise ApiError(
                403,
                "forbidden",
                f"municipality {staff.org_code} may report only its own citizens; "
                f"the patient's municipality is {body.municipality}",
            )
        side: Party = "municipality"
    elif staff.role in REGION_ROLES:
        if staff.org_code != region:
            raise ApiError(
                403,
                "forbidden",
                f"municipality {body.municipality} is served by region {region}: its staff start the transition",
            )
        side = "region"
    else:
        raise ApiError(
            403,
            "forbidden",
            f"role {staff.role.value} may not start a transition",
            allowed=[Role.municipality.value, Role.clinician.value, Role.visitation.value],
        )
    if body.reported_by is not None and body.reported_by != side:
        raise ApiError(403, "forbidden", f"you report for the {side}: reported_by must be '{side}'")
    # The patient is looked up (or registered) by CPR number: written to the access log first.
    await access.record(res.pool, staff, pathway_id=None, object_kind="transition", object_id=transition_id)
    patient_id = await queries.register_patient(res.pool, body.cpr)
    if open_pathway := await queries.active_pathway_for(res.pool, patient_id):
        pathway = await queries.pathway(res.pool, open_pathway)
        seen = pathway is not None and await access.may_see(
            res.pool, staff, pathway_id=open_pathway, region=pathway.region
        )
        raise ApiError(
            409,
            "refused",
            f"the patient is in integrated treatment already (pathway {open_pathway}): "
            "a move back is direction to_coordinated"
            if seen
            else CANNOT_START,
        )
    await _refuse_second(res, staff, patient_id)
    group = triage.transition_target_group(body.psychiatric_contact)
    return messages.TransitionInput(
        transition_id=transition_id,
        direction="to_integrated",
        branch=rules.branch_for(body.dialogue_consent),
        patient_id=patient_id,
        region=region,
        municipality=body.municipality,
        reported_by=side,
        signs=body.signs,
        description=body.description,
        dialogue_consent=body.dialogue_consent,
        group=group,
        opens_on=_opens_on(res, region, group),
        catalogue_version=res.settings.for_region(region).catalogue_version,
        reported_on=copenhagen.today(),
        due_days=_due_days(res, region),
        actor=commands.actor(staff),
    )


def _opens_on(res, region: str, group: int | None) -> date | None:
    """When the pathway's target group opens in the region, if it is not open today (phase-in): a transition
    completed before then is held until that day, as a referral is. A group not known is not held."""
    if group is None:
        return None
    phase_in = res.settings.phase_in_for(region)
    return None if phase_in.is_open(group, copenhagen.today()) else phase_in.opens_on(group)


async def _to_coordinated(res, staff: Staff, body: TransitionIn, transition_id: str) -> messages.TransitionInput:
    assert body.pathway_id
    pathway = await visible_pathway(res, staff, body.pathway_id)
    if staff.role != Role.clinician:
        raise ApiError(
            403,
            "forbidden",
            "a move back to coordinated treatment is proposed by psychiatry's clinicians",
            allowed=[Role.clinician.value],
        )
    if pathway.status != "active":
        raise ApiError(409, "refused", "the pathway has ended: there is nothing to move back from")
    patient_id = await rm.pathway_patient(res.pool, body.pathway_id)
    assert patient_id is not None
    await _refuse_second(res, staff, patient_id)
    consent = await rm.dialogue_consent(res.pool, body.pathway_id, pathway.municipality)
    return messages.TransitionInput(
        transition_id=transition_id,
        direction="to_coordinated",
        branch=rules.branch_for(consent),
        patient_id=patient_id,
        pathway_id=body.pathway_id,
        region=pathway.region,
        pathway_workflow_id=await workflow_ids.resolve(
            res.temporal, workflow_ids.pathway(body.pathway_id, pathway.region)
        ),
        municipality=pathway.municipality,
        reported_by="region",
        signs=body.signs,
        description=body.reason,
        dialogue_consent=consent,
        group=pathway.group,
        catalogue_version=pathway.catalogue_version,
        reported_on=copenhagen.today(),
        due_days=_due_days(res, pathway.region),
        actor=commands.actor(staff),
    )


async def _refuse_second(res, staff: Staff, patient_id: str) -> None:
    if open_ := await rm.open_transition_for(res.pool, patient_id=patient_id):
        row = await rm.transition(res.pool, open_)
        seen = row is not None and await may_see(res, staff, row)
        raise ApiError(
            409,
            "refused",
            f"a transition for this patient is under way already ({open_}): one at a time" if seen else CANNOT_START,
        )


# Who may not see the patient's pathway or transition learns that the report cannot start here,
# not why, nor which one, nor where: that is the least a reporter must be told (docs/security.md).
CANNOT_START = "a transition cannot start for this patient now; contact the region's visitation"
