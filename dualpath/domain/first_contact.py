"""The first treatment contact and the §82c clock (spec §1, "Start within 14 days").

By the Health Act §82c the region starts integrated treatment within 14 days of receiving the referral
(`referral_rules.start_deadline`). The visitation decision alone does not start treatment: the clock runs
from receipt to the first treatment contact, recorded as such in phase 1 (Opstart). Before the deadline
the pathway's clinicians get a task (they can act: see the patient); when it passes without a contact
the pathway escalates. A pathway started by a transition or a campaign has no referral and no deadline,
but records its first contact all the same.

Pure: the caller brings today's date (Copenhagen).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from dualpath.domain.referral_rules import WARN_DAYS_BEFORE_DEADLINE

# The task the warning opens for the pathway's clinicians; recording the first contact closes it.
TASK = "first_treatment_contact"
# The phase the first treatment contact is recorded in (Opstart).
PHASE = 1

Status = Literal["started_in_time", "started_late", "started", "running", "warned", "passed", "not_started"]


class FirstContactRefused(ValueError):
    """A first treatment contact that cannot be recorded; says what is allowed."""


def task_title(deadline: date) -> str:
    return f"Første behandlingskontakt senest {deadline.isoformat()} (sundhedslovens § 82c)"


def warn_on(deadline: date) -> date:
    """The day the warning comes (its Copenhagen midnight): WARN_DAYS_BEFORE_DEADLINE days before the deadline."""
    return deadline - timedelta(days=WARN_DAYS_BEFORE_DEADLINE)


def passed_on(deadline: date) -> date:
    """The first day after the deadline: from its midnight the deadline has passed."""
    return deadline + timedelta(days=1)


def within_deadline(contact_on: date, deadline: date | None) -> bool | None:
    """Whether the contact came on or before the deadline (14 calendar days: weekends and holidays count)."""
    return None if deadline is None else contact_on <= deadline


def check(
    contact_on: date,
    *,
    today: date,
    phase: int,
    recorded: date | None,
    received_on: date | None,
    started_on: date | None,
) -> None:
    """Whether a first treatment contact on `contact_on` may be recorded now (FirstContactRefused if not)."""
    if recorded is not None:
        raise FirstContactRefused(
            f"the first treatment contact is recorded already ({recorded.isoformat()}): it is recorded once"
        )
    if phase != PHASE:
        raise FirstContactRefused(
            f"the first treatment contact is recorded in phase {PHASE} (Opstart); the pathway is in phase {phase}"
        )
    if contact_on > today:
        raise FirstContactRefused(
            f"the first treatment contact on {contact_on.isoformat()} is in the future: record it on the day it "
            f"took place, at the latest today ({today.isoformat()})"
        )
    earliest, what = (received_on, "the referral was received") if received_on else (started_on, "the pathway started")
    if earliest is not None and contact_on < earliest:
        raise FirstContactRefused(
            f"the first treatment contact on {contact_on.isoformat()} is before {what} ({earliest.isoformat()}): "
            f"it is on {earliest.isoformat()} or later, at the latest today ({today.isoformat()})"
        )


def status(*, start_deadline: date | None, contact_on: date | None, warned: bool, passed: bool, today: date) -> Status:
    """Where the §82c clock stands: started in time or late, running, warned, passed; or no deadline at all."""
    if contact_on is not None:
        if start_deadline is None:
            return "started"
        return "started_in_time" if contact_on <= start_deadline else "started_late"
    if start_deadline is None:
        return "not_started"
    if passed or today > start_deadline:
        return "passed"
    if warned or today >= warn_on(start_deadline):
        return "warned"
    return "running"
