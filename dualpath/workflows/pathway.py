"""The ambulatory pathway (ambulant forløb) as a durable process.

One workflow per pathway, id `pathway-<pathway_id>` (a pseudonym: never a CPR
number or name). It is the only writer of its event stream.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from pydantic import BaseModel, Field, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath.domain import ambulatory, consent, copenhagen, tasks
    from dualpath.domain.ambulatory import AllowedMove, EndReason, LevelOfCare, MoveRefused
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.consent import Consent, ConsentForm, ConsentScope, ConsentState
    from dualpath.domain.events import (
        Actor,
        ConsentRecorded,
        DomainEvent,
        LevelOfCareChanged,
        PathwayEnded,
        PathwayStarted,
        PhaseChanged,
        TaskCancelled,
        TaskCompleted,
        TaskOpened,
        TaskOverdue,
    )
    from dualpath.domain.tasks import Outcome, Task
    from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL, MeetingHeldSignal
    from dualpath.workflows.record import record


def workflow_id(pathway_id: str) -> str:
    return f"pathway-{pathway_id}"


def stream_id(pathway_id: str) -> str:
    return f"pathway-{pathway_id}"


class PathwayState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    pathway_id: str
    referral_id: str
    patient_id: str
    group: int | None
    region: str
    municipality: str
    catalogue_version: str
    phase: int = 1
    level_of_care: LevelOfCare | None = LevelOfCare.integrated_unstable
    status: str = "active"  # active | ended
    version: int = 0  # events in the stream so far
    started: bool = False
    tasks: list[Task] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)


class PathwayInput(BaseModel):
    state: PathwayState
    actor: Actor


class MovePhaseCommand(BaseModel):
    to: int
    reason: str | None = None
    actor: Actor


class EndPathwayCommand(BaseModel):
    reason_kind: EndReason
    reason: str | None = None
    actor: Actor


class CompleteTaskCommand(BaseModel):
    task_id: str
    outcome: Outcome
    note: str | None = None
    actor: Actor


class ConsentCommand(BaseModel):
    scope: ConsentScope
    counterpart: str
    state: ConsentState
    form: ConsentForm
    actor: Actor


class PathwayView(BaseModel):
    pathway_id: str
    status: str
    phase: int
    phase_name: str
    level_of_care: LevelOfCare | None
    allowed_moves: list[AllowedMove]
    open_tasks: list[Task]
    consents: list[Consent]


class CommandResult(BaseModel):
    """What an update answers: the new state, and the event-store position the
    read models must reach before a reader sees this change."""

    pathway: PathwayView
    position: int


# A payload that no longer decodes must fail the workflow loudly, not retry forever.
@workflow.defn(name="PathwayWorkflow", failure_exception_types=[ValidationError])
class PathwayWorkflow:
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
      a dialogue consent closes the consent task
    Signals:
    - `meeting_held(MeetingHeldSignal)`: closes the task the held meeting fulfils
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
        self._state: PathwayState = input.state
        # Handlers await activities; the lock keeps one command at a time so
        # the stream's expected version and the state move together.
        self._lock = asyncio.Lock()
        self._changed = False

    @property
    def state(self) -> PathwayState:
        return self._state

    @workflow.run
    async def run(self, input: PathwayInput) -> PathwayView:
        if not self.state.started:
            async with self._lock:
                started = PathwayStarted(
                    pathway_id=self.state.pathway_id,
                    referral_id=self.state.referral_id,
                    patient_id=self.state.patient_id,
                    group=self.state.group,
                    region=self.state.region,
                    municipality=self.state.municipality,
                    phase=self.state.phase,
                    level_of_care=str(self.state.level_of_care),
                    catalogue_version=self.state.catalogue_version,
                )
                await self._record([started, *self._open_phase_tasks(self.state.phase)], input.actor)
                self.state.started = True
        self._publish()
        while not self._should_stop():
            await self._wait_for_change_or_due_date()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status != "ended":
            workflow.continue_as_new(PathwayInput(state=self.state, actor=Actor.engine()))
        return self._view()

    def _should_stop(self) -> bool:
        return self.state.status == "ended" or workflow.info().is_continue_as_new_suggested()

    async def _wait_for_change_or_due_date(self) -> None:
        """Sleep until something changes or the next open task falls due; escalate overdue tasks."""
        self._changed = False
        due = self._next_due()
        timeout = None if due is None else max(copenhagen.midnight(due + timedelta(days=1)) - workflow.now(),
                                               timedelta(0))
        try:
            await workflow.wait_condition(lambda: self._changed or self._should_stop(), timeout=timeout)
        except asyncio.TimeoutError:
            async with self._lock:
                today = copenhagen.local_date(workflow.now())
                late = [t for t in self._open_tasks() if not t.overdue and t.due < today]
                if late:
                    await self._record([TaskOverdue(task_id=t.task_id, due=t.due) for t in late], Actor.engine())
                    for t in late:
                        t.overdue = True
            self._publish()

    @workflow.query
    def view(self) -> PathwayView:
        return self._view()

    # -- move_phase ---------------------------------------------------------

    @workflow.update
    async def move_phase(self, cmd: MovePhaseCommand) -> CommandResult:
        await self._started()
        async with self._lock:
            self._check_move(cmd)  # again: another command may have run while we waited
            before_phase, before_level = self.state.phase, self.state.level_of_care
            after_level = ambulatory.LEVEL_FOR_PHASE[cmd.to]
            events: list[DomainEvent] = [
                PhaseChanged(
                    pathway_id=self.state.pathway_id, from_phase=before_phase, to_phase=cmd.to, reason=cmd.reason
                )
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

    @move_phase.validator
    def _validate_move(self, cmd: MovePhaseCommand) -> None:
        self._check_move(cmd)

    def _check_move(self, cmd: MovePhaseCommand) -> None:
        self._require_active()
        try:
            ambulatory.check_move(self.state.phase, cmd.to, cmd.reason)
        except MoveRefused as exc:
            raise ApplicationError(
                str(exc), {"allowed": [m.model_dump() for m in ambulatory.allowed_moves(self.state.phase)]},
                type="MoveRefused",
            ) from None
        open_ = tasks.blocking(self.state.tasks, self.state.phase)
        if open_:
            names = ", ".join(f"{t.kind} ({t.task_id})" for t in open_)
            raise ApplicationError(
                f"phase {self.state.phase} has open mandatory tasks: {names}; complete each, or close it as "
                "not_possible with the reason, before leaving the phase",
                {"open_tasks": [t.model_dump(mode="json") for t in open_]},
                type="MoveRefused",
            )

    # -- end_pathway --------------------------------------------------------

    @workflow.update
    async def end_pathway(self, cmd: EndPathwayCommand) -> CommandResult:
        await self._started()
        async with self._lock:
            self._check_end(cmd)
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
            position = await self._record(events, cmd.actor)
            for t in open_:
                t.state = "cancelled"
            self.state.status, self.state.level_of_care = "ended", after_level
            return self._done(position)

    @end_pathway.validator
    def _validate_end(self, cmd: EndPathwayCommand) -> None:
        self._check_end(cmd)

    def _check_end(self, cmd: EndPathwayCommand) -> None:
        self._require_active()
        try:
            ambulatory.check_end(self.state.phase, cmd.reason_kind, cmd.reason)
        except MoveRefused as exc:
            raise ApplicationError(str(exc), type="MoveRefused") from None
        if cmd.reason_kind in ambulatory.PLANNED_ENDS and tasks.blocking(self.state.tasks, 4):
            names = ", ".join(t.kind for t in tasks.blocking(self.state.tasks, 4))
            raise ApplicationError(
                f"a planned closure needs phase 4's mandatory tasks closed first: {names} are open",
                type="MoveRefused",
            )

    # -- tasks --------------------------------------------------------------

    @workflow.update
    async def complete_task(self, cmd: CompleteTaskCommand) -> CommandResult:
        await self._started()
        async with self._lock:
            self._check_completion(cmd)
            task = self._task(cmd.task_id)
            assert task is not None
            position = await self._record(
                [TaskCompleted(task_id=task.task_id, outcome=cmd.outcome, note=cmd.note)], cmd.actor
            )
            task.state, task.outcome_note = cmd.outcome, cmd.note
            return self._done(position)

    @complete_task.validator
    def _validate_completion(self, cmd: CompleteTaskCommand) -> None:
        self._check_completion(cmd)

    def _check_completion(self, cmd: CompleteTaskCommand) -> None:
        self._require_active()
        try:
            tasks.check_completion(self._task(cmd.task_id), cmd.outcome, cmd.note)
        except tasks.TaskRefused as exc:
            raise ApplicationError(str(exc), type="CommandRefused") from None

    @workflow.signal(name=MEETING_HELD_SIGNAL)
    async def meeting_held(self, held: MeetingHeldSignal) -> None:
        kind = tasks.TASK_FOR_MEETING.get(held.kind)
        await self._started()
        async with self._lock:
            task = next((t for t in self._open_tasks() if t.kind == kind), None)
            if task is None or self.state.status != "active":
                return
            note = f"meeting {held.meeting_id} held on {held.held_on.isoformat()}"
            await self._record([TaskCompleted(task_id=task.task_id, outcome="done", note=note)], Actor.engine())
            task.state, task.outcome_note = "done", note
            self._done(None)

    # -- consent ------------------------------------------------------------

    @workflow.update
    async def record_consent(self, cmd: ConsentCommand) -> CommandResult:
        await self._started()
        async with self._lock:
            self._check_consent(cmd)
            events: list[DomainEvent] = [
                ConsentRecorded(pathway_id=self.state.pathway_id, scope=cmd.scope, counterpart=cmd.counterpart,
                                state=cmd.state, form=cmd.form)
            ]
            consent_task = next((t for t in self._open_tasks() if t.kind == "consent_dialogue"), None)
            if cmd.scope == "dialogue" and cmd.state in ("given", "refused") and consent_task:
                events.append(TaskCompleted(task_id=consent_task.task_id, outcome="done",
                                            note=f"consent {cmd.state} ({cmd.form})"))
            position = await self._record(events, cmd.actor)
            self.state.consents = [
                c for c in self.state.consents if (c.scope, c.counterpart) != (cmd.scope, cmd.counterpart)
            ] + [Consent(scope=cmd.scope, counterpart=cmd.counterpart, state=cmd.state, form=cmd.form)]
            if len(events) > 1 and consent_task:
                consent_task.state, consent_task.outcome_note = "done", f"consent {cmd.state}"
            return self._done(position)

    @record_consent.validator
    def _validate_consent(self, cmd: ConsentCommand) -> None:
        self._check_consent(cmd)

    def _check_consent(self, cmd: ConsentCommand) -> None:
        self._require_active()
        current = next(
            (c for c in self.state.consents if (c.scope, c.counterpart) == (cmd.scope, cmd.counterpart)), None
        )
        try:
            consent.check_change(current, cmd.state)
        except consent.ConsentRefused as exc:
            raise ApplicationError(str(exc), type="CommandRefused") from None

    # -- helpers ------------------------------------------------------------

    async def _started(self) -> None:
        # A command can arrive in the run's very first task, before `run` has
        # recorded PathwayStarted: let the start go first, so the stream opens
        # with it.
        await workflow.wait_condition(lambda: self.state.started)

    def _open_phase_tasks(self, phase: int) -> list[DomainEvent]:
        activities = load_catalogue(self.state.catalogue_version).mandatory("ambulatory", phase)
        new = tasks.tasks_for_phase(
            activities,
            phase=phase,
            entered_on=copenhagen.local_date(workflow.now()),
            region=self.state.region,
            municipality=self.state.municipality,
            ids=[str(workflow.uuid4()) for _ in activities],
        )
        self.state.tasks = [t for t in self.state.tasks if t.state == "open"] + new
        return [
            TaskOpened(task_id=t.task_id, pathway_id=self.state.pathway_id, kind=t.kind, title=t.title,
                       phase=t.phase, owner_role=t.owner_role, owner_org=t.owner_org, due=t.due,
                       mandatory=t.mandatory)
            for t in new
        ]

    def _open_tasks(self) -> list[Task]:
        return [t for t in self.state.tasks if t.state == "open"]

    def _task(self, task_id: str) -> Task | None:
        return next((t for t in self.state.tasks if t.task_id == task_id), None)

    def _next_due(self) -> date | None:
        dues = [t.due for t in self._open_tasks() if not t.overdue]
        return min(dues) if dues else None

    def _require_active(self) -> None:
        if self.state.status != "active":
            raise ApplicationError("the pathway has ended: no further commands", type="MoveRefused")

    async def _record(self, events: list[DomainEvent], actor: Actor) -> int:
        result = await record(stream_id(self.state.pathway_id), self.state.version, events, actor)
        self.state.version = result.last_version
        return result.last_position

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
        )

    def _publish(self) -> None:
        open_ = self._open_tasks()
        due = min((t.due for t in open_), default=None)
        attrs = [
            sa.PATHWAY_KIND.value_set("ambulatory"),
            sa.PHASE.value_set(f"{self.state.phase}" if self.state.status == "active" else "ended"),
            sa.LEVEL_OF_CARE.value_set(str(self.state.level_of_care or "none")),
            sa.REGION.value_set(self.state.region),
            sa.MUNICIPALITY.value_set(self.state.municipality),
            sa.OVERDUE.value_set(any(t.overdue for t in open_)),
            sa.NEXT_DUE.value_set(copenhagen.midnight(due)) if due else sa.NEXT_DUE.value_unset(),
        ]
        if self.state.group:
            attrs.append(sa.TARGET_GROUP.value_set(self.state.group))
        workflow.upsert_search_attributes(attrs)
