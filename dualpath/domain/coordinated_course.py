"""The coordinated course after integrated care (spec §1 "who treats what", §2 the level `coordinated`).

After a planned closure of the integrated pathway to coordinated treatment, or a referral that visitation
declined, the patient is in parallel, coordinated treatment: the municipality's substance treatment is the
counterpart, psychiatry the other party. The engine follows that course for a period (a setting): a
follow-up task for the municipality at the start, a check-in task on the check-in date, and the end of the
period, unless a relapse refers the patient back to visitation first (a new referral that names the course).

Its events (stream `coordinated-<course_id>`, each carrying `course_id`) and its pure rules: no I/O.
The stream also holds TaskOpened / TaskCompleted / TaskCancelled / TaskOverdue for its worklist tasks
(their `referral_id` is the course id, as a transition's are).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel

from dualpath.domain.events import DomainEvent

Origin = Literal["declined_referral", "planned_closure"]
CourseStatus = Literal["active", "relapsed", "ended"]

FOLLOW_UP_TASK = "coordinated_follow_up"
CHECK_IN_TASK = "coordinated_check_in"
TITLES = {
    FOLLOW_UP_TASK: "Opfølgning på koordineret forløb efter integreret behandling",
    CHECK_IN_TASK: "Status på koordineret forløb (check-in)",
}


class Periods(BaseModel):
    """The settings a course runs on, in days (dualpath/settings.py `coordinated_*`)."""

    follow_up_days: int
    check_in_days: int
    task_days: int


class CourseDates(BaseModel):
    started_on: date
    first_task_due: date
    check_in_on: date
    ends_on: date


def dates(started_on: date, periods: Periods) -> CourseDates:
    """The course's dates from the day it starts: the check-in falls within the period."""
    if not 0 < periods.check_in_days < periods.follow_up_days:
        raise ValueError(
            f"the check-in ({periods.check_in_days} days) must fall within the follow-up period "
            f"({periods.follow_up_days} days)"
        )
    return CourseDates(
        started_on=started_on,
        first_task_due=started_on + timedelta(days=periods.task_days),
        check_in_on=started_on + timedelta(days=periods.check_in_days),
        ends_on=started_on + timedelta(days=periods.follow_up_days),
    )


class CourseRefused(ValueError):
    """A command the course's state does not allow; says why."""


def check_relapse(status: CourseStatus, reason: str | None) -> None:
    if status != "active":
        raise CourseRefused(
            f"the coordinated course is {status}: a relapse is referred back to visitation only while the course "
            "is followed (active); refer the patient anew through POST /referrals"
        )
    if not (reason and reason.strip()):
        raise CourseRefused("a relapse needs the reason (what has worsened): it is recorded with the referral back")


def owner(shared_with_municipality: bool, region: str, municipality: str) -> tuple[str, str]:
    """Who follows the course up (owner_role, owner_org): the municipality when the course is shared with it
    (the patient's consent to dialogue, or the municipality's own referral); else the region's visitation
    alone, as psychiatry assesses alone without consent (spec §5)."""
    if shared_with_municipality:
        return "municipality", f"municipality:{municipality}"
    return "visitation", f"region:{region}"


# -- events -------------------------------------------------------------------------------------


class CoordinatedCourseStarted(DomainEvent):
    course_id: str
    origin: Origin
    origin_id: str  # the declined referral, or the pathway closed to coordinated treatment
    pathway_id: str | None  # the closed pathway (planned closure); None after a declined referral
    patient_id: str
    region: str | None
    municipality: str
    shared_with_municipality: bool
    started_on: date
    check_in_on: date
    ends_on: date


class CoordinatedCourseCheckInDue(DomainEvent):
    """The check-in date has come: its task is on the owner's worklist (TaskOpened in the same append)."""

    course_id: str
    check_in_on: date
    task_id: str


class CoordinatedCourseRelapsed(DomainEvent):
    """Referred back to visitation: the new referral names this course; the course ends with it."""

    course_id: str
    referral_id: str
    relapsed_on: date
    reason: str


class CoordinatedCourseEnded(DomainEvent):
    """The follow-up period is over without a relapse."""

    course_id: str
    ended_on: date
