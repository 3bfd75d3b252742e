"""Cross-sector transitions (overgange) between coordinated and integrated treatment (spec §5, seed 002).

Who may do what:
- start `to_integrated`: municipality staff of the patient's municipality, or region
  staff (clinician, visitation) of the region serving it; `to_coordinated` (psychiatry
  proposes a move back from an integrated pathway): clinicians of the pathway's region.
- read: region staff their region's, in full; municipality staff their municipality's,
  only with the patient's consent to dialogue between the sectors (otherwise 404: nothing
  is shared; on a move back, only while the pathway's consent is given), and then what the
  parties share: not psychiatry's internal assessment, its talks with the patient, notes,
  or event data; ops every transition's process state, no clinical content. Every look
  and change is written to the access log first (api/access.py).
- steps: psychiatry's own (assess, psychiatry's decision, the talk with the patient,
  completion) by region staff; the shared ones (agreement, disagreement, collaboration
  meeting, who says what, the network meeting, tasks) by either side.
The workflow refuses an illegal step with 409 and the steps allowed.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, Field, field_validator, model_validator
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.errors import ApiError
from dualpath.api.routes.pathways import HistoryEntry, visible_pathway
from dualpath.domain import copenhagen, cpr, municipalities
from dualpath.domain import transition as rules
from dualpath.domain.catalogue import CURRENT_VERSION
from dualpath.domain.meetings import Participant
from dualpath.domain.referral_rules import PsychiatricContact
from dualpath.domain.tasks import Outcome as TaskOutcome
from dualpath.domain.transition import DialogueConsent, Direction, Party, Sign, TransitionRefused
from dualpath.domain.validation import Id, Input
from dualpath.readmodels import queries
from dualpath.readmodels import transitions as rm
from dualpath.workflows import transition as wf

router = disclosure.Router(prefix="/transitions", tags=["transitions"])

TransitionId = Annotated[Id, Path(description="The transition's id")]
REGION_ROLES = (Role.clinician, Role.visitation)


class TransitionIn(Input):
    direction: Direction
    # to_integrated: a patient in coordinated treatment, identified like a referral.
    cpr: str | None = Field(default=None, description="to_integrated: the patient's CPR number, 10 digits")
    municipality: str | None = Field(default=None, description="to_integrated: the three-digit municipality code")
    reported_by: Party | None = Field(default=None, description="Defaults to the caller's side; must match it")
    signs: list[Sign] = Field(default=[], description="to_integrated: the signs of worsening seen")
    description: str | None = Field(default=None, max_length=4000, description="What was seen; needed with 'other'")
    dialogue_consent: DialogueConsent | None = Field(default=None, description=(
        "to_integrated: the patient's consent to dialogue between municipality and region; "
        "refused or not asked takes the no-consent branch"))
    psychiatric_contact: PsychiatricContact | None = Field(default=None, description=(
        "to_integrated, optional: derives the target group of the pathway that may start"))
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
    def _shape(self) -> "TransitionIn":
        if self.direction == "to_integrated":
            missing = [f for f in ("cpr", "municipality", "dialogue_consent") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a transition to integrated treatment needs {', '.join(missing)}")
            if self.pathway_id is not None:
                raise ValueError("a patient in coordinated treatment has no pathway yet: leave out pathway_id")
            if not self.signs:
                raise ValueError("name the signs of worsening seen (missed_attendance, no_progress_towards_goal, "
                                 "crisis, other)")
            if "other" in self.signs and not (self.description and self.description.strip()):
                raise ValueError("sign 'other' needs a description of what was seen")
        else:
            if self.pathway_id is None or not (self.reason and self.reason.strip()):
                raise ValueError("a move back to coordinated treatment needs pathway_id and reason")
            given = [f for f in ("cpr", "municipality", "dialogue_consent", "psychiatric_contact")
                     if getattr(self, f) is not None]
            if given:
                raise ValueError(f"leave out {', '.join(given)}: a move back takes the patient, the municipality "
                                 "and the dialogue consent from the pathway")
        return self


class TransitionCreated(BaseModel):
    transition_id: str
    direction: str
    branch: str
    state: str
    pathway_id: str | None
    note: str | None = None


class TransitionSummary(rm.TransitionRow):
    allowed: list[str] = Field(description="The steps the transition takes now")
    patient_may_be_involved: bool = Field(description="False until the parties agree (seed 002, principle 3)")


class TransitionOut(TransitionSummary):
    tasks: list[queries.TaskRow]
    history: list[HistoryEntry]


def _situation(row: rm.TransitionRow) -> rules.Situation:
    recommends = (row.assessment or {}).get("recommends_transition")
    return rules.Situation(direction=row.direction, branch=row.branch, state=row.state, settled=row.settled,
                           recommends_transition=recommends)


def _summary(row: rm.TransitionRow) -> dict[str, Any]:
    s = _situation(row)
    return dict(**row.model_dump(), allowed=rules.allowed_commands(s),
                patient_may_be_involved=rules.patient_may_be_involved(s))


async def _may_see(res, staff: Staff, row: rm.TransitionRow) -> bool:
    if staff.role in REGION_ROLES:
        return staff.org_code == row.region
    if staff.role == Role.municipality:
        # Without consent to dialogue nothing is shared with the municipality, not even that it exists.
        if row.branch != "dialogue" or staff.org_code != row.municipality:
            return False
        # A move back rests on the pathway's recorded consent: withdrawn, access ends at once.
        return row.direction == "to_integrated" or await access.may_see(
            res.pool, staff, pathway_id=row.pathway_id, region=row.region)
    return staff.role == Role.ops


async def _visible(res, staff: Staff, transition_id: str) -> rm.TransitionRow:
    """The transition if the caller may see it (else 404), with the look written to the access log."""
    row = await rm.transition(res.pool, transition_id)
    visible = row is not None and await _may_see(res, staff, row)
    await access.look(res.pool, staff, kind="transition", object_id=transition_id, visible=visible,
                      pathway_id=row.pathway_id if row is not None else None)
    assert row is not None
    return row


async def _out(res, staff: Staff, transition_id: str) -> TransitionOut:
    row = await _visible(res, staff, transition_id)
    events = await res.store.read_stream(wf.stream_id(transition_id))
    # What each role reads of it is the disclosure policy's (api/disclosure.py), applied to the answer.
    return TransitionOut(
        **_summary(row),
        tasks=await rm.tasks(res.pool, transition_id),
        history=[HistoryEntry(version=e.version, type=e.type, at=e.recorded_at, by=e.metadata.get("actor"),
                              data=e.data) for e in events],
    )


# -- start ---------------------------------------------------------------------

@router.post("", status_code=201, response_model=TransitionCreated)
async def start_transition(
    body: TransitionIn,
    staff: CurrentStaff,
    res: Res,
    idempotency_key: Annotated[str | None, Header(max_length=200, description=(
        "Send the same key again (a retry after a timeout) to get the first answer; nothing is started twice"
    ))] = None,
) -> TransitionCreated:
    keyed_id = idempotency.derived_id("transition")
    transition_id = keyed_id or str(uuid.uuid4())
    await idempotency.claim(res.pool)  # the same key with another body: 422
    if keyed_id and (row := await rm.transition(res.pool, transition_id)):
        return _created(row, staff)
    if body.direction == "to_integrated":
        start = await _to_integrated(res, staff, body, transition_id)
    else:
        start = await _to_coordinated(res, staff, body, transition_id)
    try:
        await res.temporal.start_workflow(
            wf.TransitionWorkflow.run, start, id=wf.workflow_id(transition_id, start.region),
            task_queue=res.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Transition {start.direction.replace('_', ' ')} ({start.branch}), "
                           f"region {start.region}, municipality {start.municipality}",
        )
    except WorkflowAlreadyStartedError:
        pass  # the same key raced itself: answer what the first one recorded
    if not await queries.wait_for_row(res.pool, "rm_transitions", "transition_id", transition_id):
        raise ApiError(503, "not_ready", f"transition {transition_id} was started but is not listed yet; "
                                         "read it in a moment")
    row = await rm.transition(res.pool, transition_id)
    assert row is not None
    return _created(row, staff)


def _created(row: rm.TransitionRow, staff: Staff) -> TransitionCreated:
    note = None
    if row.branch == "no_consent":
        note = ("without the patient's consent to dialogue between the sectors psychiatry assesses alone and owns "
                "the talk with the patient; nothing more is shared with the municipality")
    return TransitionCreated(transition_id=row.transition_id, direction=row.direction, branch=row.branch,
                             state=row.state, pathway_id=row.pathway_id, note=note)


def _due_days(res) -> dict[str, int]:
    try:
        return rules.step_due_days(res.settings.transition_step_due_days)
    except ValueError as exc:
        raise ApiError(503, "misconfigured", f"DUALPATH_TRANSITION_STEP_DUE_DAYS: {exc}") from None


async def _to_integrated(res, staff: Staff, body: TransitionIn, transition_id: str) -> wf.TransitionInput:
    assert body.municipality and body.cpr and body.dialogue_consent
    region = municipalities.region_for(body.municipality)
    if staff.role == Role.municipality:
        if staff.org_code != body.municipality:
            raise ApiError(403, "forbidden", f"municipality {staff.org_code} may report only its own citizens; "
                                             f"the patient's municipality is {body.municipality}")
        side: Party = "municipality"
    elif staff.role in REGION_ROLES:
        if staff.org_code != region:
            raise ApiError(403, "forbidden", f"municipality {body.municipality} is served by region {region}: "
                                             "its staff start the transition")
        side = "region"
    else:
        raise ApiError(403, "forbidden", f"role {staff.role.value} may not start a transition",
                       allowed=[Role.municipality.value, Role.clinician.value, Role.visitation.value])
    if body.reported_by is not None and body.reported_by != side:
        raise ApiError(403, "forbidden", f"you report for the {side}: reported_by must be '{side}'")
    # The patient is looked up (or registered) by CPR number: written to the access log first.
    await access.record(res.pool, staff, pathway_id=None, object_kind="transition", object_id=transition_id)
    patient_id = await queries.register_patient(res.pool, body.cpr)
    if open_pathway := await queries.active_pathway_for(res.pool, patient_id):
        pathway = await queries.pathway(res.pool, open_pathway)
        seen = pathway is not None and await access.may_see(res.pool, staff, pathway_id=open_pathway,
                                                            region=pathway.region)
        raise ApiError(409, "refused", f"the patient is in integrated treatment already (pathway {open_pathway}): "
                                       "a move back is direction to_coordinated" if seen else CANNOT_START)
    await _refuse_second(res, staff, patient_id)
    return wf.TransitionInput(
        transition_id=transition_id, direction="to_integrated", branch=rules.branch_for(body.dialogue_consent),
        patient_id=patient_id, region=region, municipality=body.municipality, reported_by=side,
        signs=body.signs, description=body.description, dialogue_consent=body.dialogue_consent,
        group=rules.target_group(body.psychiatric_contact), catalogue_version=CURRENT_VERSION,
        reported_on=copenhagen.today(), due_days=_due_days(res), actor=commands.actor(staff),
    )


async def _to_coordinated(res, staff: Staff, body: TransitionIn, transition_id: str) -> wf.TransitionInput:
    assert body.pathway_id
    pathway = await visible_pathway(res, staff, body.pathway_id)
    if staff.role != Role.clinician:
        raise ApiError(403, "forbidden", "a move back to coordinated treatment is proposed by psychiatry's "
                                         "clinicians", allowed=[Role.clinician.value])
    if pathway.status != "active":
        raise ApiError(409, "refused", "the pathway has ended: there is nothing to move back from")
    patient_id = await rm.pathway_patient(res.pool, body.pathway_id)
    assert patient_id is not None
    await _refuse_second(res, staff, patient_id)
    consent = await rm.dialogue_consent(res.pool, body.pathway_id, pathway.municipality)
    return wf.TransitionInput(
        transition_id=transition_id, direction="to_coordinated", branch=rules.branch_for(consent),
        patient_id=patient_id, pathway_id=body.pathway_id, region=pathway.region,
        pathway_workflow_id=await workflow_ids.resolve(res.temporal, workflow_ids.pathway(body.pathway_id, pathway.region)),
        municipality=pathway.municipality, reported_by="region", signs=body.signs, description=body.reason,
        dialogue_consent=consent, group=pathway.group, catalogue_version=pathway.catalogue_version,
        reported_on=copenhagen.today(), due_days=_due_days(res), actor=commands.actor(staff),
    )


async def _refuse_second(res, staff: Staff, patient_id: str) -> None:
    if open_ := await rm.open_transition_for(res.pool, patient_id=patient_id):
        row = await rm.transition(res.pool, open_)
        seen = row is not None and await _may_see(res, staff, row)
        raise ApiError(409, "refused", f"a transition for this patient is under way already ({open_}): one at a time"
                       if seen else CANNOT_START)


# Who may not see the patient's pathway or transition learns that the report cannot start here,
# not why, nor which one, nor where: that is the least a reporter must be told (docs/security.md).
CANNOT_START = "a transition cannot start for this patient now; contact the region's visitation"



# -- read ----------------------------------------------------------------------

@router.get("", response_model=list[TransitionSummary])
async def list_transitions(
    staff: CurrentStaff,
    res: Res,
    state: rules.State | None = None,
    direction: Direction | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TransitionSummary]:
    await access.record_list(res.pool, staff)
    region = staff.org_code if staff.role in REGION_ROLES else None
    municipality = staff.org_code if staff.role == Role.municipality else None
    rows = await rm.transitions(res.pool, region=region, municipality=municipality, state=state,
                                direction=direction, limit=limit, offset=offset)
    return [TransitionSummary(**_summary(r)) for r in rows]


@router.get("/{transition_id}", response_model=TransitionOut)
async def get_transition(transition_id: TransitionId, staff: CurrentStaff, res: Res) -> TransitionOut:
    return await _out(res, staff, transition_id)


# -- steps ---------------------------------------------------------------------

async def _step(res, staff: Staff, transition_id: str, command: rules.Command, update_fn, cmd) -> TransitionOut:
    row = await _visible(res, staff, transition_id)
    if staff.role == Role.ops or (command in rules.REGION_ONLY and staff.role not in REGION_ROLES):
        allowed = [r.value for r in REGION_ROLES] if command in rules.REGION_ONLY else \
            [*(r.value for r in REGION_ROLES), Role.municipality.value]
        raise ApiError(403, "forbidden", f"{command.replace('_', ' ')} is "
                       f"{'psychiatry' if command in rules.REGION_ONLY else 'the parties'}' step", allowed=allowed)
    if row.state == "completed":
        # Its process has finished; answer as the workflow's validator would.
        try:
            rules.check_command(_situation(row), command)
        except TransitionRefused as exc:
            raise ApiError(409, "refused", str(exc), allowed=exc.allowed) from None
    result = await commands.update(res, await workflow_ids.handle(res.temporal, wf.workflow_id(transition_id, row.region)),
                                   update_fn, cmd)
    if result.transition.closure == "started" and result.transition.pathway_id:
        await commands.until_listed(res, "rm_pathways", "pathway_id", result.transition.pathway_id, "pathway")
    return await _out(res, staff, transition_id)


def _actor(staff: Staff):
    return commands.actor(staff)


@router.post("/{transition_id}/assessment", response_model=TransitionOut)
async def assess(transition_id: TransitionId, body: rules.Assessment, staff: CurrentStaff, res: Res):
    """The region's immediate assessment (visitation right) and its answer to the municipality."""
    return await _step(res, staff, transition_id, "assess", wf.TransitionWorkflow.assess,
                       wf.AssessCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/agreement", response_model=TransitionOut)
async def record_agreement(transition_id: TransitionId, body: rules.Agreement, staff: CurrentStaff, res: Res):
    return await _step(res, staff, transition_id, "record_agreement", wf.TransitionWorkflow.record_agreement,
                       wf.AgreementCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/disagreement", response_model=TransitionOut)
async def record_disagreement(transition_id: TransitionId, body: rules.Disagreement, staff: CurrentStaff, res: Res):
    return await _step(res, staff, transition_id, "record_disagreement", wf.TransitionWorkflow.record_disagreement,
                       wf.DisagreementCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/collaboration-meeting", response_model=TransitionOut)
async def record_collaboration_meeting(
    transition_id: TransitionId, body: rules.CollaborationMeeting, staff: CurrentStaff, res: Res
):
    """The samarbejdsmøde, without the patient: both views heard; agree, or still disagree."""
    return await _step(res, staff, transition_id, "record_collaboration_meeting",
                       wf.TransitionWorkflow.record_collaboration_meeting,
                       wf.CollaborationMeetingCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/psychiatry-decision", response_model=TransitionOut)
async def psychiatry_decides(
    transition_id: TransitionId, body: rules.PsychiatryDecision, staff: CurrentStaff, res: Res
):
    return await _step(res, staff, transition_id, "psychiatry_decides", wf.TransitionWorkflow.psychiatry_decides,
                       wf.DecisionCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/who-says-what", response_model=TransitionOut)
async def record_who_says_what(transition_id: TransitionId, body: rules.WhoSaysWhat, staff: CurrentStaff, res: Res):
    return await _step(res, staff, transition_id, "record_who_says_what", wf.TransitionWorkflow.record_who_says_what,
                       wf.WhoSaysWhatCommand(**body.model_dump(), actor=_actor(staff)))


class CallIn(Input):
    called_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    participants: list[Participant] = Field(min_length=1)
    relatives_invited: bool = False


@router.post("/{transition_id}/network-meeting", response_model=TransitionOut)
async def call_network_meeting(transition_id: TransitionId, body: CallIn, staff: CurrentStaff, res: Res):
    """Call the netværksmøde with the patient: refused before the parties agree."""
    return await _step(res, staff, transition_id, "call_network_meeting", wf.TransitionWorkflow.call_network_meeting,
                       wf.CallNetworkMeetingCommand(called_on=body.called_on or copenhagen.today(),
                                                    participants=body.participants,
                                                    relatives_invited=body.relatives_invited, actor=_actor(staff)))


@router.post("/{transition_id}/network-meeting/held", response_model=TransitionOut)
async def record_network_meeting(
    transition_id: TransitionId, body: rules.NetworkMeetingHeld, staff: CurrentStaff, res: Res
):
    """The network meeting decided the concrete transition; the joint plan made or revised."""
    return await _step(res, staff, transition_id, "record_network_meeting",
                       wf.TransitionWorkflow.record_network_meeting,
                       wf.NetworkMeetingCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/patient-talk", response_model=TransitionOut)
async def record_patient_talk(transition_id: TransitionId, body: rules.PatientTalk, staff: CurrentStaff, res: Res):
    """Psychiatry's talk with the patient, including the motivational work."""
    return await _step(res, staff, transition_id, "record_patient_talk", wf.TransitionWorkflow.record_patient_talk,
                       wf.PatientTalkCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/complete", response_model=TransitionOut)
async def complete(transition_id: TransitionId, staff: CurrentStaff, res: Res, body: rules.Completion | None = None):
    """Carry out the decision: to integrated, the ambulatory pathway starts; back to coordinated, the integrated
    pathway is to close with its bridging plan (the transition completes when it has ended)."""
    body = body or rules.Completion()
    return await _step(res, staff, transition_id, "complete", wf.TransitionWorkflow.complete,
                       wf.CompleteCommand(**body.model_dump(), actor=_actor(staff)))


@router.post("/{transition_id}/tasks", status_code=201, response_model=TransitionOut)
async def add_task(transition_id: TransitionId, body: rules.NewTask, staff: CurrentStaff, res: Res):
    """A further task on the transition: none addressed to the patient before agreement, none for the
    municipality without consent."""
    return await _step(res, staff, transition_id, "add_task", wf.TransitionWorkflow.add_task,
                       wf.AddTaskCommand(**body.model_dump(), actor=_actor(staff)))


class CompleteTaskIn(Input):
    outcome: TaskOutcome
    note: str | None = Field(default=None, max_length=4000, description="Required for not_possible: why")


@router.post("/{transition_id}/tasks/{task_id}/complete", response_model=TransitionOut)
async def complete_task(
    transition_id: TransitionId, task_id: Annotated[Id, Path()], body: CompleteTaskIn, staff: CurrentStaff, res: Res
):
    if staff.role == Role.municipality:
        await _visible(res, staff, transition_id)
        task = await queries.task(res.pool, task_id)
        if task is not None and task.referral_id == transition_id and task.owner_org != staff.org:
            raise ApiError(403, "forbidden", f"the task belongs to {task.owner_org}")
    return await _step(res, staff, transition_id, "complete_task", wf.TransitionWorkflow.complete_task,
                       wf.CompleteTaskCommand(task_id=task_id, outcome=body.outcome, note=body.note,
                                              actor=_actor(staff)))

