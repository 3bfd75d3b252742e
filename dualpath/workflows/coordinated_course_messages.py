"""What the coordinated course's workflow takes and answers, and how another workflow starts it.

Kept apart from `coordinated_course.py` so that the referral and the pathway start the course without
importing its workflow (the child is started by its workflow type's name).
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from dualpath import workflow_ids
from dualpath.domain.coordinated_course import CourseStatus, Origin
from dualpath.domain.events import Actor
from dualpath.domain.tasks import Task
from dualpath.domain.validation import Input
from dualpath.workflows.kit import StaffCommand

# The referral's decline and the pathway's planned end to coordinated treatment start a course behind this
# patch, so that histories recorded before it replay with the commands they ran.
COORDINATED_FOLLOW_UP = "coordinated-course-follow-up"
WORKFLOW_TYPE = "CoordinatedCourseWorkflow"


class CourseInput(Input):
    course_id: str
    origin: Origin
    origin_id: str
    pathway_id: str | None = None
    patient_id: str
    region: str | None
    municipality: str
    # The patient's consent to dialogue with the municipality (planned closure), or the municipality's own
    # referral (declined referral): then the municipality follows the course up, else the region alone.
    shared_with_municipality: bool
    actor: Actor


class RelapseCommand(StaffCommand):
    """The patient is referred back to visitation: the new referral's id, drawn by the caller beforehand."""

    referral_id: str
    reason: str = Field(max_length=2000)


class CourseState(BaseModel):
    status: CourseStatus = "active"
    started_on: date | None = None
    check_in_on: date | None = None
    ends_on: date | None = None
    task_days: int = 0
    check_in_opened: bool = False
    relapse_referral_id: str | None = None


class CourseView(BaseModel):
    course_id: str
    origin: Origin
    origin_id: str
    region: str | None
    municipality: str
    status: CourseStatus
    started_on: date | None
    check_in_on: date | None
    ends_on: date | None
    check_in_opened: bool
    relapse_referral_id: str | None
    open_tasks: list[Task]


class CourseResult(BaseModel):
    course: CourseView
    position: int


def task_due(opened_on: date, task_days: int) -> date:
    return opened_on + timedelta(days=task_days)


async def start_as_child(course: CourseInput, summary: str) -> None:
    """Start the course from the workflow that ended integrated care (a referral's decline, a pathway's planned
    closure). The course outlives its origin (ParentClosePolicy.ABANDON)."""
    await workflow.start_child_workflow(
        WORKFLOW_TYPE,
        course,
        id=workflow_ids.coordinated(course.course_id, course.region),
        parent_close_policy=ParentClosePolicy.ABANDON,
        static_summary=summary,
    )
