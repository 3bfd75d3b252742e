"""The coordinated course after integrated care: followed for a period, or referred back to visitation."""

from __future__ import annotations

from typing import get_args

from dualpath.diagrams.model import REASON, Builder, Process, has_members
from dualpath.domain import coordinated_course as course
from dualpath.workflows import referral


def build_coordinated_course() -> Process:
    b = Builder(
        "coordinated",
        "Koordineret forløb (coordinated course) efter integreret behandling",
        "After a planned closure to coordinated treatment or a declined referral (spec §1, §2), the coordinated "
        "course is followed for the period the settings name: a follow-up task for the municipality at the start "
        "(the region's visitation when the course is not shared with the municipality), a check-in task on the "
        "check-in date, and the end of the period; a relapse refers the patient back to visitation with a new "
        "referral that names the course, and the course ends with it.",
        (
            "dualpath/domain/coordinated_course.py: Origin, CourseStatus, dates, check_relapse, owner",
            "dualpath/workflows/coordinated_course.py: CoordinatedCourseWorkflow (updates, timers)",
            "dualpath/settings.py: coordinated_follow_up_days, coordinated_check_in_days, coordinated_task_days",
        ),
    )
    from dualpath.workflows import coordinated_course as wf

    has_members(wf.CoordinatedCourseWorkflow, ("relapse", "complete_task"))
    statuses = get_args(course.CourseStatus)
    if set(statuses) != {"active", "relapsed", "ended"}:
        raise ValueError("the coordinated course's statuses changed: its diagram needs updating")
    origins = " | ".join(get_args(course.Origin))

    b.add("start", "startEvent", f"{course.CoordinatedCourseStarted.__name__} ({origins})")
    b.add("periods", "serviceTask", "coordinated_course_periods: perioderne fra indstillingerne", col=1)
    b.flow("start", "periods")
    sp = b.add("active", "subProcess", "active: forløbet følges", col=2)
    b.flow("periods", sp)
    b.add("a_start", "startEvent", "", parent=sp, col=2)
    b.add(
        "follow_up",
        "userTask",
        f"{course.FOLLOW_UP_TASK}: opfølgning (kommunen)",
        parent=sp,
        col=3,
        detail=("frist: coordinated_task_days efter start",),
    )
    b.add(
        "check_in",
        "intermediateCatchEvent",
        f"check-in-dato ({course.CoordinatedCourseCheckInDue.__name__})",
        event="timer",
        timer=("timeDate", "check_in_on (Europe/Copenhagen)"),
        parent=sp,
        col=4,
    )
    b.add(
        "check_in_task",
        "userTask",
        f"{course.CHECK_IN_TASK}: status (kommunen)",
        parent=sp,
        col=5,
        detail=("frist: coordinated_task_days efter check-in",),
    )
    b.add(
        "period_over",
        "intermediateCatchEvent",
        "perioden slut (ends_on)",
        event="timer",
        timer=("timeDate", "ends_on (Europe/Copenhagen)"),
        parent=sp,
        col=6,
    )
    b.add("a_end", "endEvent", "", parent=sp, col=7)
    b.flow("a_start", "follow_up")
    b.flow("follow_up", "check_in")
    b.flow("check_in", "check_in_task")
    b.flow("check_in_task", "period_over")
    b.flow("period_over", "a_end")
    b.add("relapse", "boundaryEvent", f"relapse ({REASON})", attached_to=sp, event="message", ref="relapse", col=4)
    b.add(
        "end_relapsed",
        "endEvent",
        f"relapsed ({course.CoordinatedCourseRelapsed.__name__}): ny henvisning til visitation "
        f"({referral.ReferralWorkflow.__name__})",
        event="message",
        ref=referral.ReferralWorkflow.__name__,
        col=6,
        row=1.5,
    )
    b.flow("relapse", "end_relapsed")
    b.add("end_ended", "endEvent", f"ended ({course.CoordinatedCourseEnded.__name__})", col=8)
    b.flow(sp, "end_ended")
    return b.build()
