from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dualpath.domain import copenhagen

CPH = ZoneInfo("Europe/Copenhagen")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)))
def test_local_date_agrees_with_the_tz_database(naive):
    instant = naive.replace(tzinfo=UTC)
    assert copenhagen.local_date(instant) == instant.astimezone(CPH).date()


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_midnight_agrees_with_the_tz_database(d):
    assert copenhagen.midnight(d) == datetime(d.year, d.month, d.day, tzinfo=CPH).astimezone(UTC)


def test_around_the_switch_to_summer_time():
    # 2026-03-29 is the last Sunday of March: midnight is still CET (23:00 UTC the day before).
    assert copenhagen.midnight(date(2026, 3, 29)) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert copenhagen.midnight(date(2026, 3, 30)) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert copenhagen.local_date(datetime(2026, 3, 29, 22, 30, tzinfo=UTC)) == date(2026, 3, 30)
    assert copenhagen.local_date(datetime(2026, 3, 29, 21, 59, tzinfo=UTC) + timedelta(minutes=0)) == date(2026, 3, 29)
