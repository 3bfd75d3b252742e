"""Calendar arithmetic for meetings, outside the workflow sandbox (`holidays` does not load there).

The answer lands in the workflow's history, so a replay after a `holidays`
upgrade still sees the date the meeting was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import WorkingDayDeadline
from dualpath.domain.calendar import WorkingDayCalendar


class MeetingActivities:
    def __init__(
        self, calendar: WorkingDayCalendar | None = None, regional: Mapping[str, WorkingDayCalendar] | None = None
    ):
        # Built once: holidays.Denmark fills its tables lazily per year. `regional`: the calendars of
        # regions with extra closed days of their own.
        self._calendar = calendar or WorkingDayCalendar()
        self._regional = dict(regional or {})

    @activity_defn("working_day_deadline", "no deadline can be counted from that date")
    async def working_day_deadline(self, request: WorkingDayDeadline) -> date:
        """`working_days` working days (hverdage) after `start`."""
        calendar = self._regional.get(request.region or "", self._calendar)
        return calendar.add_working_days(request.start, request.working_days)
