"""The ambulatory pathway (ambulant forløb) as a durable process.

One workflow per pathway, id `pathway-<region>-<pathway_id>` (dualpath/workflow_ids.py;
a pseudonym: never a CPR number or name). It is the only writer of its event
stream, `pathway-<pathway_id>`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.contracts.activities import PathwayClaim
    from dualpath.domain import ambulatory, consent, copenhagen, medication, tasks
    from dualpath.domain.ambulatory import LevelOfCare, MoveRefused
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.consent import Consent
    from dualpath.domain.events import (
        Actor,
        ConsentRecorded,
        DomainEvent,
        LevelOfCareChanged,
        PathwayEnded,
        PathwayFacts,
        PathwayStarted,
        PhaseChanged,
        TaskCancelled,
        TaskCompleted,
    )
    from dualpath.domain.tasks import Task
    from dualpath.workflows import coordinated_course_messages as coordinated
    from dualpath.workflows import inpatient_stay, kit
    from dualpath.workflows import inpatient_stay_messages as stay_messages
    from dualpath.workflows.kit import CompleteTaskCommand, MovePhaseCommand, command
    from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL, MeetingHeldSignal
    from dualpath.workflows.pathway_acute import AcuteContactCommands
    from dualpath.workflows.pathway_admission import Admissions
    from dualpath.workflows.pathway_first_contact import FirstContactClock
    from dualpath.workflows.pathway_joint_plans import JointPlanCommands
    from dualpath.workflows.pathway_medication import MedicationCommands
    from dualpath.workflows.pathway_messages import (
        CommandResult,
        ConsentCommand,
        EndPathwayCommand,
        LevelOfCareCommand,
        PathwayInput,
        PathwayState,
        PathwayView,
    )

    # The medication messages and the pathway's new state are taken from here too.
    from dualpath.workflows.pathway_messages import MedicationCommand as MedicationCommand
    from dualpath.workflows.pathway_messages import MedicationResult as MedicationResult
    from dualpath.workflows.pathway_messages import NoticeOutcome as NoticeOutcome
    from dualpath.workflows.pathway_messages import new_state as new_state


# `pathway-<region>-<pathway_id>` (without a region, the legacy `pathway-<pathway_id>`); stream `pathway-<id>`.
workflow_id, stream_id = workflow_ids.pathway, workflow_ids.pathway_stream


# A patient has one active pathway at most: a pathway starts only once it holds the patient's
# claim (activities/pathway_claims.py), and gives it back when it ends. Behind a patch, so that
# histories recorded before it replay as they ran.
ONE_ACTIVE_PATHWAY = "one-active-pathway-per-patient"
CLAIM_TIMEOUT = timedelta(seconds=10)
CONSENT_TASK_OWN_MUNICIPALITY = "consent-task-own-municipality"
CLAIM_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


async def start_as_child(state: PathwayState, actor: Actor, summary: str) -> bool:
    """Start a pathway from the workflow that admitted the patient (a referral's decision,
    a transition, a campaign's start date). The pathway lives for years and outlives its
    origin, so the origin's closing must not end it (ParentClosePolicy.ABANDON).

    False, and nothing started, when the patient already has an active pathway."""
    if workflow.patched(ONE_ACTIVE_PATHWAY):
        claimed = await workflow.execute_activity(
            "claim_pathway",
            PathwayClaim(patient_id=state.patient_id, pathway_id=state.pathway_id),
            result_type=bool,
            start_to_close_timeout=CLAIM_TIMEOUT,
            retry_policy=CLAIM_RETRY,
        )
        if not claimed:
            return False
    await workflow.start_child_workflow(
        PathwayWorkflow.run,
        PathwayInput(state=state, actor=actor),
        # Recorded histories started their pathways under the legacy id.
        id=workflow_id(
            state.pathway_id, state.region if workflow.patched(workflow_ids.REGION_IN_WORKFLOW_ID) else None
        ),
        parent_close_policy=ParentClosePolicy.ABANDON,
        static_summary=summary,
    )
    return True


# A payload that no longer decodes must fail the workflow loudly, not retry forever.
@workflow.defn(name="PathwayWorkflow", failure_exception_types=[ValidationError])
class PathwayWorkflow(Admissions, FirstContactClock, JointPlanCommands, MedicationCommands, AcuteContactCommands):
    """The ambulatory pathway, phases 1–4 (spec §3), with its staff tasks and consents.

    Entering a phase opens a task per mandatory activity of the catalogue version
    the pathway started with; a phase is left only when its mandatory tasks are
    closed (done, or not possible with a reason). An open task past its due date
    is escalated (TaskOverdue, search attribute Overdue).

    Updates (staff commands; a validator refuses an illegal one, writing nothing):
    - `move_phase(MovePhaseCommand) -> CommandResult`
    - `end_pathway(EndPathwayCommand) -> CommandResult`: planned closure from phase 4,
      or an unplanned end from any phase with a reason
    - `complete_task(CompleteTaskCommand) -> CommandResult`
    - `record_consent(ConsentCommand) -> CommandResult`: given, refused or withdrawn;
      a dialogue consent closes the consent task; an admitted patient's stay is told at once
    - `decide_level_of_care(LevelOfCareCommand) -> CommandResult`: a clinician sets the level (integrated,
      stable or unstable) on the patient's needs, with the reason (LevelOfCareChanged, decided)
    - `record_first_contact(FirstContactCommand) -> CommandResult`: the first treatment contact, once, in
      phase 1 (FirstTreatmentContact, within the §82c deadline or not); it closes the deadline's task
    Timers: a pathway started from a referral keeps the §82c clock (domain/first_contact.py): 3 days before
    the start deadline without a first contact it opens a task for its clinicians
    (FirstContactDeadlineApproaching); when the deadline passes it escalates (FirstContactDeadlinePassed,
    the task overdue, search attribute Overdue).
    - `admit(AdmitCommand) -> AdmitResult`: starts the inpatient stay as a child workflow
      (`stay-<region>-<pathway_id>-<n>`); the level of care is inpatient until it signals discharge.
      A pathway whose state says `admit_at_start` (accepted into an inpatient course, or started by an
      acute admission) starts its first stay itself and records the admission in its opening
    - `record_acute_contact(AcuteContactCommand) -> CommandResult`: a contact at the acute function without
      admission and its outcome (AcuteContactRecorded; workflows/pathway_acute.py)
    - `record_medication_change(MedicationCommand) -> MedicationResult`: the change, and the FMK
      notice to the municipality where consent allows it (workflows/pathway_medication.py)
    - `record_joint_plan(JointPlanCommand) -> CommandResult`: a joint plan made or revised outside a
      meeting (JointPlanRecorded; a revision names the latest version: workflows/pathway_joint_plans.py)
    Signals:
    - `meeting_held(MeetingHeldSignal)`: closes the task the held meeting fulfils
    - `stay_discharged(StayDischarged)`: the stay's patient went home; the level returns
    Queries:
    - `view() -> PathwayView`
    The workflow continues-as-new with its whole state when Temporal suggests it,
    after every in-flight handler has finished.
    """

    # @workflow.init: updates that arrive with the first task of a run (after
    # continue-as-new, typically) are handled before `run` starts, so the state
    # must exist from construction.
    @workflow.init
    def __init__(self, input: PathwayInput) -> None:
        super().__init__(stream_id(input.state.pathway_id), versioned=input.state)
        self.state = input.state
        self._clock: bool | None = None  # whether this run keeps the §82c clock (decided once: `_keeps_clock`)

    # The tasks live in the state carried across continue-as-new.
    @property
    def _tasks(self) -> list[Task]:
        return self.state.tasks

    @_tasks.setter
    def _tasks(self, value: list[Task]) -> None:
        self.state.tasks = value

    def _is_ready(self) -> bool:
        # A command can arrive in the run's very first task, before `run` has recorded
        # PathwayStarted: let the start go first, so the stream opens with it.
        return self.state.started

    @workflow.run
    async def run(self, input: PathwayInput) -> PathwayView:
        if not self.state.started:
            async with self._lock:
                facts = self.state.model_dump(include=set(PathwayFacts.model_fields))
                started = PathwayStarted(**facts, phase=self.state.phase, level_of_care=str(self.state.level_of_care))
                opening = [started, *self._open_phase_tasks(self.state.phase)]
                # A pathway accepted late starts with its deadline's task (and escalation) in its opening.
                clock = self._clock_events() if self._keeps_clock() else []
                stay = await self._admission_at_start(input.actor)
                await self._record([*opening, *clock, *(stay[2] if stay else [])], input.actor)
                self.state.started = True
                self.state.started_on = copenhagen.local_date(workflow.now())
                self._clock_recorded(clock)
                if stay:
                    self._admitted(stay[0], stay[1])
                    self.state.admit_at_start = None
        self._publish()
        while not self._should_stop():
            if self._keeps_clock():
                await self._keep_clock()
            await self._wait_for_change_or_due(self._should_stop, until=self._next_clock_instant())
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status != "ended":
            workflow.continue_as_new(PathwayInput(state=self.state, actor=Actor.engine()))
        if workflow.patched(ONE_ACTIVE_PATHWAY):
            # Ended: the patient may be admitted to a pathway again.
            await workflow.execute_activity(
                "release_pathway",
                PathwayClaim(patient_id=self.state.patient_id, pathway_id=self.state.pathway_id),
                start_to_close_timeout=CLAIM_TIMEOUT,
                retry_policy=CLAIM_RETRY,
            )
        return self._view()

    def _should_stop(self) -> bool:
        return self.state.status == "ended" or workflow.info().is_continue_as_new_suggested()

    @workflow.query
    def view(self) -> PathwayView:
        return self._view()

    # -- move_phase ---------------------------------------------------------

    @command(lambda self, cmd: self._check_move(cmd))
    async def move_phase(self, cmd: MovePhaseCommand) -> CommandResult:
        before_phase, before_level = self.state.phase, self.state.level_of_care
        # The ambulatory pathway goes on during a stay; the level stays inpatient.
        after_level = LevelOfCare.inpatient if self.state.active_stay else ambulatory.LEVEL_FOR_PHASE[cmd.to]
        events: list[DomainEvent] = [
            PhaseChanged(pathway_id=self.state.pathway_id, from_phase=before_phase, to_phase=cmd.to, reason=cmd.reason)
        ]
        if after_level != before_level:
            events.append(
                LevelOfCareChanged(
                    pathway_id=self.state.pathway_id,
                    from_level=before_level,
                    to_level=after_level,
                    reason=f"phase {before_phase} → {cmd.to}",
                )
            )
        events += self._open_phase_tasks(cmd.to)
        position = await self._record(events, cmd.actor)
        self.state.phase, self.state.level_of_care = cmd.to, after_level
        return self._done(position)

    def _check_move(self, cmd: MovePhaseCommand) -> None:
        self._by_the_phase_rules(lambda: ambulatory.check_move(self.state.phase, cmd.to, cmd.reason))
        self._check_leaving(f"phase {self.state.phase}", tasks.blocking(self.state.tasks, self.state.phase))

    def _by_the_phase_rules(self, rule: Callable[[], None]) -> None:
        """Refuse what the phase rules refuse (MoveRefused, with the moves allowed from here)."""
        self._require_active()
        try:
            rule()
        except MoveRefused as exc:
            allowed = [m.model_dump() for m in ambulatory.allowed_moves(self.state.phase)]
            raise kit.refused(exc, "MoveRefused", {"allowed": allowed}) from None

    # -- end_pathway --------------------------------------------------------

    @command(lambda self, cmd: self._check_end(cmd))
    async def end_pathway(self, cmd: EndPathwayCommand) -> CommandResult:
        after_level = ambulatory.LEVEL_AFTER_END.get(cmd.reason_kind)
        events: list[DomainEvent] = [
            PathwayEnded(
                pathway_id=self.state.pathway_id,
                phase=self.state.phase,
                reason_kind=cmd.reason_kind.value,
                reason=cmd.reason,
            ),
            LevelOfCareChanged(
                pathway_id=self.state.pathway_id,
                from_level=self.state.level_of_care,
                to_level=after_level,
                reason=f"pathway ended: {cmd.reason_kind.value}",
            ),
        ]
        open_ = self._open_tasks()
        events += [TaskCancelled(task_id=t.task_id, reason="the pathway ended") for t in open_]
        # A planned closure to coordinated treatment: the coordinated course follows (issue #18 item 9).
        follow = cmd.reason_kind == ambulatory.EndReason.transition_coordinated and workflow.patched(
            coordinated.COORDINATED_FOLLOW_UP
        )
        position = await self._record(events, cmd.actor)
        for t in open_:
            t.state = "cancelled"
        self.state.status, self.state.level_of_care = "ended", after_level
        if follow:
            await self._follow_coordinated_course(cmd.actor)
        return self._done(position)

    async def _follow_coordinated_course(self, actor: Actor) -> None:
        """Start the coordinated course after the planned closure; the municipality follows it up when the patient
        has consented to dialogue with it, else the region alone."""
        course_id = str(workflow.uuid4())
        shared = any(
            (c.scope, c.counterpart, c.state) == ("dialogue", self.state.municipality, "given")
            for c in self.state.consents
        )
        await coordinated.start_as_child(
            kit.from_fields(
                coordinated.CourseInput,
                self.state,
                course_id=course_id,
                origin="planned_closure",
                origin_id=self.state.pathway_id,
                shared_with_municipality=shared,
                actor=actor,
            ),
            "Coordinated course after the integrated pathway",
        )
        self.state.coordinated_course_id = course_id

    def _check_end(self, cmd: EndPathwayCommand) -> None:
        self._by_the_phase_rules(lambda: ambulatory.check_end(self.state.phase, cmd.reason_kind, cmd.reason))
        if cmd.reason_kind in ambulatory.PLANNED_ENDS:  # a planned closure leaves phase 4 done
            planned = "a planned closure needs phase 4's mandatory tasks closed first: phase 4"
            self._check_leaving(planned, tasks.blocking(self.state.tasks, 4))

    # -- level of care --------------------------------------------------------

    @command(lambda self, cmd: self._check_level(cmd))
    async def decide_level_of_care(self, cmd: LevelOfCareCommand) -> CommandResult:
        changed = LevelOfCareChanged(
            pathway_id=self.state.pathway_id,
            from_level=self.state.level_of_care,
            to_level=cmd.level,
            reason=cmd.reason.strip(),
            decided=True,
        )
        position = await self._record([changed], cmd.actor)
        self.state.level_of_care = cmd.level
        return self._done(position)

    def _check_level(self, cmd: LevelOfCareCommand) -> None:
        self._require_active()
        admitted = self.state.active_stay is not None
        try:
            ambulatory.check_level_decision(self.state.level_of_care, cmd.level, cmd.reason, admitted=admitted)
        except MoveRefused as exc:
            raise kit.refused(
                exc, details={"allowed": [level.value for level in ambulatory.DECIDABLE_LEVELS]}
            ) from None

    # -- tasks --------------------------------------------------------------

    @command(lambda self, cmd: self._check_completion(cmd))
    async def complete_task(self, cmd: CompleteTaskCommand) -> CommandResult:
        return self._done(await self._close_task(cmd))

    def _check_completion(self, cmd: CompleteTaskCommand) -> None:
        self._require_active()
        self._check_task(cmd, "pathway")

    @workflow.signal(name=MEETING_HELD_SIGNAL)
    async def meeting_held(self, held: MeetingHeldSignal) -> None:
        kind = tasks.TASK_FOR_MEETING.get(held.kind)
        async with self.one_at_a_time():
            task = next((t for t in self._open_tasks() if t.kind == kind), None)
            if task is None or self.state.status != "active":
                return
            note = f"meeting {held.meeting_id} held on {held.held_on.isoformat()}"
            await self._record([TaskCompleted(task_id=task.task_id, outcome="done", note=note)], Actor.engine())
            task.state, task.outcome_note = "done", note
            self._done(None)

    # -- consent ------------------------------------------------------------

    @command(lambda self, cmd: self._check_consent(cmd))
    async def record_consent(self, cmd: ConsentCommand) -> CommandResult:
        events: list[DomainEvent] = [kit.from_fields(ConsentRecorded, cmd, pathway_id=self.state.pathway_id)]
        # The task that asked for this consent is answered by recording it.
        asked_by = {"dialogue": "consent_dialogue", "inform_municipal_treatment": medication.SEEK_CONSENT_TASK}
        # Only the pathway's own municipality answers its consent tasks (before the patch, a dialogue
        # consent towards any municipality did: recorded histories replay as they ran).
        own = cmd.counterpart == self.state.municipality
        answers = own or (cmd.scope == "dialogue" and not workflow.patched(CONSENT_TASK_OWN_MUNICIPALITY))
        answered = [
            t
            for t in self._open_tasks()
            if t.kind == asked_by[cmd.scope] and cmd.state in ("given", "refused") and answers
        ]
        events += [
            TaskCompleted(task_id=t.task_id, outcome="done", note=f"consent {cmd.state} ({cmd.form})") for t in answered
        ]
        position = await self._record(events, cmd.actor)
        self.state.consents = [
            c for c in self.state.consents if (c.scope, c.counterpart) != (cmd.scope, cmd.counterpart)
        ] + [Consent(scope=cmd.scope, counterpart=cmd.counterpart, state=cmd.state, form=cmd.form)]
        for t in answered:
            t.state, t.outcome_note = "done", f"consent {cmd.state}"
        if self.state.active_stay:
            await workflow.get_external_workflow_handle(
                self.state.active_stay_workflow_id
                or inpatient_stay.workflow_id(self.state.pathway_id, self.state.stays, None)
            ).signal(stay_messages.CONSENTS_CHANGED_SIGNAL, stay_messages.ConsentsChanged(consents=self.state.consents))
        return self._done(position)

    def _check_consent(self, cmd: ConsentCommand) -> None:
        self._require_active()
        current = next(
            (c for c in self.state.consents if (c.scope, c.counterpart) == (cmd.scope, cmd.counterpart)), None
        )
        try:
            consent.check_change(current, cmd.state)
        except consent.ConsentRefused as exc:
            raise kit.refused(exc) from None

    # -- helpers ------------------------------------------------------------

    def _open_phase_tasks(self, phase: int) -> list[DomainEvent]:
        activities = tasks.applicable(load_catalogue(self.state.catalogue_version).mandatory("ambulatory", phase))
        return self._enter_phase(
            phase,
            activities,
            region=self.state.region,
            municipality=self.state.municipality,
            pathway_id=self.state.pathway_id,
        )

    def _require_active(self) -> None:
        if self.state.status != "active":
            raise ApplicationError("the pathway has ended: no further commands", type="MoveRefused")

    def _done(self, position: int | None) -> CommandResult:
        """After a command: wake the main loop (due dates may have moved), publish, answer."""
        self._changed = True
        # Closed tasks are history (they live in the event store); keep only
        # what is open in workflow state so it does not grow for years.
        self.state.tasks = self._open_tasks()
        self._publish()
        return CommandResult(pathway=self._view(), position=position or 0)

    def _view(self) -> PathwayView:
        return PathwayView(
            pathway_id=self.state.pathway_id,
            status=self.state.status,
            phase=self.state.phase,
            phase_name=ambulatory.PHASE_NAMES[self.state.phase],
            level_of_care=self.state.level_of_care,
            allowed_moves=ambulatory.allowed_moves(self.state.phase) if self.state.status == "active" else [],
            open_tasks=self._open_tasks(),
            consents=self.state.consents,
            start_deadline=self.state.start_deadline,
            first_contact_on=self.state.first_contact_on,
            coordinated_course_id=self.state.coordinated_course_id,
        )

    def _late_to_start(self) -> bool:
        """The §82c deadline passed and treatment has not started (always False before the clock)."""
        return self.state.first_contact_deadline_passed and self._clock_running()

    def _publish(self) -> None:
        open_ = self._open_tasks()
        due = min((t.due for t in open_), default=None)
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.PATHWAY_KIND.value_set("ambulatory"),
            sa.PHASE.value_set(f"{self.state.phase}" if self.state.status == "active" else "ended"),
            sa.LEVEL_OF_CARE.value_set(str(self.state.level_of_care or "none")),
            sa.REGION.value_set(self.state.region),
            sa.MUNICIPALITY.value_set(self.state.municipality),
            sa.OVERDUE.value_set(any(t.overdue for t in open_) or self._late_to_start()),
            sa.NEXT_DUE.value_set(copenhagen.midnight(due)) if due else sa.NEXT_DUE.value_unset(),
        ]
        if self.state.group:
            attrs.append(sa.TARGET_GROUP.value_set(self.state.group))
        self._upsert(attrs)
