"""Discharge advice in an activity: the holiday table lives outside the sandbox,
and its answer lands in history, so a replay never consults a newer table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from temporalio.exceptions import ApplicationError

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import DischargeAdviceRequest
from dualpath.domain.calendar import WorkingDayCalendar
from dualpath.domain.discharge import DischargeAdvice, DischargeSettings, advise


@dataclass(frozen=True)
class DischargeActivities:
    calendar: WorkingDayCalendar
    settings: DischargeSettings
    # Regions with a calendar or a longer-stay threshold of their own (settings per region).
    regional: Mapping[str, tuple[WorkingDayCalendar, DischargeSettings]] = field(default_factory=dict)

    @activity_defn("discharge_advice", "no discharge advice for that date")  # a date the calendar cannot count from
    async def discharge_advice(self, request: DischargeAdviceRequest) -> DischargeAdvice:
        try:
            calendar, settings = self.regional.get(request.region or "", (self.calendar, self.settings))
            asked = request.model_dump(exclude={"region"})
            return advise(**asked, calendar=calendar, settings=settings)
        except ValueError as exc:  # a date before admission: no retry will fix it
            raise ApplicationError(str(exc), type="CommandRefused", non_retryable=True) from exc
