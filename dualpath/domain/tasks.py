"""Staff tasks (BPMN user tasks): the mandatory activities of a phase, and reminders.

A phase cannot be left while one of its mandatory tasks is open; staff close a
task as done, or as not possible with the reason (the patient declined, say).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel

from dualpath.domain.catalogue import Activity

TaskState = Literal["open", "done", "not_possible", "cancelled"]
Outcome = Literal["done", "not_possible"]

# Tasks closed by recording something else, not by ticking them off: the
# message tells staff where to record it.
CLOSED_BY_RECORD = {
    "consent_dialogue": "record the consent (POST /pathways/{id}/consents)",
    "network_meeting": "record the network meeting as held (POST /pathways/{id}/meetings/{meeting_id}/held)",
    "startup_meeting_accompaniment": "record the start-up meeting as held (POST "
    "/pathways/{id}/meetings/{meeting_id}/held)",
    "first_treatment_contact": "record the first treatment contact (POST /pathways/{id}/first-contact)",
}

# Which task a held meeting closes.
TASK_FOR_MEETING = {"network_meeting": "network_meeting", "startup_meeting": "startup_meeting_accompaniment"}


class TaskFacts(BaseModel):
    """What a task is: the part a worklist shows, and the event that opens it records (TaskOpened)."""

    task_id: str
    kind: str
    title: str
    phase: int | None
    owner_role: str
    owner_org: str
    due: date
    mandatory: bool


class Task(TaskFacts):
    """A task as the workflow that holds it keeps it."""

    stay_id: str | None = None
    state: TaskState = "open"
    overdue: bool = False
    outcome_note: str | None = None


def applicable(activities: list[Activity], facts: Set[str] = frozenset()) -> list[Activity]:
    """The mandatory activities whose condition (if any) is among the facts that hold."""
    return [a for a in activities if a.mandatory and (a.condition is None or a.condition in facts)]


def tasks_for_phase(
    activities: list[Activity],
    *,
    phase: int,
    entered_on: date,
    region: str,
    municipality: str,
    ids: list[str],
    stay_id: str | None = None,
) -> list[Task]:
    """The tasks entering `phase` opens: one per activity in `activities` (see `applicable`)."""
    wanted = activities
    return [
        Task(
            task_id=task_id,
            kind=a.key,
            title=a.name_da,
            phase=phase,
            owner_role=a.owner_role,
            owner_org=f"municipality:{municipality}" if a.owner_role == "municipality" else f"region:{region}",
            due=entered_on + timedelta(days=a.due_days),
            mandatory=True,
            stay_id=stay_id,
        )
        for a, task_id in zip(wanted, ids)
    ]


def for_clinicians(
    task_id: str, kind: str, title: str, *, region: str, due: date, mandatory: bool, stay_id: str | None = None
) -> Task:
    """A task for the region's clinicians outside a phase's catalogue: a follow-up after discharge, a reminder
    (a mandatory one must be closed before its process ends; none blocks a phase move, having no phase)."""
    return Task(
        task_id=task_id,
        kind=kind,
        title=title,
        phase=None,
        owner_role="clinician",
        owner_org=f"region:{region}",
        due=due,
        mandatory=mandatory,
        stay_id=stay_id,
    )


def blocking(tasks: list[Task], phase: int) -> list[Task]:
    return [t for t in tasks if t.state == "open" and t.mandatory and t.phase == phase]


class TaskRefused(ValueError):
    pass


def check_completion(task: Task | None, outcome: Outcome, note: str | None, process: str = "pathway") -> None:
    """Whether staff may close `task` so; `process` names what holds it (pathway, stay, transition)."""
    if task is None:
        raise TaskRefused(f"no open task with that id on this {process}: it does not exist or is closed already")
    if task.state != "open":
        raise TaskRefused(f"the task is {task.state} already: only open tasks can be completed")
    if outcome == "not_possible" and not (note and note.strip()):
        raise TaskRefused("closing a task as not possible needs the reason (e.g. the patient declined)")
    if outcome == "done" and task.kind in CLOSED_BY_RECORD:
        raise TaskRefused(
            f"'{task.kind}' is completed by recording it: {CLOSED_BY_RECORD[task.kind]}; or close it as not_possible "
            "with the reason"
        )
