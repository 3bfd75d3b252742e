from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dualpath.domain.referral_rules import (
    DEFAULT_PHASE_IN,
    PHASE_IN_STATED_TOTALS,
    PHASE_IN_TARGETS,
    EligibilityCriteria,
    PhaseInCalendar,
    PhaseInTarget,
    ReferralFacts,
    derive_group,
    start_deadline,
    unmet_criteria,
)

ELIGIBLE = EligibilityCriteria(
    mental_illness="moderate", substance_problem=True, reduced_functioning=True, parallel_treatment_insufficient=True
)


def facts(contact, municipal) -> ReferralFacts:
    return ReferralFacts(psychiatric_contact=contact, municipal_substance_treatment=municipal)


def crit(illness="moderate", **kw) -> EligibilityCriteria:
    return ELIGIBLE.model_copy(update={"mental_illness": illness, **kw})


@pytest.mark.parametrize(
    "contact, municipal, illness, group",
    [
        ("current", False, "severe", 1),
        ("current", False, "mild", 1),
        ("current", True, "moderate", 2),
        ("within_last_year", True, "suspected", 2),
        ("none", True, "severe", 3),
        ("none", True, "moderate", 3),
        ("none", True, "suspected", 3),
    ],
)
def test_group_is_derived_from_the_facts(contact, municipal, illness, group):
    got, reasons = derive_group(facts(contact, municipal), crit(illness))
    assert (got, reasons) == (group, [])


@pytest.mark.parametrize("illness", ["mild", "none"])
def test_municipal_only_without_moderate_to_severe_illness_fits_no_group(illness):
    group, reasons = derive_group(facts("none", True), crit(illness))
    assert group is None
    assert "group 3" in reasons[0] and illness in reasons[0]
    assert "ordinary psychiatric referral" in reasons[0]


def test_contact_last_year_without_municipal_treatment_fits_no_group():
    group, reasons = derive_group(facts("within_last_year", False), ELIGIBLE)
    assert group is None
    assert "within the last year" in reasons[0] and "fits no target group" in reasons[0]
    assert "ordinary psychiatric referral" in reasons[0]


def test_no_contact_anywhere_fits_no_group():
    group, reasons = derive_group(facts("none", False), ELIGIBLE)
    assert group is None
    assert "ordinary psychiatric referral" in reasons[0]


facts_st = st.builds(
    ReferralFacts,
    psychiatric_contact=st.sampled_from(["current", "within_last_year", "none"]),
    municipal_substance_treatment=st.booleans(),
)
criteria_st = st.builds(
    EligibilityCriteria,
    mental_illness=st.sampled_from(["severe", "moderate", "suspected", "mild", "none"]),
    substance_problem=st.booleans(),
    reduced_functioning=st.booleans(),
    parallel_treatment_insufficient=st.booleans(),
)


@given(facts_st, criteria_st)
def test_derive_group_never_leaves_its_definitions(referral, criteria):
    group, reasons = derive_group(referral, criteria)
    contact, municipal = referral.psychiatric_contact, referral.municipal_substance_treatment
    fits = {
        1: contact == "current" and not municipal,
        2: contact in ("current", "within_last_year") and municipal,
        3: contact == "none" and municipal and criteria.mental_illness in ("moderate", "severe", "suspected"),
    }
    assert sum(fits.values()) <= 1
    if group is None:
        assert not any(fits.values())
        assert reasons and "ordinary psychiatric referral" in reasons[0]
    else:
        assert fits[group] and reasons == []


def test_eligible_criteria_have_no_unmet():
    assert unmet_criteria(ELIGIBLE) == []
    assert unmet_criteria(crit("severe")) == []
    assert unmet_criteria(crit("suspected")) == []


@pytest.mark.parametrize(
    "criteria, number, words",
    [
        (crit("mild"), 1, "moderate-to-severe"),
        (crit("none"), 1, "moderate-to-severe"),
        (crit(substance_problem=False), 2, "substance problem"),
        (crit(reduced_functioning=False), 3, "functioning"),
        (crit(parallel_treatment_insufficient=False), 4, "parallel"),
    ],
)
def test_each_unmet_criterion_is_named(criteria, number, words):
    reasons = unmet_criteria(criteria)
    assert len(reasons) == 1
    assert f"criterion {number}" in reasons[0] and words in reasons[0]


@given(criteria_st)
def test_one_reason_per_unmet_criterion(criteria):
    expected = [
        criteria.mental_illness in ("mild", "none"),
        not criteria.substance_problem,
        not criteria.reduced_functioning,
        not criteria.parallel_treatment_insufficient,
    ]
    reasons = unmet_criteria(criteria)
    named = [r.split(" unmet")[0] for r in reasons]
    assert named == [f"criterion {i}" for i, unmet in enumerate(expected, 1) if unmet]


def test_default_phase_in_dates():
    assert DEFAULT_PHASE_IN.opens_on(1) == date(2024, 9, 1)
    assert DEFAULT_PHASE_IN.opens_on(2) == date(2025, 7, 1)
    assert DEFAULT_PHASE_IN.opens_on(3) == date(2026, 7, 1)


def test_a_group_opens_on_its_date_not_before():
    assert not DEFAULT_PHASE_IN.is_open(3, date(2026, 6, 30))
    assert DEFAULT_PHASE_IN.is_open(3, date(2026, 7, 1))
    assert DEFAULT_PHASE_IN.is_open(1, date(2026, 7, 1))


def test_phase_in_is_a_setting():
    cal = PhaseInCalendar(opening={1: date(2024, 9, 1), 2: date(2025, 12, 1)})
    assert not cal.is_open(2, date(2025, 11, 30))
    with pytest.raises(ValueError, match="no opening date for target group 3; known groups: 1, 2"):
        cal.opens_on(3)


def test_unknown_group_has_no_opening():
    with pytest.raises(ValueError, match="target group 4"):
        DEFAULT_PHASE_IN.is_open(4, date(2030, 1, 1))


def _targets(region):
    return {t.group: t.patients for t in PHASE_IN_TARGETS if t.region == region}


def test_phase_in_targets_as_the_sources_state_them():
    assert _targets(None) == {1: 4600, 2: 4000, 3: 700}
    assert _targets("1082") == {1: 1077, 2: 761, 3: 143}
    assert all("seed 00" in t.source for t in PHASE_IN_TARGETS)


def test_stated_totals_are_kept_even_where_they_disagree_with_the_groups():
    totals = {t.region: t.patients for t in PHASE_IN_STATED_TOTALS}
    assert totals == {None: 9200, "1082": 1978}
    assert sum(_targets(None).values()) == 9300
    assert sum(_targets("1082").values()) == 1981


def test_target_region_must_be_a_region_code():
    with pytest.raises(ValidationError, match="unknown region code 'Midtjylland'"):
        PhaseInTarget(group=1, region="Midtjylland", patients=1, source="x")


def test_start_deadline_is_14_calendar_days_after_receipt():
    assert start_deadline(date(2026, 3, 20)) == date(2026, 4, 3)  # Good Friday counts too
    assert start_deadline(date(2026, 12, 31)) == date(2027, 1, 14)
    assert start_deadline(date(2026, 3, 20), days=7) == date(2026, 3, 27)
    with pytest.raises(ValueError):
        start_deadline(date(2026, 3, 20), days=-1)
