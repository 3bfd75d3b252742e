"""The workflow kit: the plumbing every durable process here shares, written once.

A workflow is a `Process`: it names its event stream and says when it is ready for commands
(its opening events recorded); the kit gives it

- `command(check)`: a staff command declared once — the same `check` is the update's validator
  (refusing an illegal command before anything is written) and runs again under the lock, since
  another command may have run while this one waited;
- `one_at_a_time()`: the lock, for signals and timers, so the stream's expected version and the
  state move together;
- `_record(events, actor)`: the events appended to the workflow's own stream, in its order;
- open tasks: `_open_tasks`, `_close_task`, the due-date wait that escalates late tasks.

Recording: event ids are drawn with `workflow.uuid4()` before the activity runs, so a retried
append carries the same ids and the store recognises it instead of doubling it. An append is
retried for as long as PostgreSQL is away, but never when the data itself is refused
(activities/invalid_data.py): then `record` raises an `ApplicationError` of type `InvalidData`,
which refuses the command that caused it (an update handler's ApplicationError fails that update
only) and the workflow goes on taking commands. A handler must leave its state as it was when
`record` raises: record first and change the state after (tasks it opened are dropped here).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath.contracts.activities import INVALID_DATA
    from dualpath.contracts.events import AppendEvents, AppendResult, NewEvent
    from dualpath.domain import copenhagen, tasks
    from dualpath.domain.catalogue import Activity
    from dualpath.domain.events import Actor, DomainEvent, TaskCompleted, TaskOpened, TaskOverdue
    from dualpath.domain.tasks import Outcome, Task
    from dualpath.domain.validation import Input

# An append takes milliseconds; a short limit means a worker that died mid-append
# delays its command by seconds, not half a minute.
APPEND_TIMEOUT = timedelta(seconds=10)
# PostgreSQL may be away for a while (a restart, a failover); keep trying for
# as long as it takes, backing off to one attempt every 10 s so work resumes
# soon after it returns.
APPEND_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))

# The append runs as a local activity, inside the workflow task that took the command: one
# workflow task per command instead of two and an activity task. It is short, idempotent (the
# event ids are drawn before it) and needs nothing but the worker's own pool. Retries back off in
# the worker up to APPEND_LOCAL_RETRIES; longer backoffs (PostgreSQL away for more than a few
# seconds) become durable timers, so an outage never holds a workflow task open. Histories
# recorded before this patch replay with the activity they ran.
APPEND_IN_WORKFLOW_TASK = "append-in-workflow-task"
APPEND_LOCAL_RETRIES = timedelta(seconds=3)

# A command publishes only the search attributes it changed, and leaves the due-date timer running
# when the next due instant stays where it was: two commands fewer in the history, and the
# server's work for them, per staff command. Patches, so that earlier histories replay as recorded.
PUBLISH_CHANGES_ONLY = "publish-changes-only"
KEEP_DUE_TIMER = "keep-due-timer"

# Activity failures that refuse the command which caused them rather than fail the workflow.
REFUSING = (INVALID_DATA, "CommandRefused")

T = TypeVar("T")
P = TypeVar("P", bound="Process")
C = TypeVar("C")
R = TypeVar("R")


# -- commands shared by more than one workflow ------------------------------------------------
# `Input`s (domain/validation.py): a workflow judges their text and dates as it decodes them, so
# a command sent straight to Temporal is refused like one sent through the API.


class StaffCommand(Input):
    """A command from a member of staff: what they want done, and who they are (recorded with its events)."""

    actor: Actor


class MovePhaseCommand(StaffCommand):
    """A move to another phase (of the pathway or the stay); the rules say when it needs its reason."""

    to: int
    reason: str | None = None


class CompleteTaskCommand(StaffCommand):
    """A task closed by staff: done, or not possible with the reason (the patient declined, say)."""

    task_id: str
    outcome: Outcome
    note: str | None = None


# -- recording --------------------------------------------------------------------------------


async def record(stream_id: str, expected_version: int, events: list[DomainEvent], actor: Actor) -> AppendResult:
    request = AppendEvents(
        stream_id=stream_id,
        expected_version=expected_version,
        events=[
            NewEvent(
                event_id=workflow.uuid4(),
                type=e.type_name(),
                data=e.model_dump(mode="json"),
                metadata={"actor": actor.model_dump(), "workflow_id": workflow.info().workflow_id},
            )
            for e in events
        ],
    )
    if workflow.patched(APPEND_IN_WORKFLOW_TASK):
        return await refusing(
            workflow.execute_local_activity(
                "append_events",
                request,
                result_type=AppendResult,
                start_to_close_timeout=APPEND_TIMEOUT,
                retry_policy=APPEND_RETRY,
                local_retry_threshold=APPEND_LOCAL_RETRIES,
            )
        )
    return await refusing(
        workflow.execute_activity(
            "append_events",
            request,
            result_type=AppendResult,
            start_to_close_timeout=APPEND_TIMEOUT,
            retry_policy=APPEND_RETRY,
        )
    )


async def refusing(activity: Awaitable[T]) -> T:
    """Await an activity; if it failed on the command's data (or refused it), refuse the command."""
    try:
        return await activity
    except ActivityError as err:
        refused = refusal(err)
        if refused is None:
            raise
        raise refused from None


def refusal(err: ActivityError) -> ApplicationError | None:
    """The command's refusal when an activity failed on its data (or refused it), else None.

    Raised from an update handler it fails that update only, with the activity's reason and type;
    the API answers it like a validator's refusal."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in REFUSING:
        return ApplicationError(cause.message, type=cause.type)
    return None


def refused(err: Exception, type: str = "CommandRefused", details: Any = None) -> ApplicationError:
    """A rule's refusal as the update's answer. Only an ApplicationError fails an update; any other
    exception would fail the workflow task and retry it forever."""
    return ApplicationError(str(err), *([details] if details is not None else []), type=type)


# -- tasks ------------------------------------------------------------------------------------


def task_opened(task: Task, **where: str | None) -> TaskOpened:
    """The event that puts `task` on a worklist; `where` says whose it is (pathway_id, stay_id, referral_id)."""
    return from_fields(TaskOpened, task, **where)


M = TypeVar("M", bound=BaseModel)


def from_fields(model: type[M], *sources: BaseModel, **given: Any) -> M:
    """A `model` (an event, a child's input, a view) made of the fields it shares with `sources` (a
    command, the workflow's input or state; a later source over an earlier); `given` adds the rest or
    says otherwise."""
    shared = set(model.model_fields) - set(given)
    fields: dict[str, Any] = {}
    for source in sources:
        fields.update(source.model_dump(include=shared))
    return model.model_validate({**fields, **given})


def until_next_due(open_tasks: list[Task]) -> timedelta | None:
    """How long until the next open task is late (from the Copenhagen midnight after its due date)."""
    dues = [t.due for t in open_tasks if not t.overdue]
    if not dues:
        return None
    return max(copenhagen.midnight(min(dues) + timedelta(days=1)) - workflow.now(), timedelta(0))


async def wait_until(condition: Callable[[], bool], at: datetime) -> bool:
    """True when `condition` held before the instant `at`, False when `at` came first (a durable timer)."""
    delay = at - workflow.now()
    if delay <= timedelta(0):
        return condition()
    try:
        await workflow.wait_condition(condition, timeout=delay)
        return True
    except TimeoutError:
        return False


class _Version(BaseModel):
    version: int = 0  # events in the stream so far


# -- the process ------------------------------------------------------------------------------


class Process:
    """What a workflow holding an event stream (and maybe tasks) has in common.

    A subclass calls `super().__init__(stream_id, versioned)` from its `@workflow.init`, sets
    `self._ready = True` once its opening events are recorded (commands wait for it, so the stream
    opens with them) and gives `_publish`. `versioned` is the state model carried across
    continue-as-new, when there is one: the stream's version lives in its `version` field."""

    def __init__(self, stream_id: str, versioned: Any = None) -> None:
        self._stream_id = stream_id
        self._versioned = versioned if versioned is not None else _Version()
        self._ready = False
        # Handlers await activities; the lock keeps one command at a time.
        self._lock = asyncio.Lock()
        self._changed = False  # set by a command: the main loop's wait recomputes its due dates
        self._task_list: list[Task] = []
        self._due_timer: tuple[datetime, asyncio.Future[None]] | None = None  # (when it fires, the timer)

    def _is_ready(self) -> bool:
        return self._ready

    def _publish(self) -> None:
        """Upsert the search attributes the Temporal UI and the operators' queries see (`_upsert`)."""

    def _upsert(self, attrs: Sequence[SearchAttributeUpdate[Any]]) -> None:
        """Upsert those of `attrs` whose value is not already the workflow's (most commands change
        one or two); histories recorded before the patch upserted them all every time."""
        if workflow.patched(PUBLISH_CHANGES_ONLY):
            current = workflow.info().typed_search_attributes
            attrs = [a for a in attrs if current.get(a.key) != a.value]
            if not attrs:
                return
        workflow.upsert_search_attributes(attrs)

    @property
    def _tasks(self) -> list[Task]:
        """The open tasks (and those closed by the command under way); a workflow that carries its
        tasks across continue-as-new overrides this to keep them in its state."""
        return self._task_list

    @_tasks.setter
    def _tasks(self, value: list[Task]) -> None:
        self._task_list = value

    # What the kit gives.

    @asynccontextmanager
    async def one_at_a_time(self) -> AsyncIterator[None]:
        await workflow.wait_condition(self._is_ready)
        async with self._lock:
            yield

    async def _record(self, events: list[DomainEvent], actor: Actor) -> int:
        """Append `events` to the stream; the event-store position of the last one."""
        try:
            result = await record(self._stream_id, self._versioned.version, events, actor)
        except ApplicationError:
            # Refused (its data could not be stored): the tasks these events would open were never opened.
            opened = {e.task_id for e in events if isinstance(e, TaskOpened)}
            self._tasks = [t for t in self._tasks if t.task_id not in opened]
            raise
        self._versioned.version = result.last_version
        return result.last_position

    def _open_tasks(self) -> list[Task]:
        return [t for t in self._tasks if t.state == "open"]

    def _task(self, task_id: str) -> Task | None:
        return next((t for t in self._open_tasks() if t.task_id == task_id), None)

    def _enter_phase(
        self, phase: int, activities: list[Activity], *, region: str, municipality: str, **where: str
    ) -> list[DomainEvent]:
        """Open a task per mandatory activity of the phase entered today; their TaskOpened events
        (`where` says whose: pathway_id, stay_id)."""
        new = tasks.tasks_for_phase(
            activities,
            phase=phase,
            entered_on=copenhagen.local_date(workflow.now()),
            region=region,
            municipality=municipality,
            ids=[str(workflow.uuid4()) for _ in activities],
            stay_id=where.get("stay_id"),
        )
        self._tasks = self._open_tasks() + new
        return [task_opened(t, **where) for t in new]

    def _check_leaving(self, phase: str, blocking: list[Task]) -> None:
        """Refuse leaving `phase` (e.g. "stay phase 2") while its mandatory tasks are open."""
        if blocking:
            names = ", ".join(f"{t.kind} ({t.task_id})" for t in blocking)
            raise ApplicationError(
                f"{phase} has open mandatory tasks: {names}; complete each, or close it as not_possible with the "
                "reason, before leaving the phase",
                {"open_tasks": [t.model_dump(mode="json") for t in blocking]},
                type="MoveRefused",
            )

    def _check_task(self, cmd: CompleteTaskCommand, process: str) -> None:
        try:
            tasks.check_completion(self._task(cmd.task_id), cmd.outcome, cmd.note, process)
        except tasks.TaskRefused as exc:
            raise refused(exc) from None

    async def _close_task(self, cmd: CompleteTaskCommand) -> int:
        """Record a checked task completion (staff's), mark it, and drop closed tasks from the state."""
        position = await self._record(
            [TaskCompleted(task_id=cmd.task_id, outcome=cmd.outcome, note=cmd.note)], cmd.actor
        )
        task = self._task(cmd.task_id)
        if task is not None:
            task.state, task.outcome_note = cmd.outcome, cmd.note
        # Closed tasks are history (they live in the event store); keep only what is open.
        self._tasks = self._open_tasks()
        return position

    async def _wait_for_change_or_due(
        self, stop: Callable[[], bool] = lambda: False, until: datetime | None = None
    ) -> None:
        """Sleep until a command changes something, `stop()` holds, an open task falls late, or the
        instant `until` (a process's own timer) comes: then record TaskOverdue for each late task, once."""
        self._changed = False
        timeout = until_next_due(self._open_tasks())
        if until is not None:
            own = max(until - workflow.now(), timedelta(0))
            timeout = own if timeout is None else min(timeout, own)
        if workflow.patched(KEEP_DUE_TIMER):
            if not await self._due_timer_fired(timeout, stop):
                return
        else:
            try:
                await workflow.wait_condition(lambda: self._changed or stop(), timeout=timeout)
                return
            except TimeoutError:
                pass
        async with self._lock:
            today = copenhagen.local_date(workflow.now())
            late = [t for t in self._open_tasks() if not t.overdue and t.due < today]
            if late:
                await self._record([TaskOverdue(task_id=t.task_id, due=t.due) for t in late], Actor.engine())
                for t in late:
                    t.overdue = True
        self._publish()

    async def _due_timer_fired(self, timeout: timedelta | None, stop: Callable[[], bool]) -> bool:
        """Wait as `_wait_for_change_or_due` does, on a timer kept across commands that leave the next
        due instant where it was (most do): a command then costs no timer cancelled and started again.
        True when the timer fired."""
        at = workflow.now() + timeout if timeout is not None else None
        if self._due_timer is not None and self._due_timer[0] != at:
            self._due_timer[1].cancel()
            self._due_timer = None
        if self._due_timer is None and at is not None and timeout is not None:
            self._due_timer = (at, asyncio.ensure_future(workflow.sleep(timeout)))
        timer = self._due_timer
        await workflow.wait_condition(lambda: self._changed or stop() or (timer is not None and timer[1].done()))
        if timer is not None and timer[1].done():
            self._due_timer = None
            return True
        if stop() and timer is not None:
            timer[1].cancel()
            self._due_timer = None
        return False


def command(check: Callable[[Any, Any], None] | None = None) -> Callable[[Callable[[P, C], Awaitable[R]]], Any]:
    """A staff command (a Temporal update) with its check declared once.

    `check(self, cmd)` raises ApplicationError to refuse: Temporal runs it as the update's validator
    (nothing is written, nothing enters the history) and the handler runs it again under the lock.
    The handler runs once the process is ready, one command at a time."""

    def declare(handler: Callable[[P, C], Awaitable[R]]) -> Any:
        @functools.wraps(handler)
        async def update(self: P, cmd: C) -> R:
            async with self.one_at_a_time():
                if check is not None:
                    check(self, cmd)
                return await handler(self, cmd)

        defined = workflow.update(update)
        if check is not None:

            def validate(self: P, cmd: C) -> None:
                check(self, cmd)

            # Temporal wants the validator's parameters to be the handler's, annotations included.
            validate.__signature__ = inspect.signature(handler).replace(  # type: ignore[attr-defined]
                return_annotation=None
            )
            validate.__name__ = f"_validate_{handler.__name__}"
            defined.validator(validate)
        return defined

    return declare
