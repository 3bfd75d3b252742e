"""The cross-sector transition (overgang) between coordinated and integrated treatment, as a durable process.

Id `transition-<region>-<transition_id>` (dualpath/workflow_ids.py), the only
writer of the event stream `transition-<transition_id>`. The rules (states,
which step is legal when, the refusals) are pure, in `domain.transition`; this
module applies them, keeps the due dates, and moves the pathway when the
transition completes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from dualpath import workflow_ids
    from dualpath.contracts.activities import PathwayEndedInfo, PathwayEndedQuery
    from dualpath.domain import copenhagen
    from dualpath.domain import transition as rules
    from dualpath.domain.events import Actor, DomainEvent, TaskCancelled
    from dualpath.domain.meeting_events import JointPlanRecorded
    from dualpath.domain.tasks import Task
    from dualpath.domain.transition import Situation, State
    from dualpath.domain.transition_events import (
        CollaborationMeetingHeld,
        PatientTalkRecorded,
        PsychiatryDecided,
        TransitionAgreed,
        TransitionAssessed,
        TransitionCompleted,
        TransitionDisagreed,
        TransitionNetworkMeetingCalled,
        TransitionNetworkMeetingHeld,
        TransitionPathwayClosed,
        TransitionReleased,
        TransitionReported,
        WhoSaysWhatAgreed,
    )
    from dualpath.workflows import kit, pathway
    from dualpath.workflows.kit import CompleteTaskCommand, command
    from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL, MeetingHeldSignal
    from dualpath.workflows.transition_messages import (
        AddTaskCommand,
        AgreementCommand,
        AssessCommand,
        CallNetworkMeetingCommand,
        CollaborationMeetingCommand,
        CompleteCommand,
        DecisionCommand,
        DisagreementCommand,
        NetworkMeetingCommand,
        PatientTalkCommand,
        TransitionInput,
        TransitionResult,
        TransitionState,
        TransitionView,
        WhoSaysWhatCommand,
    )
    from dualpath.workflows.transition_steps import ACTIVITY_TIMEOUT, TransitionSteps

# Asking whether the integrated pathway has ended: soon at first (staff often end
# it right after the decision), then at most every 10 minutes, for as long as it takes.
# A transition into a target group not yet open in the region is held until it opens (issue #18 item 8).
HELD_UNTIL_PHASE_IN = "transition-held-until-phase-in"
CLOSURE_POLL = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=1.5, maximum_interval=timedelta(minutes=10)
)


# `transition-<region>-<transition_id>` (without a region, `transition-<id>`); stream `transition-<id>`.
workflow_id, stream_id = workflow_ids.transition, workflow_ids.transition_stream


@workflow.defn(name="TransitionWorkflow", failure_exception_types=[ValidationError])
class TransitionWorkflow(TransitionSteps):
    """A transition between coordinated and integrated treatment (spec §5, seed 002).

    On start: records TransitionReported and opens the first step (the region's
    assessment). Every step has an owner (a worklist task, TaskOpened with
    `referral_id` = the transition id) and a due date in working days; a step not
    taken by the end of its due date escalates: TransitionStepOverdue, TaskOverdue,
    search attribute Overdue=true.

    Updates (a validator refuses an illegal step with type CommandRefused and the
    steps allowed, writing nothing; `domain.transition` has the rules):
    - `assess(AssessCommand)`: the region's immediate assessment and its answer to
      the municipality (no answer without dialogue consent: the no-consent branch).
    - `record_agreement(AgreementCommand)` / `record_disagreement(DisagreementCommand)`: the gateway.
    - `record_collaboration_meeting(CollaborationMeetingCommand)`: samarbejdsmøde without the
      patient; agree, or still disagree.
    - `psychiatry_decides(DecisionCommand)`: after a collaboration meeting that did not agree;
      against a move to integrated treatment it states what it would take.
    - `record_who_says_what(WhoSaysWhatCommand)`: before the network meeting.
    - `call_network_meeting(CallNetworkMeetingCommand)`, `record_network_meeting(NetworkMeetingCommand)`:
      the netværksmøde with the patient decides the concrete transition; the joint plan.
      A held meeting on a move back signals `meeting_held` to the pathway's workflow,
      which closes that pathway's phase-4 network-meeting task.
    - `record_patient_talk(PatientTalkCommand)`: psychiatry's talk with the patient, with
      the motivational work (the step of the no-consent branch; a record after agreement otherwise).
    - `complete(CompleteCommand)`: to integrated: starts the ambulatory pathway as a child
      workflow that outlives this one (ABANDON), with the joint plan on it; to coordinated:
      awaits the integrated pathway's own closure (its bridging plan and end), then completes.
    - `add_task(AddTaskCommand)`, `complete_task(CompleteTaskCommand)`: further tasks; none for
      the patient before agreement, none for the municipality without consent.
    Every update answers `TransitionResult`.
    Queries: `view() -> TransitionView`.
    Activities: `append_events`, `working_day_deadline`, `pathway_ended` (polled by retry).
    """

    @workflow.init
    def __init__(self, input: TransitionInput) -> None:
        # State exists before `run` starts, so a validator that runs first can read it.
        super().__init__(stream_id(input.transition_id))
        self._in = input
        self.state = TransitionState(pathway_id=input.pathway_id)
        # self._tasks: the open tasks staff added (a step's own task is in the state).

    @workflow.run
    async def run(self, input: TransitionInput) -> TransitionView:
        async with self._lock:
            step_events, step_state = await self._step_change(rules.current_step(self._situation()))
            await self._record([kit.from_fields(TransitionReported, input), *step_events], input.actor)
            self._apply_step(step_state)
            self._ready = True
        self._publish()

        closure: workflow.ActivityHandle[PathwayEndedInfo] | None = None
        while self.state.state != "completed":
            if self.state.state == "closure_awaited" and closure is None and self.state.pathway_id:
                closure = workflow.start_activity(
                    "pathway_ended",
                    PathwayEndedQuery(pathway_id=self.state.pathway_id),
                    result_type=PathwayEndedInfo,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=CLOSURE_POLL,
                )
            await self._wait_for_change_or_step_due(closure.done if closure is not None else lambda: False)
            if closure is not None and closure.done():
                await self._pathway_closed(closure.result())
        if self.state.closure == "held":
            await self._release_when_open()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    @workflow.query
    def view(self) -> TransitionView:
        return self._view()

    # -- the assessment and the gateway ----------------------------------------

    @command(lambda self, cmd: self._check(lambda s: rules.check_assessment(s, cmd)))
    async def assess(self, cmd: AssessCommand) -> TransitionResult:
        dialogue = self._in.branch == "dialogue"
        return await self._advance(
            # Without the dialogue consent the region answers the municipality nothing.
            [self._event(TransitionAssessed, cmd, **({} if dialogue else {"answer_to_municipality": None}))],
            cmd.actor,
            state="assessed" if dialogue else "assessed_alone",
            recommends=cmd.recommends_transition,
        )

    @command(lambda self, cmd: self._check(lambda s: rules.check_agreement(s, cmd)))
    async def record_agreement(self, cmd: AgreementCommand) -> TransitionResult:
        return await self._advance(
            [self._event(TransitionAgreed, cmd, via="assessment")], cmd.actor, state="agreed", settled=cmd.on
        )

    @command(lambda self, cmd: self._check(lambda s: rules.check_disagreement(s, cmd)))
    async def record_disagreement(self, cmd: DisagreementCommand) -> TransitionResult:
        return await self._advance([self._event(TransitionDisagreed, cmd)], cmd.actor, state="disagreed")

    @command(lambda self, cmd: self._check(self._collaboration_rule(cmd)))
    async def record_collaboration_meeting(self, cmd: CollaborationMeetingCommand) -> TransitionResult:
        events: list[DomainEvent] = [self._event(CollaborationMeetingHeld, cmd)]
        if cmd.outcome == "agree":
            events.append(
                TransitionAgreed(
                    transition_id=self._in.transition_id, on=cmd.agreed_on, via="collaboration_meeting", note=None
                )
            )
            return await self._advance(events, cmd.actor, state="agreed", settled=cmd.agreed_on)
        return await self._advance(events, cmd.actor, state="collaboration_meeting_held")

    def _collaboration_rule(self, cmd: CollaborationMeetingCommand) -> Callable[[Situation], None]:
        return lambda s: rules.check_collaboration_meeting(
            s, cmd, today=self._today(), reported_on=self._in.reported_on
        )

    @command(lambda self, cmd: self._check(lambda s: rules.check_decision(s, cmd)))
    async def psychiatry_decides(self, cmd: DecisionCommand) -> TransitionResult:
        return await self._advance(
            [self._event(PsychiatryDecided, cmd)], cmd.actor, state="psychiatry_decided", settled=cmd.decision
        )

    # -- towards the patient ---------------------------------------------------

    @command(lambda self, cmd: self._check(lambda s: rules.check_who_says_what(s, cmd)))
    async def record_who_says_what(self, cmd: WhoSaysWhatCommand) -> TransitionResult:
        # Recorded again before the meeting is called: the parties revised it.
        return await self._advance([self._event(WhoSaysWhatAgreed, cmd)], cmd.actor, state="who_says_what_agreed")

    @command(lambda self, cmd: self._check(lambda s: rules.check_call(s, cmd, today=self._today())))
    async def call_network_meeting(self, cmd: CallNetworkMeetingCommand) -> TransitionResult:
        result = await self._advance(
            [self._event(TransitionNetworkMeetingCalled, cmd)], cmd.actor, state="network_meeting_called"
        )
        self.state.called_on = cmd.called_on  # after the record: a refused call changes nothing
        return result

    @command(lambda self, cmd: self._check(self._network_meeting_rule(cmd)))
    async def record_network_meeting(self, cmd: NetworkMeetingCommand) -> TransitionResult:
        plan = cmd.joint_plan.model_dump(mode="json") if cmd.joint_plan else None
        events: list[DomainEvent] = [self._event(TransitionNetworkMeetingHeld, cmd, joint_plan=plan)]
        if cmd.joint_plan is not None and self.state.pathway_id:
            # A move back: the plan is revised on the pathway it belongs to (versioned per kind there).
            events.append(self._joint_plan_event(self.state.pathway_id, cmd.joint_plan.model_dump(mode="json")))
        result = await self._advance(events, cmd.actor, state="network_meeting_held")
        self.state.patient_agrees, self.state.joint_plan = cmd.patient_agrees, plan
        if self.state.pathway_id and cmd.patient_agrees:
            await self._tell_pathway(cmd.held_on)
        return result

    def _network_meeting_rule(self, cmd: NetworkMeetingCommand) -> Callable[[Situation], None]:
        return lambda s: rules.check_network_meeting(s, cmd, today=self._today(), called_on=self.state.called_on)

    @command(lambda self, cmd: self._check(self._talk_rule(cmd)))
    async def record_patient_talk(self, cmd: PatientTalkCommand) -> TransitionResult:
        events = [self._event(PatientTalkRecorded, cmd)]
        if self._in.branch == "no_consent":
            result = await self._advance(events, cmd.actor, state="patient_talk_held")
            self.state.patient_agrees = cmd.patient_agrees
            return result
        # With consent, the talk is the parties' shared motivational work after agreement: on the record,
        # the network meeting still decides.
        return await self._advance(events, cmd.actor, state=self.state.state)

    def _talk_rule(self, cmd: PatientTalkCommand) -> Callable[[Situation], None]:
        return lambda s: rules.check_patient_talk(s, cmd, today=self._today(), reported_on=self._in.reported_on)

    # -- completion --------------------------------------------------------------

    @command(lambda self, cmd: self._check(rules.check_complete))
    async def complete(self, cmd: CompleteCommand) -> TransitionResult:
        outcome = rules.outcome_at_completion(self._situation(), patient_agrees=self.state.patient_agrees)
        events: list[DomainEvent] = []
        pathway_id, closure = self.state.pathway_id, None
        state: State = "completed"
        held_until = self._held_until() if outcome == "transition" else None
        if held_until is not None:
            closure = "held"
        elif outcome == "transition" and self._in.direction == "to_integrated":
            pathway_id, closure = str(workflow.uuid4()), "started"
            await self._start_pathway(pathway_id, cmd.actor)
        elif outcome == "transition":
            closure, state = "awaited", "closure_awaited"
        events.append(
            TransitionCompleted(
                transition_id=self._in.transition_id,
                outcome=outcome,
                pathway_id=pathway_id if outcome == "transition" else None,
                closure=closure,
                note=cmd.note,
                held_until=held_until,
            )
        )
        if closure == "started" and pathway_id is not None and self.state.joint_plan is not None:
            # The plan made at the network meeting belongs to the pathway that now exists.
            events.append(self._joint_plan_event(pathway_id, self.state.joint_plan))
        events += [TaskCancelled(task_id=t.task_id, reason="the transition is completed") for t in self._tasks]
        result = await self._advance(events, cmd.actor, state=state)
        self._tasks = []
        self.state.outcome, self.state.closure = outcome, closure
        if outcome == "transition":
            self.state.pathway_id = pathway_id
        self._publish()
        result.transition = self._view()
        return result

    def _held_until(self) -> date | None:
        """The opening day of the pathway's target group, when a transition into integrated care is completed
        before it (behind a patch: recorded transitions replay as they ran)."""
        opens_on = self._in.opens_on
        if self._in.direction != "to_integrated" or opens_on is None or self._today() >= opens_on:
            return None
        return opens_on if workflow.patched(HELD_UNTIL_PHASE_IN) else None

    async def _release_when_open(self) -> None:
        """On the opening day the pathway starts, as a held referral is released to visitation."""
        assert self._in.opens_on is not None
        await kit.wait_until(lambda: False, copenhagen.midnight(self._in.opens_on))
        async with self._lock:
            new_id = str(workflow.uuid4())
            pathway_id: str | None = new_id
            note = None
            try:
                await self._start_pathway(new_id, Actor.engine())
            except ApplicationError as exc:
                pathway_id, note = None, str(exc)
            events: list[DomainEvent] = [
                TransitionReleased(
                    transition_id=self._in.transition_id,
                    pathway_id=pathway_id,
                    released_on=self._in.opens_on,
                    note=note,
                )
            ]
            if pathway_id is not None and self.state.joint_plan is not None:
                events.append(self._joint_plan_event(pathway_id, self.state.joint_plan))
            await self._record(events, Actor.engine())
            self.state.closure, self.state.pathway_id = ("started" if pathway_id else "not_started"), pathway_id
            self._publish()

    async def _start_pathway(self, pathway_id: str, actor: Actor) -> None:
        started = await pathway.start_as_child(
            # From coordinated treatment: the patient is in municipal substance treatment.
            pathway.new_state(pathway_id, self._in.transition_id, self._in, municipal_substance_treatment=True),
            actor,
            "Ambulatory pathway (ambulant forløb), after a transition from coordinated treatment",
        )
        if not started:
            # Before anything is recorded: the transition stands where it was (which pathway is not said).
            raise ApplicationError(
                "the patient already has an active integrated pathway, and a patient has one at most: the "
                "transition was not completed",
                type="CommandRefused",
            )

    async def _pathway_closed(self, ended: PathwayEndedInfo) -> None:
        async with self._lock:
            await self._advance(
                [
                    TransitionPathwayClosed(
                        transition_id=self._in.transition_id, pathway_id=ended.pathway_id, reason_kind=ended.reason_kind
                    )
                ],
                Actor.engine(),
                state="completed",
            )
            self.state.closure = "done"
            self._publish()

    async def _tell_pathway(self, held_on: date) -> None:
        """The network meeting of a move back is the pathway's phase-4 netværksmøde: tell the pathway."""
        handle = workflow.get_external_workflow_handle(
            self._in.pathway_workflow_id
            if self.state.pathway_id == self._in.pathway_id and self._in.pathway_workflow_id
            else pathway.workflow_id(self.state.pathway_id or "", None)
        )
        try:
            await handle.signal(
                MEETING_HELD_SIGNAL,
                MeetingHeldSignal(
                    meeting_id=stream_id(self._in.transition_id), kind="network_meeting", held_on=held_on
                ),
            )
        except FailureError as exc:
            # The pathway has ended meanwhile: the meeting stays on the transition's record.
            workflow.logger.warning("pathway not told of the transition's network meeting: %s", exc)

    # -- tasks staff add -------------------------------------------------------------

    @command(lambda self, cmd: self._check(lambda s: rules.check_new_task(s, cmd)))
    async def add_task(self, cmd: AddTaskCommand) -> TransitionResult:
        due = await self._due_in(cmd.due_in_working_days)
        side, role = ("municipality", "municipality") if cmd.owner == "municipality" else ("region", "clinician")
        task = Task(
            task_id=str(workflow.uuid4()),
            kind="transition_patient_task" if cmd.involves_patient else "transition_task",
            title=cmd.title.strip(),
            phase=None,
            owner_role=role,
            owner_org=self._org(side),
            due=due,
            mandatory=False,
        )
        position = await self._record([self._task_opened(task)], cmd.actor)
        self._tasks.append(task)
        return self._answer(position, task_id=task.task_id)

    @command(lambda self, cmd: self._check_task_completion(cmd))
    async def complete_task(self, cmd: CompleteTaskCommand) -> TransitionResult:
        return self._answer(await self._close_task(cmd))

    def _check_task_completion(self, cmd: CompleteTaskCommand) -> None:
        self._check(lambda s: rules.check_command(s, "complete_task"))
        if cmd.task_id == self.state.step_task and self.state.current_step is not None:
            raise ApplicationError(
                f"the task of the step '{self.state.current_step}' closes when the step is recorded (allowed now: "
                f"{', '.join(self._allowed())})",
                {"allowed": self._allowed()},
                type="CommandRefused",
            )
        self._check_task(cmd, "transition")

    # -- helpers -----------------------------------------------------------------

    def _event(self, event: type[kit.M], cmd: BaseModel, **given: Any) -> kit.M:
        return kit.from_fields(event, cmd, transition_id=self._in.transition_id, **given)

    def _joint_plan_event(self, pathway_id: str, plan: dict[str, Any]) -> JointPlanRecorded:
        return JointPlanRecorded(
            meeting_id=stream_id(self._in.transition_id),
            pathway_id=pathway_id,
            kind=plan["kind"],
            summary=plan["summary"],
            agreed_by=plan["agreed_by"],
        )
