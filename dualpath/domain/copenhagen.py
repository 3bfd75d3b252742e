"""Dates as staff mean them: in Europe/Copenhagen.

`local_date` and `midnight` follow the EU summer-time rule by arithmetic
(CET, UTC+1; CEST, UTC+2 from 01:00 UTC on the last Sunday of March to 01:00
UTC on the last Sunday of October) rather than reading the tz database, so
workflow code can use them inside Temporal's sandbox and replay never
depends on the machine's tzdata. A test holds them equal to zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def _offset(instant: datetime) -> timedelta:
    year = instant.year
    start = datetime.combine(_last_sunday(year, 3), time(1), UTC)
    end = datetime.combine(_last_sunday(year, 10), time(1), UTC)
    return timedelta(hours=2) if start <= instant < end else timedelta(hours=1)


def local_date(instant: datetime) -> date:
    """The Copenhagen calendar date at a (timezone-aware) instant."""
    utc = instant.astimezone(UTC)
    return (utc + _offset(utc)).date()


def midnight(d: date) -> datetime:
    """The instant (UTC) a Copenhagen date begins: where a date's timer fires."""
    guess = datetime.combine(d, time(), UTC) - timedelta(hours=1)
    return datetime.combine(d, time(), UTC) - _offset(guess)


def today(now: datetime | None = None) -> date:
    return local_date(now or datetime.now(UTC))
