"""The coordinated course after integrated care, followed for the period the settings name.

One workflow per course, id `coordinated-<region>-<course_id>` (dualpath/workflow_ids.py), the only
writer of the event stream `coordinated-<course_id>`. Started as a child (ParentClosePolicy.ABANDON) by a
referral's decline and by a pathway's planned closure to coordinated treatment
(`coordinated_course_messages.start_as_child`, behind the patch `coordinated-course-follow-up`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.contracts.activities import CoordinatedPeriodsQuery
    from dualpath.domain import coordinated_course as rules
    from dualpath.domain import copenhagen
    from dualpath.domain.coordinated_course import (
        CHECK_IN_TASK,
        FOLLOW_UP_TASK,
        TITLES,
        CoordinatedCourseCheckInDue,
        CoordinatedCourseEnded,
        CoordinatedCourseRelapsed,
        CoordinatedCourseStarted,
        CourseRefused,
        Periods,
    )
    from dualpath.domain.events import Actor, TaskCancelled
    from dualpath.domain.tasks import Task
    from dualpath.workflows import kit
    from dualpath.workflows.coordinated_course_messages import (
        CourseInput,
        CourseResult,
        CourseState,
        CourseView,
        RelapseCommand,
        task_due,
    )
    from dualpath.workflows.kit import CompleteTaskCommand, command

# `coordinated-<region>-<course_id>` (without a region, `coordinated-<course_id>`); stream `coordinated-<id>`.
workflow_id, stream_id = workflow_ids.coordinated, workflow_ids.coordinated_stream

PERIODS_TIMEOUT = kit.APPEND_TIMEOUT


@workflow.defn(name="CoordinatedCourseWorkflow", failure_exception_types=[ValidationError])
class CoordinatedCourseWorkflow(kit.Process):
    """The coordinated course after a planned closure or a declined referral (spec §1, §2).

    On start: asks the settings for its periods (`coordinated_course_periods`, an activity: the answer is
    in the history, so the course keeps the periods it started with), records CoordinatedCourseStarted and a
    follow-up task for the municipality (or, when the course is not shared with it, the region's visitation).
    Timers: on the check-in date a check-in task (CoordinatedCourseCheckInDue); at the end of the period
    CoordinatedCourseEnded, its open tasks cancelled. An open task past its due date escalates (TaskOverdue).
    Updates (a validator refuses an illegal one with type CommandRefused, writing nothing):
    - `complete_task(CompleteTaskCommand) -> CourseResult`
    - `relapse(RelapseCommand) -> CourseResult`: referred back to visitation with the new referral's id
      (drawn by the caller, who then starts that referral idempotently): CoordinatedCourseRelapsed; the course ends.
    Queries: `view() -> CourseView`.
    """

    @workflow.init
    def __init__(self, input: CourseInput) -> None:
        super().__init__(stream_id(input.course_id))
        self._in = input
        self.state = CourseState()

    @workflow.run
    async def run(self, input: CourseInput) -> CourseView:
        periods = await workflow.execute_activity(
            "coordinated_course_periods",
            CoordinatedPeriodsQuery(region=input.region),
            result_type=Periods,
            start_to_close_timeout=PERIODS_TIMEOUT,
        )
        async with self._lock:
            dates = rules.dates(copenhagen.local_date(workflow.now()), periods)
            started = kit.from_fields(CoordinatedCourseStarted, input, dates)
            first = self._new_task(FOLLOW_UP_TASK, dates.first_task_due)
            self._tasks = [first]
            await self._record([started, kit.task_opened(first, referral_id=input.course_id)], input.actor)
            self.state.started_on, self.state.check_in_on, self.state.ends_on = (
                dates.started_on,
                dates.check_in_on,
                dates.ends_on,
            )
            self.state.task_days = periods.task_days
            self._ready = True
        self._publish()

        while self.state.status == "active":
            at = copenhagen.midnight(self.state.ends_on if self.state.check_in_opened else self.state.check_in_on)
            await self._wait_for_change_or_due(lambda: self.state.status != "active", until=at)
            if self.state.status == "active" and workflow.now() >= at:
                async with self._lock:
                    if self.state.status != "active":
                        break
                    if not self.state.check_in_opened:
                        await self._check_in()
                    else:
                        await self._end()
                self._publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    async def _check_in(self) -> None:
        assert self.state.check_in_on is not None
        task = self._new_task(CHECK_IN_TASK, task_due(self.state.check_in_on, self.state.task_days))
        self._tasks = [*self._open_tasks(), task]
        await self._record(
            [
                CoordinatedCourseCheckInDue(
                    course_id=self._in.course_id, check_in_on=self.state.check_in_on, task_id=task.task_id
                ),
                kit.task_opened(task, referral_id=self._in.course_id),
            ],
            Actor.engine(),
        )
        self.state.check_in_opened = True

    async def _end(self) -> None:
        assert self.state.ends_on is not None
        open_ = self._open_tasks()
        await self._record(
            [
                CoordinatedCourseEnded(course_id=self._in.course_id, ended_on=self.state.ends_on),
                *(TaskCancelled(task_id=t.task_id, reason="the coordinated course's follow-up ended") for t in open_),
            ],
            Actor.engine(),
        )
        self._tasks = []
        self.state.status = "ended"

    @workflow.query
    def view(self) -> CourseView:
        return self._view()

    # -- commands -------------------------------------------------------------------------

    @command(lambda self, cmd: self._check_task_completion(cmd))
    async def complete_task(self, cmd: CompleteTaskCommand) -> CourseResult:
        position = await self._close_task(cmd)
        return self._done(position)

    def _check_task_completion(self, cmd: CompleteTaskCommand) -> None:
        self._refuse_unless_active()
        self._check_task(cmd, "coordinated course")

    @command(lambda self, cmd: self._check_relapse(cmd))
    async def relapse(self, cmd: RelapseCommand) -> CourseResult:
        open_ = self._open_tasks()
        position = await self._record(
            [
                CoordinatedCourseRelapsed(
                    course_id=self._in.course_id,
                    referral_id=cmd.referral_id,
                    relapsed_on=copenhagen.local_date(workflow.now()),
                    reason=cmd.reason.strip(),
                ),
                *(TaskCancelled(task_id=t.task_id, reason="referred back to visitation (relapse)") for t in open_),
            ],
            cmd.actor,
        )
        self._tasks = []
        self.state.status, self.state.relapse_referral_id = "relapsed", cmd.referral_id
        return self._done(position)

    def _check_relapse(self, cmd: RelapseCommand) -> None:
        try:
            rules.check_relapse(self.state.status, cmd.reason)
        except CourseRefused as exc:
            raise kit.refused(exc) from None

    # -- helpers --------------------------------------------------------------------------

    def _refuse_unless_active(self) -> None:
        if self.state.status != "active":
            raise kit.refused(CourseRefused(f"the coordinated course is {self.state.status}: no further commands"))

    def _new_task(self, kind: str, due: Any) -> Task:
        role, org = rules.owner(self._in.shared_with_municipality, self._in.region or "", self._in.municipality)
        return Task(
            task_id=str(workflow.uuid4()),
            kind=kind,
            title=TITLES[kind],
            phase=None,
            owner_role=role,
            owner_org=org,
            due=due,
            mandatory=True,
        )

    def _done(self, position: int) -> CourseResult:
        self._changed = True
        self._publish()
        return CourseResult(course=self._view(), position=position)

    def _view(self) -> CourseView:
        return kit.from_fields(CourseView, self._in, self.state, open_tasks=self._open_tasks())

    def _publish(self) -> None:
        active = self.state.status == "active"
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.PATHWAY_KIND.value_set("coordinated"),
            sa.MUNICIPALITY.value_set(self._in.municipality),
            sa.OVERDUE.value_set(active and any(t.overdue for t in self._open_tasks())),
        ]
        if self._in.region:
            attrs.append(sa.REGION.value_set(self._in.region))
        self._upsert(attrs)
