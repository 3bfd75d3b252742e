"""The Danish working-day calendar (hverdage).

Uses the `holidays` library, which does not load inside Temporal's workflow
sandbox: call this from activities and pass `closed_days(...)` into workflows
as data. Keep `holidays` imported here only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

DEFAULT_EXTRA_CLOSED_DAYS: tuple[tuple[int, int], ...] = ((6, 5), (12, 24), (12, 31))

_ONE = timedelta(days=1)


class WorkingDayCalendar:
    """Monday–Friday, less Danish public holidays and extra closed days (a setting).

    `holidays.Denmark` (public category) lists New Year, Maundy Thursday, Good
    Friday, Easter, Ascension, Whitsun, Christmas and Store Bededag up to 2023
    (abolished from 2024). Grundlovsdag, Christmas Eve and New Year's Eve are
    not public holidays, so they come from `extra_closed_days`.
    """

    def __init__(self, extra_closed_days: Iterable[tuple[int, int]] = DEFAULT_EXTRA_CLOSED_DAYS) -> None:
        closed = []
        for pair in extra_closed_days:
            try:
                month, day = pair
                # Year 2000 is a leap year, so 29 February is accepted as a setting.
                date(2000, month, day)
            except (TypeError, ValueError):
                raise ValueError(
                    f"extra closed day {pair!r} is not a (month, day) pair of a real date, e.g. (6, 5) for 5 June"
                ) from None
            closed.append((month, day))
        self.extra_closed_days: frozenset[tuple[int, int]] = frozenset(closed)
        # English names: they go into English sentences whatever the process locale.
        self._holidays = holidays.Denmark(language="en_US")  # type: ignore[no-untyped-call]  # holidays' country classes are unannotated

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's name on `d`, if it is one."""
        name = self._holidays.get(d)
        return str(name) if name else None

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self._holidays and (d.month, d.day) not in self.extra_closed_days

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d += _ONE
        while not self.is_working_day(d):
            d += _ONE
        return d

    def is_followed_by_non_working_day(self, d: date) -> bool:
        return not self.is_working_day(d + _ONE)

    def nearest_earlier_safe_day(self, d: date) -> date:
        """The nearest day before d that is a working day and not followed by a non-working day.

        The proposal when a discharge is planned before non-working days (Fridays are avoided).
        """
        d -= _ONE
        while not (self.is_working_day(d) and not self.is_followed_by_non_working_day(d)):
            d -= _ONE
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """n working days after d (n > 0) or before it (n < 0); d itself when n == 0."""
        step = _ONE if n >= 0 else -_ONE
        for _ in range(abs(n)):
            d += step
            while not self.is_working_day(d):
                d += step
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Signed count such that add_working_days(a, n) == b whenever b is a working day.

        Counts working days in (a, b] going forward, in [b, a) going back.
        """
        if b >= a:
            days = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
            return sum(1 for d in days if self.is_working_day(d))
        days = (b + timedelta(days=i) for i in range((a - b).days))
        return -sum(1 for d in days if self.is_working_day(d))

    def closed_days(self, start: date, end: date) -> list[date]:
        """Weekdays in [start, end] that are not working days, to pass into workflows as data."""
        days = (start + timedelta(days=i) for i in range((end - start).days + 1))
        return [d for d in days if d.weekday() < 5 and not self.is_working_day(d)]
