"""Joint plans made or revised on their own, outside a meeting (spec §5, issue #18 item 7).

A mixin of the pathway's workflow: the plan (domain/joint_plans.py: who does what on each side, the crisis
plan, the next review) is recorded in the pathway's stream as `JointPlanRecorded` without a meeting. Plans
are versioned per pathway and kind across every stream that records them (meetings, transitions, this), so
the latest version is asked of the event store under the lock (activity `joint_plan_version`) and a revision
of anything but the latest is refused, saying the current version.

A plan with a next review date opens a task for the region's clinicians due that day (not mandatory: it
blocks no phase move; late, it is escalated like any task); the next revision of that kind answers it.
Plans made at a meeting open no such task.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dualpath.contracts.activities import JointPlanVersionQuery
    from dualpath.domain import copenhagen, joint_plans, tasks
    from dualpath.domain.events import Actor, DomainEvent, TaskCompleted
    from dualpath.domain.meeting_events import JointPlanRecorded
    from dualpath.domain.meetings import JointPlanInput
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import CommandResult
    from dualpath.workflows.pathway_part import PathwayPart

VERSION_TIMEOUT = timedelta(seconds=10)
# PostgreSQL may be away for a while: keep asking, as an append does.
VERSION_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


class JointPlanCommand(JointPlanInput):
    """A joint plan made (`revises` None: the first of its kind on the pathway) or revised (`revises`: the
    latest version, which the revision replaces)."""

    revises: int | None = Field(default=None, ge=1, description="The version revised; none for the first")
    actor: Actor


class JointPlanCommands(PathwayPart):
    """The update `record_joint_plan`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_joint_plan(cmd))
    async def record_joint_plan(self, cmd: JointPlanCommand) -> CommandResult:
        current = await kit.refusing(
            workflow.execute_activity(
                "joint_plan_version",
                JointPlanVersionQuery(pathway_id=self.state.pathway_id, kind=cmd.kind),
                result_type=int,
                start_to_close_timeout=VERSION_TIMEOUT,
                retry_policy=VERSION_RETRY,
            )
        )
        try:
            joint_plans.check_revision(cmd.kind, cmd.revises, current)
        except joint_plans.JointPlanRefused as exc:
            raise kit.refused(exc, details={"allowed": exc.allowed}) from None
        version, review = current + 1, joint_plans.review_task_kind(cmd.kind)
        events: list[DomainEvent] = [
            kit.from_fields(JointPlanRecorded, cmd, pathway_id=self.state.pathway_id, meeting_id=None)
        ]
        # The revision is the review the last version asked for.
        reviewed = [t for t in self._open_tasks() if t.kind == review]
        note = f"revised: version {version}"
        events += [TaskCompleted(task_id=t.task_id, outcome="done", note=note) for t in reviewed]
        task = None
        if cmd.next_review is not None:
            title = joint_plans.review_task_title(cmd.kind, version)
            task = tasks.for_clinicians(
                str(workflow.uuid4()), review, title, region=self.state.region, due=cmd.next_review, mandatory=False
            )
            events.append(kit.task_opened(task, pathway_id=self.state.pathway_id))
        position = await self._record(events, cmd.actor)
        for t in reviewed:
            t.state, t.outcome_note = "done", note
        if task is not None:
            self._tasks = [*self._open_tasks(), task]
        return self._done(position)

    def _check_joint_plan(self, cmd: JointPlanCommand) -> None:
        self._require_active()
        try:
            joint_plans.check_content(cmd, today=copenhagen.local_date(workflow.now()), require_actions=True)
        except joint_plans.JointPlanRefused as exc:
            raise kit.refused(exc, details={"allowed": exc.allowed}) from None
