"""Discharge advice (spec §4 "Discharge" and "After discharge")."""

import subprocess
import sys
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualpath.domain.calendar import WorkingDayCalendar
from dualpath.domain.discharge import DischargeAdvice, DischargeSettings, advise, network_meeting_hold_by

CAL = WorkingDayCalendar()
# Holiday names as the calendar's table gives them (their language follows the process's locale).
NAMES = holidays.Denmark()


def _advise(admitted_on, planned_date, *, planned=True, in_ambulatory_pathway=True, **kw) -> DischargeAdvice:
    return advise(
        admitted_on=admitted_on,
        planned_date=planned_date,
        planned=planned,
        in_ambulatory_pathway=in_ambulatory_pathway,
        calendar=CAL,
        **kw,
    )


def _by_kind(advice: DischargeAdvice) -> dict:
    kinds = [f.kind for f in advice.follow_ups]
    assert len(kinds) == len(set(kinds)), kinds
    return {f.kind: f for f in advice.follow_ups}


def test_spec_example_wednesday_before_easter_2026():
    advice = _advise(date(2026, 3, 20), date(2026, 4, 1))
    assert advice.planned_date == date(2026, 4, 1)
    assert advice.length_of_stay_days == 12
    assert advice.meeting == "network_meeting"
    assert advice.offer_leave is True
    assert advice.before_non_working_day is True
    assert advice.on_non_working_day is False
    assert advice.proposed_date == date(2026, 3, 31)
    follow_ups = _by_kind(advice)
    assert set(follow_ups) == {"home_visit", "weekend_follow_up"}
    visit = follow_ups["home_visit"]
    assert visit.due == date(2026, 4, 7) and visit.owner == "ambulatory_team"
    assert visit.description_da and visit.description_en
    weekend = follow_ups["weekend_follow_up"]
    assert weekend.due == date(2026, 4, 2) and weekend.owner == "ward"
    # The warning says why, naming the non-working days that follow.
    w = advice.warning
    assert w is not None and w.startswith("Wednesday 1 April 2026 is followed by ")
    for holiday in (date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6)):
        assert f"{NAMES[holiday]} {holiday.day} April" in w
    assert "Saturday 4 April" in w
    assert "Tuesday 7 April 2026" in w  # the first day ambulatory follow-up can be had
    assert "Tuesday 31 March 2026" in w  # the proposal
    assert "8 April" not in w


def test_a_friday_is_warned_about_and_the_thursday_proposed():
    advice = _advise(date(2026, 3, 2), date(2026, 3, 13))
    assert advice.before_non_working_day and not advice.on_non_working_day
    assert advice.proposed_date == date(2026, 3, 12)
    assert advice.warning is not None
    assert advice.warning.startswith("Friday 13 March 2026 is followed by Saturday 14 March and Sunday 15 March")
    assert _by_kind(advice)["home_visit"].due == date(2026, 3, 16)
    assert _by_kind(advice)["weekend_follow_up"].due == date(2026, 3, 14)


def test_a_thursday_before_a_normal_weekend_is_fine():
    advice = _advise(date(2026, 3, 2), date(2026, 3, 12))
    assert not advice.before_non_working_day and not advice.on_non_working_day
    assert advice.warning is None and advice.proposed_date is None
    assert [f.kind for f in advice.follow_ups] == ["home_visit"]
    assert advice.follow_ups[0].due == date(2026, 3, 13)


def test_a_short_stay_ends_with_a_transition_conversation():
    assert _advise(date(2026, 3, 9), date(2026, 3, 12)).meeting == "transition_conversation"
    # The boundary: 6 days is short, 7 is longer.
    assert _advise(date(2026, 3, 4), date(2026, 3, 10)).meeting == "transition_conversation"
    assert _advise(date(2026, 3, 3), date(2026, 3, 10)).meeting == "network_meeting"


def test_longer_admission_is_a_setting():
    settings = DischargeSettings(longer_admission_days=3)
    assert _advise(date(2026, 3, 9), date(2026, 3, 12), settings=settings).meeting == "network_meeting"
    assert _advise(date(2026, 3, 10), date(2026, 3, 12), settings=settings).meeting == "transition_conversation"


def test_a_sunday_discharge_says_so_and_proposes_the_nearest_earlier_safe_day():
    advice = _advise(date(2026, 3, 2), date(2026, 3, 15))
    assert advice.on_non_working_day is True
    assert advice.before_non_working_day is False  # Monday follows
    assert advice.proposed_date == date(2026, 3, 12)
    assert advice.warning is not None
    assert advice.warning.startswith("Sunday 15 March 2026 is itself a non-working day")
    assert "Thursday 12 March 2026" in advice.warning
    assert _by_kind(advice)["home_visit"].due == date(2026, 3, 16)
    assert "weekend_follow_up" not in _by_kind(advice)


def test_a_holiday_discharge_names_the_holiday_and_what_follows():
    advice = _advise(date(2026, 3, 20), date(2026, 4, 2))
    assert advice.on_non_working_day and advice.before_non_working_day
    assert advice.warning.startswith(
        f"Thursday 2 April 2026 is itself a non-working day ({NAMES[date(2026, 4, 2)]}) and is followed by "
    )
    assert advice.proposed_date == date(2026, 3, 31)


def test_extra_closed_days_are_named():
    advice = _advise(date(2025, 12, 10), date(2025, 12, 23))
    assert advice.before_non_working_day
    assert "Christmas Eve 24 December" in advice.warning
    assert advice.proposed_date == date(2025, 12, 22)
    assert _by_kind(advice)["home_visit"].due == date(2025, 12, 29)


def test_referred_but_not_attached_gets_the_acute_team_on_the_first_working_day():
    advice = _advise(date(2026, 3, 20), date(2026, 4, 1), in_ambulatory_pathway=False)
    follow_ups = _by_kind(advice)
    assert set(follow_ups) == {"acute_team_follow_up", "weekend_follow_up"}
    assert follow_ups["acute_team_follow_up"].owner == "acute_team"
    assert follow_ups["acute_team_follow_up"].due == date(2026, 4, 7)


def test_an_unplanned_discharge_offers_no_leave():
    assert _advise(date(2026, 3, 2), date(2026, 3, 12), planned=False).offer_leave is False


def test_no_proposal_before_the_admission():
    # Admitted on a Friday, to leave the same day: no safe day earlier in the stay.
    advice = _advise(date(2026, 3, 13), date(2026, 3, 13))
    assert advice.before_non_working_day and advice.length_of_stay_days == 0
    assert advice.proposed_date is None
    assert "no earlier safe day" in advice.warning and "Friday 13 March 2026" in advice.warning
    # Admitted the day of the safe day: it is proposed.
    assert _advise(date(2026, 3, 12), date(2026, 3, 13)).proposed_date == date(2026, 3, 12)


def test_a_discharge_before_the_admission_is_refused():
    with pytest.raises(ValueError, match="before the admission"):
        _advise(date(2026, 3, 13), date(2026, 3, 12))


def test_network_meeting_is_held_within_five_working_days():
    assert network_meeting_hold_by(date(2026, 3, 30), calendar=CAL) == date(2026, 4, 9)
    assert network_meeting_hold_by(
        date(2026, 3, 30), calendar=CAL, settings=DischargeSettings(network_meeting_working_days=1)
    ) == date(2026, 3, 31)


def test_the_models_load_without_holidays():
    # Workflows may import the models: the module must not pull in `holidays` (no sandbox support).
    code = "import sys, dualpath.domain.discharge; assert 'holidays' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 12, 31))


@given(DAYS, st.integers(0, 40), st.booleans(), st.booleans())
def test_properties(admitted_on, stay, planned, in_ambulatory_pathway):
    planned_date = admitted_on + timedelta(days=stay)
    advice = _advise(admitted_on, planned_date, planned=planned, in_ambulatory_pathway=in_ambulatory_pathway)
    assert advice.length_of_stay_days == stay
    assert advice.meeting == ("network_meeting" if stay >= 7 else "transition_conversation")
    assert advice.offer_leave == planned
    assert advice.before_non_working_day == (not CAL.is_working_day(planned_date + timedelta(days=1)))
    assert advice.on_non_working_day == (not CAL.is_working_day(planned_date))
    unsafe = advice.before_non_working_day or advice.on_non_working_day
    assert (advice.warning is not None) == unsafe
    if advice.proposed_date is not None:
        p = advice.proposed_date
        assert unsafe
        assert admitted_on <= p < planned_date
        assert CAL.is_working_day(p)
        assert not CAL.is_followed_by_non_working_day(p)
        # The nearest such day: none in between.
        assert all(
            not CAL.is_working_day(x) or CAL.is_followed_by_non_working_day(x)
            for x in (p + timedelta(days=i) for i in range(1, (planned_date - p).days))
        )
    elif unsafe:
        assert CAL.nearest_earlier_safe_day(planned_date) < admitted_on
    follow_ups = _by_kind(advice)
    main = follow_ups["home_visit" if in_ambulatory_pathway else "acute_team_follow_up"]
    assert main.due > planned_date and CAL.is_working_day(main.due)
    assert main.due == CAL.next_working_day(planned_date)
    assert ("weekend_follow_up" in follow_ups) == advice.before_non_working_day
    if advice.before_non_working_day:
        assert follow_ups["weekend_follow_up"].due == planned_date + timedelta(days=1)
    assert len(follow_ups) == 1 + advice.before_non_working_day
