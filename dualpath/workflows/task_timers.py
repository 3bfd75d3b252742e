"""Boundary timers on staff tasks: when the next open task falls due, and which are late.

Shared by every workflow that holds tasks (pathway, inpatient stay). A task is
late from the Copenhagen midnight after its due date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import copenhagen
    from dualpath.domain.events import Actor, DomainEvent, TaskOverdue
    from dualpath.domain.tasks import Task


def until_next_due(tasks: list[Task]) -> timedelta | None:
    dues = [t.due for t in tasks if t.state == "open" and not t.overdue]
    if not dues:
        return None
    return max(copenhagen.midnight(min(dues) + timedelta(days=1)) - workflow.now(), timedelta(0))


def newly_overdue(tasks: list[Task]) -> list[Task]:
    today = copenhagen.local_date(workflow.now())
    return [t for t in tasks if t.state == "open" and not t.overdue and t.due < today]


async def escalate_overdue(tasks: list[Task], record: Callable[[list[DomainEvent], Actor], Awaitable]) -> None:
    """Record TaskOverdue for each open task past its due date, once, and mark it."""
    late = newly_overdue(tasks)
    if late:
        await record([TaskOverdue(task_id=t.task_id, due=t.due) for t in late], Actor.engine())
        for t in late:
            t.overdue = True
