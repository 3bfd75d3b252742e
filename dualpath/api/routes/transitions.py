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

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res
from dualpath.api.disclosure import REGION_ROLES
from dualpath.api.errors import ApiError
from dualpath.api.routes.meetings import check_relatives
from dualpath.api.routes.pathways import HistoryEntry, history
from dualpath.domain import copenhagen
from dualpath.domain import transition as rules
from dualpath.domain import transition_records as records
from dualpath.domain.meetings import Participant
from dualpath.domain.tasks import Outcome as TaskOutcome
from dualpath.domain.transition import Direction, TransitionRefused
from dualpath.domain.validation import Id, Input
from dualpath.readmodels import queries
from dualpath.readmodels import transitions as rm
from dualpath.workflows import transition as wf
from dualpath.workflows import transition_messages as messages
from dualpath.workflows.kit import CompleteTaskCommand

router = disclosure.Router(prefix="/transitions", tags=["transitions"])

TransitionId = Annotated[Id, Path(description="The transition's id")]


class TransitionSummary(rm.TransitionRow):
    allowed: list[str] = Field(description="The steps the transition takes now")
    patient_may_be_involved: bool = Field(description="False until the parties agree (seed 002, principle 3)")


class TransitionOut(TransitionSummary):
    tasks: list[queries.TaskRow]
    history: list[HistoryEntry]


def _situation(row: rm.TransitionRow) -> rules.Situation:
    recommends = (row.assessment or {}).get("recommends_transition")
    # The read model keeps plain text; the rules' own model checks it is one of theirs.
    return rules.Situation.model_validate(
        dict(
            direction=row.direction,
            branch=row.branch,
            state=row.state,
            settled=row.settled,
            recommends_transition=recommends,
        )
    )


def _summary(row: rm.TransitionRow) -> dict[str, Any]:
    s = _situation(row)
    return dict(
        **row.model_dump(), allowed=rules.allowed_commands(s), patient_may_be_involved=rules.patient_may_be_involved(s)
    )


async def may_see(res, staff: Staff, row: rm.TransitionRow) -> bool:
    """The visibility rule of a transition (the module's docstring says it in words)."""
    if staff.role in REGION_ROLES:
        return staff.org_code == row.region
    if staff.role == Role.municipality:
        # Without consent to dialogue nothing is shared with the municipality, not even that it exists.
        if row.branch != "dialogue" or staff.org_code != row.municipality:
            return False
        # A move back rests on the pathway's recorded consent: withdrawn, access ends at once.
        return row.direction == "to_integrated" or await access.may_see(
            res.pool, staff, pathway_id=row.pathway_id, region=row.region
        )
    return staff.role == Role.ops


async def _visible(res, staff: Staff, transition_id: str) -> rm.TransitionRow:
    """The transition if the caller may see it (else 404), with the look written to the access log."""
    row = await rm.transition(res.pool, transition_id)
    visible = row is not None and await may_see(res, staff, row)
    return await access.seen(res.pool, staff, "transition", transition_id, row, visible)


async def _answer(res, seen: rm.TransitionRow) -> TransitionOut:
    """The transition as it stands now, for a caller who has been allowed to see it (`seen`)."""
    row = await rm.transition(res.pool, seen.transition_id) or seen
    # What each role reads of it is the disclosure policy's (api/disclosure.py), applied to the answer.
    return TransitionOut(
        **_summary(row),
        tasks=await rm.tasks(res.pool, row.transition_id),
        history=await history(res, workflow_ids.transition_stream(row.transition_id)),
    )


# -- read ----------------------------------------------------------------------


@router.get("", response_model=list[TransitionSummary])
async def list_transitions(
    staff: CurrentStaff,
    res: Res,
    state: rules.State | None = None,
    direction: Direction | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[TransitionSummary]:
    await access.record_list(res.pool, staff)
    region, municipality = access.list_limits(staff)
    rows = await rm.transitions(
        res.pool, region=region, municipality=municipality, state=state, direction=direction, limit=limit, offset=offset
    )
    return [TransitionSummary(**_summary(r)) for r in rows]


@router.get("/{transition_id}", response_model=TransitionOut)
async def get_transition(transition_id: TransitionId, staff: CurrentStaff, res: Res) -> TransitionOut:
    return await _answer(res, await _visible(res, staff, transition_id))


# -- steps ---------------------------------------------------------------------


async def _step(
    res, staff: Staff, transition_id: str, update_fn: Any, cmd: Any, seen: rm.TransitionRow | None = None
) -> TransitionOut:
    command: rules.Command = update_fn.__name__  # each update is named for the step it takes
    row = seen or await _visible(res, staff, transition_id)
    if staff.role == Role.ops or (command in rules.REGION_ONLY and staff.role not in REGION_ROLES):
        allowed = (
            [r.value for r in REGION_ROLES]
            if command in rules.REGION_ONLY
            else [*(r.value for r in REGION_ROLES), Role.municipality.value]
        )
        raise ApiError(
            403,
            "forbidden",
            f"{command.replace('_', ' ')} is {'psychiatry' if command in rules.REGION_ONLY else 'the parties'}' step",
            allowed=allowed,
        )
    if row.state == "completed":
        # Its process has finished; answer as the workflow's validator would.
        try:
            rules.check_command(_situation(row), command)
        except TransitionRefused as exc:
            raise ApiError(409, "refused", str(exc), allowed=exc.allowed) from None
    if command in ("call_network_meeting", "record_network_meeting") and row.pathway_id:
        # Relatives named at the network meeting (relative:<id>) only with the patient's consent to involving them,
        # where the transition has a pathway whose relatives they are (a move into integrated care has none yet:
        # its `relatives_invited` stands as it was).
        await check_relatives(res, row.pathway_id, [*getattr(cmd, "participants", []), *getattr(cmd, "attendees", [])])
    result = await commands.run(res, workflow_ids.transition(transition_id, row.region), update_fn, cmd)
    if result.transition.closure == "started" and result.transition.pathway_id:
        pathway_id = result.transition.pathway_id
        await commands.until_recorded(res, workflow_ids.pathway_stream(pathway_id), "pathway", pathway_id)
    return await _answer(res, row)


@dataclass(frozen=True)
class _Step:
    """A step whose body is the domain's own model, sent on as the workflow's command (the same fields and
    the actor)."""

    path: str
    update_fn: Any
    body: type[BaseModel]
    command: type[BaseModel]
    doc: str | None = None
    status_code: int = 200


def _route(step: _Step) -> None:
    async def take_step(transition_id, body, staff, res):  # annotated below, from the step
        return await _step(res, staff, transition_id, step.update_fn, commands.make(step.command, staff, body))

    take_step.__annotations__ = {
        "transition_id": TransitionId,
        "body": step.body,
        "staff": CurrentStaff,
        "res": Res,
        "return": TransitionOut,
    }
    take_step.__name__ = take_step.__qualname__ = step.update_fn.__name__
    take_step.__doc__ = step.doc
    router.post(step.path, status_code=step.status_code, response_model=TransitionOut)(take_step)


for _s in (
    _Step(
        "/{transition_id}/assessment",
        wf.TransitionWorkflow.assess,
        records.Assessment,
        messages.AssessCommand,
        "The region's immediate assessment (visitation right) and its answer to the municipality.",
    ),
    _Step(
        "/{transition_id}/agreement",
        wf.TransitionWorkflow.record_agreement,
        records.Agreement,
        messages.AgreementCommand,
    ),
    _Step(
        "/{transition_id}/disagreement",
        wf.TransitionWorkflow.record_disagreement,
        records.Disagreement,
        messages.DisagreementCommand,
    ),
    _Step(
        "/{transition_id}/collaboration-meeting",
        wf.TransitionWorkflow.record_collaboration_meeting,
        records.CollaborationMeeting,
        messages.CollaborationMeetingCommand,
        "The samarbejdsmøde, without the patient: both views heard; agree, or still disagree.",
    ),
    _Step(
        "/{transition_id}/psychiatry-decision",
        wf.TransitionWorkflow.psychiatry_decides,
        records.PsychiatryDecision,
        messages.DecisionCommand,
    ),
    _Step(
        "/{transition_id}/who-says-what",
        wf.TransitionWorkflow.record_who_says_what,
        records.WhoSaysWhat,
        messages.WhoSaysWhatCommand,
    ),
    _Step(
        "/{transition_id}/network-meeting/held",
        wf.TransitionWorkflow.record_network_meeting,
        records.NetworkMeetingHeld,
        messages.NetworkMeetingCommand,
        "The network meeting decided the concrete transition; the joint plan made or revised.",
    ),
    _Step(
        "/{transition_id}/patient-talk",
        wf.TransitionWorkflow.record_patient_talk,
        records.PatientTalk,
        messages.PatientTalkCommand,
        "Psychiatry's talk with the patient, including the motivational work.",
    ),
    _Step(
        "/{transition_id}/tasks",
        wf.TransitionWorkflow.add_task,
        records.NewTask,
        messages.AddTaskCommand,
        "A further task on the transition: none addressed to the patient before agreement, none for the "
        "municipality without consent.",
        status_code=201,
    ),
):
    _route(_s)


class CallIn(Input):
    called_on: date | None = Field(default=None, description="Defaults to today (Copenhagen)")
    participants: list[Participant] = Field(min_length=1)
    relatives_invited: bool = False


@router.post("/{transition_id}/network-meeting", response_model=TransitionOut)
async def call_network_meeting(transition_id: TransitionId, body: CallIn, staff: CurrentStaff, res: Res):
    """Call the netværksmøde with the patient: refused before the parties agree."""
    cmd = commands.make(messages.CallNetworkMeetingCommand, staff, body, called_on=body.called_on or copenhagen.today())
    return await _step(res, staff, transition_id, wf.TransitionWorkflow.call_network_meeting, cmd)


@router.post("/{transition_id}/complete", response_model=TransitionOut)
async def complete(transition_id: TransitionId, staff: CurrentStaff, res: Res, body: records.Completion | None = None):
    """Carry out the decision: to integrated, the ambulatory pathway starts; back to coordinated, the integrated
    pathway is to close with its bridging plan (the transition completes when it has ended)."""
    cmd = commands.make(messages.CompleteCommand, staff, body or records.Completion())
    return await _step(res, staff, transition_id, wf.TransitionWorkflow.complete, cmd)


class CompleteTaskIn(Input):
    outcome: TaskOutcome
    note: str | None = Field(default=None, max_length=4000, description="Required for not_possible: why")


@router.post("/{transition_id}/tasks/{task_id}/complete", response_model=TransitionOut)
async def complete_task(
    transition_id: TransitionId, task_id: Annotated[Id, Path()], body: CompleteTaskIn, staff: CurrentStaff, res: Res
):
    row = await _visible(res, staff, transition_id)
    if staff.role == Role.municipality:
        task = await queries.task(res.pool, task_id)
        if task is not None and task.referral_id == transition_id and task.owner_org != staff.org:
            raise ApiError(403, "forbidden", f"the task belongs to {task.owner_org}")
    cmd = commands.make(CompleteTaskCommand, staff, body, task_id=task_id)
    return await _step(res, staff, transition_id, wf.TransitionWorkflow.complete_task, cmd, row)
