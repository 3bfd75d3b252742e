"""Dates as staff mean them: in Europe/Copenhagen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def midnight(d: date) -> datetime:
    """The instant (UTC) a Copenhagen date begins: where a date's timer fires."""
    return datetime.combine(d, time(), COPENHAGEN).astimezone(UTC)


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(COPENHAGEN).date()
