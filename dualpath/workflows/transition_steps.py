"""The transition's steps: which step it waits for, its owner's task and due date in working days, the
escalation of a step not taken in time, and recording a step's events with the step change they cause.

A part the transition's workflow inherits; the rules themselves are pure, in `domain.transition`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath.contracts.activities import WorkingDayDeadline
    from dualpath.domain import copenhagen
    from dualpath.domain import transition as rules
    from dualpath.domain.events import Actor, DomainEvent, TaskCompleted, TaskOpened, TaskOverdue
    from dualpath.domain.tasks import Task
    from dualpath.domain.transition import Situation, State, Step, TransitionRefused
    from dualpath.domain.transition_events import TransitionStepOverdue, TransitionStepStarted
    from dualpath.workflows import kit
    from dualpath.workflows.kit import refusing
    from dualpath.workflows.transition_messages import (
        TransitionInput,
        TransitionResult,
        TransitionState,
        TransitionView,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
_KEEP: Any = object()


class TransitionSteps(kit.Process):
    """The step machine and the transition's face (its view and search attributes)."""

    _in: TransitionInput
    state: TransitionState

    async def _wait_for_change_or_step_due(self, done: Callable[[], bool]) -> None:
        """Sleep until a command changes something, `done()` holds, or the current step falls overdue."""
        self._changed = False
        seq = self.state.step_seq
        at = self._overdue_at()
        now = workflow.now()
        if at is None or at > now:
            try:
                await workflow.wait_condition(
                    lambda: self._changed or done() or self.state.state == "completed",
                    timeout=(at - now) if at else None,
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            # A command may have moved the step on while the timer fired.
            if self.state.step_seq == seq and self.state.current_step is not None and not self.state.overdue:
                await self._escalate()

    async def _escalate(self) -> None:
        assert (
            self.state.current_step is not None and self.state.step_due is not None and self.state.step_task is not None
        )
        await self._record(
            [
                TransitionStepOverdue(
                    transition_id=self._in.transition_id, step=self.state.current_step, due=self.state.step_due
                ),
                TaskOverdue(task_id=self.state.step_task, due=self.state.step_due),
            ],
            Actor.engine(),
        )
        self.state.overdue = True
        self._publish()

    def _overdue_at(self) -> datetime | None:
        # Taken on its due date is in time: late from the next Copenhagen midnight.
        if self.state.current_step is None or self.state.overdue or self.state.step_due is None:
            return None
        return copenhagen.midnight(self.state.step_due + timedelta(days=1))

    async def _due_in(self, working_days: int) -> date:
        return await refusing(
            workflow.execute_activity(
                "working_day_deadline",
                WorkingDayDeadline(start=self._today(), working_days=working_days, region=self._in.region),
                result_type=date,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
        )

    async def _step_change(self, step: Step | None) -> tuple[list[DomainEvent], dict[str, Any]]:
        """Events closing the current step's task and opening the next one's; the state to apply after."""
        if step == self.state.current_step:
            return [], {}
        events: list[DomainEvent] = []
        if self.state.step_task is not None:
            events.append(
                TaskCompleted(task_id=self.state.step_task, outcome="done", note=f"{self.state.current_step} recorded")
            )
        if step is None:
            return events, {"step": None, "task": None, "due": None}
        due = await self._due_in(rules.step_due_days(self._in.due_days)[step])
        side, role = rules.step_owner(step, self._in.direction)
        task = Task(
            task_id=str(workflow.uuid4()),
            kind=f"transition_{step}",
            title=rules.STEP_TITLES[step],
            phase=None,
            owner_role=role,
            owner_org=self._org(side),
            due=due,
            mandatory=True,
        )
        events += [
            TransitionStepStarted(
                transition_id=self._in.transition_id, step=step, owner_org=task.owner_org, task_id=task.task_id, due=due
            ),
            self._task_opened(task),
        ]
        return events, {"step": step, "task": task.task_id, "due": due}

    def _apply_step(self, change: dict[str, Any]) -> None:
        if not change:
            return
        self.state.current_step, self.state.step_task, self.state.step_due = (
            change["step"],
            change["task"],
            change["due"],
        )
        self.state.overdue = False
        self.state.step_seq += 1

    async def _advance(
        self,
        events: Sequence[DomainEvent],
        actor: Actor,
        *,
        state: State,
        settled: Any = _KEEP,
        recommends: Any = _KEEP,
    ) -> TransitionResult:
        """Record a step's events with the step change they cause, then move the state."""
        after = self._situation().model_copy(
            update={
                "state": state,
                **({"settled": settled} if settled is not _KEEP else {}),
                **({"recommends_transition": recommends} if recommends is not _KEEP else {}),
            }
        )
        step_events, step_state = await self._step_change(rules.current_step(after))
        position = await self._record([*events, *step_events], actor)
        self.state.state, self.state.settled, self.state.recommends_transition = (
            after.state,
            after.settled,
            after.recommends_transition,
        )
        self._apply_step(step_state)
        return self._answer(position)

    # -- the situation, as the rules see it ----------------------------------------

    def _situation(self) -> Situation:
        return kit.from_fields(Situation, self._in, self.state)

    def _check(self, rule: Callable[[Situation], None]) -> None:
        # Only an ApplicationError fails an update; any other exception would
        # fail the workflow task and retry it forever.
        try:
            rule(self._situation())
        except TransitionRefused as exc:
            raise kit.refused(exc, details={"allowed": exc.allowed}) from None

    def _allowed(self) -> list[str]:
        return rules.allowed_commands(self._situation())

    def _today(self) -> date:
        return copenhagen.local_date(workflow.now())

    def _org(self, side: str) -> str:
        return f"municipality:{self._in.municipality}" if side == "municipality" else f"region:{self._in.region}"

    def _task_opened(self, task: Task) -> TaskOpened:
        # The transition id rides in `referral_id` (the transition stands where a referral would). No
        # `pathway_id`, even on a move back: the pathway's task list is the pathway's own, and its
        # complete-task route would not find these.
        return kit.task_opened(task, referral_id=self._in.transition_id)

    def _answer(self, position: int, task_id: str | None = None) -> TransitionResult:
        self._changed = True
        self._publish()
        return TransitionResult(transition=self._view(), position=position, task_id=task_id)

    def _view(self) -> TransitionView:
        s = self._situation()
        return kit.from_fields(
            TransitionView,
            self._in,
            self.state,
            patient_may_be_involved=rules.patient_may_be_involved(s),
            allowed=rules.allowed_commands(s),
            open_tasks=list(self._tasks),
        )

    def _publish(self) -> None:
        late = self.state.overdue and self.state.current_step is not None
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.PATHWAY_KIND.value_set("transition"),
            sa.PHASE.value_set(self.state.state),
            sa.REGION.value_set(self._in.region),
            sa.MUNICIPALITY.value_set(self._in.municipality),
            sa.OVERDUE.value_set(late),
            sa.NEXT_DUE.value_set(copenhagen.midnight(self.state.step_due + timedelta(days=1)))
            if self.state.step_due is not None
            else sa.NEXT_DUE.value_unset(),
        ]
        if self._in.group:
            attrs.append(sa.TARGET_GROUP.value_set(self._in.group))
        self._upsert(attrs)
        # What the Temporal UI shows on the workflow's page: process state only, nothing clinical.
        step = (
            f"next step: {self.state.current_step}, due {self.state.step_due}{' — OVERDUE' if late else ''}"
            if self.state.current_step
            else f"outcome: {self.state.outcome or '-'}"
        )
        workflow.set_current_details(
            f"**{self.state.state}** ({self._in.direction}, {self._in.branch}); {step}; "
            f"allowed: {', '.join(self._allowed()) or 'nothing'}"
        )
