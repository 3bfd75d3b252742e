"""Leave before discharge (orlov, or a night at home; spec §4, issue #18 item 6), for the stay's workflow.

A mixin of `InpatientStayWorkflow`: a leave granted from–to closes the leave-offer task (opened by a discharge
plan that advises leave) and opens a task, due the day after the leave ends, asking how it went; recording
that answers it. The rules are domain/leave.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import copenhagen, tasks
    from dualpath.domain import leave as leave_rules
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.events import DomainEvent, LeaveEnded, LeaveGranted, TaskCompleted, TaskOpened
    from dualpath.domain.tasks import Task
    from dualpath.workflows import kit
    from dualpath.workflows.inpatient_stay_messages import (
        GrantLeaveCommand,
        LeaveOutcomeCommand,
        StayInput,
        StayResult,
        StayState,
    )
    from dualpath.workflows.kit import command


class LeaveCommands(kit.Process):
    """The updates `grant_leave` and `record_leave_outcome`, for the stay's workflow to inherit."""

    state: StayState
    _in: StayInput

    def _require_admitted(self) -> None:
        raise NotImplementedError

    def _whose(self) -> dict[str, str]:
        raise NotImplementedError

    def _opened(self, t: Task) -> TaskOpened:
        raise NotImplementedError

    def _done(self, position: int, **extra: Any) -> StayResult:
        raise NotImplementedError

    @command(lambda self, cmd: self._check_leave(cmd))
    async def grant_leave(self, cmd: GrantLeaveCommand) -> StayResult:
        leave_id = str(workflow.uuid4())
        follow_up = self._task_now(leave_rules.OUTCOME_TASK, cmd.to_date + timedelta(days=1))
        offer = next((t for t in self._open_tasks() if t.kind == leave_rules.OFFER_TASK), None)
        note = f"leave {cmd.from_date.isoformat()} to {cmd.to_date.isoformat()}"
        events: list[DomainEvent] = [
            kit.from_fields(LeaveGranted, cmd, leave_id=leave_id, **self._whose()),
            self._opened(follow_up),
            *([TaskCompleted(task_id=offer.task_id, outcome="done", note=note)] if offer else []),
        ]
        position = await self._record(events, cmd.actor)
        if offer is not None:
            offer.state = "done"
        self.state.leave_offered = True
        self.state.leaves.append(kit.from_fields(leave_rules.Leave, cmd, leave_id=leave_id, task_id=follow_up.task_id))
        return self._done(position, leave_id=leave_id)

    def _check_leave(self, cmd: GrantLeaveCommand) -> None:
        self._require_admitted()
        try:
            leave_rules.check_grant(
                self.state.leaves, admitted_on=self._in.admitted_on, from_date=cmd.from_date, to_date=cmd.to_date
            )
        except leave_rules.LeaveRefused as exc:
            raise kit.refused(exc) from None

    @command(lambda self, cmd: self._check_leave_outcome(cmd))
    async def record_leave_outcome(self, cmd: LeaveOutcomeCommand) -> StayResult:
        leave = next(x for x in self.state.leaves if x.leave_id == cmd.leave_id)
        note = cmd.note.strip() if cmd.note and cmd.note.strip() else None
        task = self._task(leave.task_id) if leave.task_id else None
        done = [TaskCompleted(task_id=task.task_id, outcome="done", note=cmd.went)] if task else []
        ended = LeaveEnded(stay_id=self._in.stay_id, leave_id=leave.leave_id, went=cmd.went, note=note)
        position = await self._record([ended, *done], cmd.actor)
        if task is not None:
            task.state = "done"
        leave.went, leave.note, leave.task_id = cmd.went, note, None
        return self._done(position, leave_id=leave.leave_id)

    def _check_leave_outcome(self, cmd: LeaveOutcomeCommand) -> None:
        leave = next((x for x in self.state.leaves if x.leave_id == cmd.leave_id), None)
        try:
            leave_rules.check_outcome(leave, went=cmd.went, note=cmd.note, today=copenhagen.today(workflow.now()))
        except leave_rules.LeaveRefused as exc:
            raise kit.refused(exc) from None

    def _task_now(self, kind: str, due: date) -> Task:
        """A task of the stay's own (not a phase's catalogue task): leave offered, how a leave went."""
        title = leave_rules.OUTCOME_TITLE if kind == leave_rules.OUTCOME_TASK else None
        if title is None:
            activities = load_catalogue(self._in.catalogue_version).phase("inpatient", 4).activities
            title = next(a.name_da for a in activities if a.key == kind)
        task = self._clinicians_task(kind, title, due, mandatory=False)
        self._tasks = [*self._open_tasks(), task]
        return task

    def _clinicians_task(self, kind: str, title: str, due: date, *, mandatory: bool) -> Task:
        region, stay_id = self._in.region, self._in.stay_id
        return tasks.for_clinicians(
            str(workflow.uuid4()), kind, title, region=region, due=due, mandatory=mandatory, stay_id=stay_id
        )
