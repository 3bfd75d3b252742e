"""The first treatment contact and the §82c clock, as pure rules (domain/first_contact.py)."""

from datetime import date

import pytest

from dualpath.domain import first_contact
from dualpath.domain.first_contact import FirstContactRefused, check, status, within_deadline
from dualpath.domain.referral_rules import start_deadline

RECEIVED = date(2026, 3, 20)  # a Friday: 14 calendar days end on Good Friday
DEADLINE = start_deadline(RECEIVED)
TODAY = date(2026, 4, 14)


def _check(on: date, **kw) -> None:
    args = dict(today=TODAY, phase=1, recorded=None, received_on=RECEIVED, started_on=date(2026, 3, 25))
    args.update(kw)
    check(on, **args)


def test_the_deadline_is_14_calendar_days_and_a_holiday_does_not_move_it():
    assert DEADLINE == date(2026, 4, 3)  # Good Friday
    assert within_deadline(date(2026, 4, 3), DEADLINE) is True
    assert within_deadline(date(2026, 4, 7), DEADLINE) is False  # the first working day after Easter: late
    assert within_deadline(date(2026, 4, 7), None) is None
    assert first_contact.warn_on(DEADLINE) == date(2026, 3, 31)
    assert first_contact.passed_on(DEADLINE) == date(2026, 4, 4)


def test_a_first_contact_is_recorded_once_in_phase_1_between_receipt_and_today():
    _check(RECEIVED)
    _check(TODAY)
    for on, kw, says in [
        (TODAY, {"recorded": date(2026, 4, 1)}, "recorded already (2026-04-01)"),
        (TODAY, {"phase": 2}, "recorded in phase 1 (Opstart); the pathway is in phase 2"),
        (date(2026, 4, 15), {}, "in the future"),
        (date(2026, 3, 19), {}, "before the referral was received (2026-03-20)"),
        # Without a referral (a transition, a campaign), not before the pathway started.
        (date(2026, 3, 24), {"received_on": None}, "before the pathway started (2026-03-25)"),
    ]:
        with pytest.raises(FirstContactRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
            _check(on, **kw)


def test_the_status_says_where_the_clock_stands():
    def at(today: date, contact: date | None = None, deadline: date | None = DEADLINE, **kw) -> str:
        flags = {"warned": False, "passed": False, **kw}
        return status(start_deadline=deadline, contact_on=contact, today=today, **flags)

    assert at(date(2026, 3, 30)) == "running"
    assert at(date(2026, 3, 31)) == "warned"  # three days before
    assert at(DEADLINE) == "warned"
    assert at(date(2026, 4, 4)) == "passed"
    assert at(date(2026, 3, 25), passed=True) == "passed"
    assert at(TODAY, contact=DEADLINE) == "started_in_time"
    assert at(TODAY, contact=date(2026, 4, 7)) == "started_late"
    assert at(TODAY, deadline=None) == "not_started"
    assert at(TODAY, contact=TODAY, deadline=None) == "started"
