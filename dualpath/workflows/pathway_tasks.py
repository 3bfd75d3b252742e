"""Staff tasks closed on the pathway, for the pathway's workflow.

A mixin of the pathway's workflow: `complete_task` closes an open task, done or not possible with the reason
(TaskCompleted); the signal `meeting_held` closes the task a held meeting fulfils (a network meeting, a
start-up meeting: domain/tasks.py TASK_FOR_MEETING).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import tasks
    from dualpath.domain.events import Actor, TaskCompleted
    from dualpath.workflows.kit import CompleteTaskCommand, command
    from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL, MeetingHeldSignal
    from dualpath.workflows.pathway_messages import CommandResult
    from dualpath.workflows.pathway_part import PathwayPart


class TaskCommands(PathwayPart):
    """The update `complete_task` and the signal `meeting_held`, for the pathway's workflow to inherit."""

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
