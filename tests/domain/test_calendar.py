import ast
import subprocess
import sys
from datetime import date, timedelta
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualpath.domain.calendar import WorkingDayCalendar

CAL = WorkingDayCalendar()
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 12, 31))


def test_spec_example_discharge_before_easter_2026():
    wednesday = date(2026, 4, 1)
    assert CAL.is_working_day(wednesday)
    assert CAL.is_followed_by_non_working_day(wednesday)
    assert CAL.next_working_day(wednesday) == date(2026, 4, 7)
    assert CAL.nearest_earlier_safe_day(wednesday) == date(2026, 3, 31)


def test_friday_proposes_the_thursday_before():
    assert CAL.is_followed_by_non_working_day(date(2026, 3, 13))
    assert CAL.nearest_earlier_safe_day(date(2026, 3, 13)) == date(2026, 3, 12)


def test_friday_after_ascension_skips_the_unsafe_days_before():
    # Thursday 14 May 2026 is Ascension, so Wednesday 13 is itself before a non-working day.
    assert CAL.nearest_earlier_safe_day(date(2026, 5, 15)) == date(2026, 5, 12)


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 1),  # nytårsdag
        date(2026, 4, 2),  # skærtorsdag
        date(2026, 4, 3),  # langfredag
        date(2026, 4, 6),  # 2. påskedag
        date(2026, 5, 14),  # Kristi himmelfartsdag
        date(2026, 5, 25),  # 2. pinsedag
        date(2026, 12, 25),  # juledag
        date(2025, 12, 26),  # 2. juledag
        date(2023, 5, 5),  # store bededag, still a holiday in 2023
    ],
)
def test_public_holidays_are_not_working_days(holiday):
    assert holiday.weekday() < 5
    assert not CAL.is_working_day(holiday)


def test_store_bededag_is_a_working_day_from_2024():
    # The fourth Friday after Easter: 26 April 2024, 1 May 2026.
    assert CAL.is_working_day(date(2024, 4, 26))
    assert CAL.is_working_day(date(2026, 5, 1))


@pytest.mark.parametrize("closed", [date(2026, 6, 5), date(2025, 12, 24), date(2025, 12, 31)])
def test_default_extra_closed_days(closed):
    assert closed.weekday() < 5
    assert not CAL.is_working_day(closed)
    assert WorkingDayCalendar(extra_closed_days=()).is_working_day(closed)


def test_extra_closed_days_are_a_setting():
    cal = WorkingDayCalendar(extra_closed_days=[(3, 10)])
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.is_working_day(date(2026, 6, 5))


@pytest.mark.parametrize("bad", [(2, 30), (13, 1), (0, 1), ("6", 5), (6,), 6])
def test_impossible_extra_closed_day_is_refused(bad):
    with pytest.raises(ValueError, match="month, day"):
        WorkingDayCalendar(extra_closed_days=[bad])


def test_weekends_are_not_working_days():
    assert not CAL.is_working_day(date(2026, 3, 14))
    assert not CAL.is_working_day(date(2026, 3, 15))
    assert CAL.is_working_day(date(2026, 3, 16))


def test_add_working_days():
    assert CAL.add_working_days(date(2026, 4, 1), 1) == date(2026, 4, 7)
    assert CAL.add_working_days(date(2026, 3, 30), 5) == date(2026, 4, 9)
    assert CAL.add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 1)
    assert CAL.add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)


def test_working_days_between():
    assert CAL.working_days_between(date(2026, 4, 1), date(2026, 4, 7)) == 1
    assert CAL.working_days_between(date(2026, 4, 7), date(2026, 4, 1)) == -1
    assert CAL.working_days_between(date(2026, 3, 30), date(2026, 4, 9)) == 5
    assert CAL.working_days_between(date(2026, 4, 1), date(2026, 4, 1)) == 0


def test_closed_days_are_the_non_working_weekdays():
    assert CAL.closed_days(date(2026, 3, 30), date(2026, 4, 12)) == [
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 6),
    ]
    assert CAL.closed_days(date(2025, 12, 22), date(2026, 1, 2)) == [
        date(2025, 12, 24),
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2025, 12, 31),
        date(2026, 1, 1),
    ]
    assert CAL.closed_days(date(2026, 3, 9), date(2026, 3, 15)) == []


@given(DAYS)
def test_next_working_day_is_the_first_working_day_after(d):
    nxt = CAL.next_working_day(d)
    assert nxt > d and CAL.is_working_day(nxt)
    assert not any(CAL.is_working_day(d + timedelta(days=i)) for i in range(1, (nxt - d).days))


@given(DAYS)
def test_nearest_earlier_safe_day_is_safe_and_nearest(d):
    safe = CAL.nearest_earlier_safe_day(d)
    assert safe < d
    assert CAL.is_working_day(safe)
    assert not CAL.is_followed_by_non_working_day(safe)
    between = (safe + timedelta(days=i) for i in range(1, (d - safe).days))
    assert not any(CAL.is_working_day(x) and not CAL.is_followed_by_non_working_day(x) for x in between)


@given(DAYS, st.integers(-40, 40))
def test_add_and_count_working_days_agree(d, n):
    target = CAL.add_working_days(d, n)
    if n != 0:
        assert CAL.is_working_day(target)
        assert (target > d) == (n > 0)
    assert CAL.add_working_days(d, CAL.working_days_between(d, target)) == target
    if n != 0 or CAL.is_working_day(d):
        assert CAL.working_days_between(d, target) == n


@given(DAYS, DAYS)
def test_closed_days_agrees_with_is_working_day(a, b):
    start, end = min(a, b), min(max(a, b), min(a, b) + timedelta(days=60))
    closed = set(CAL.closed_days(start, end))
    for i in range((end - start).days + 1):
        x = start + timedelta(days=i)
        assert (x in closed) == (x.weekday() < 5 and not CAL.is_working_day(x))


def test_holidays_is_imported_only_in_calendar():
    domain = files("dualpath.domain")
    for f in domain.iterdir():
        if not f.name.endswith(".py") or f.name == "calendar.py":
            continue
        tree = ast.parse(f.read_text("utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "holidays" not in imported, f.name


def test_the_rest_of_domain_loads_without_holidays():
    code = (
        "import sys, dualpath.domain.cpr, dualpath.domain.municipalities, "
        "dualpath.domain.referral_rules, dualpath.domain.catalogue; "
        "assert 'holidays' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
