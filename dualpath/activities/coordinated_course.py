"""The periods a coordinated course runs on, from the settings (dualpath/settings.py `coordinated_*`).

An activity, so that the answer lands in the course's history: a course keeps the periods it started
with when the settings change, and its history replays with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import CoordinatedPeriodsQuery
from dualpath.domain.coordinated_course import Periods


@dataclass(frozen=True)
class CoordinatedCourseActivities:
    periods: Periods

    @activity_defn("coordinated_course_periods", "the coordinated course's periods cannot be given")
    async def coordinated_course_periods(self, query: CoordinatedPeriodsQuery) -> Periods:
        """The follow-up period, the check-in and the task due days (national: the same in every region)."""
        return self.periods
