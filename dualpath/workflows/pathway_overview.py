"""What staff see of the pathway, for its workflow: the `view` query, the search attributes its worklists are
built on (phase, level of care, Overdue, NextDue), whether it still takes commands, and each command's answer.

A mixin of the pathway's workflow: it gives what the other parts rely on it for (workflows/pathway_part.py),
and keeps the pathway's tasks in the state carried across continue-as-new.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath.domain import ambulatory, copenhagen
    from dualpath.domain.tasks import Task
    from dualpath.workflows.pathway_first_contact import FirstContactClock
    from dualpath.workflows.pathway_messages import CommandResult, PathwayView


# A FirstContactClock for its `_clock_running` (Overdue says so when the §82c deadline has passed); the
# pathway's workflow lists this part first, so that what it gives here stands over PathwayPart's placeholders.
class Overview(FirstContactClock):
    """The query `view`, the search attributes and the answer to a command, for the pathway's workflow to
    inherit."""

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

    def _should_stop(self) -> bool:
        return self.state.status == "ended" or workflow.info().is_continue_as_new_suggested()

    @workflow.query
    def view(self) -> PathwayView:
        return self._view()

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
