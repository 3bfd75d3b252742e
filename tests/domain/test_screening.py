"""AUDIT and DUDIT scored by the published rules (issue #15 item 6), at every zone boundary.

AUDIT (WHO; Babor et al. 2001): zone I 0-7, II 8-15, III 16-19, IV 20-40; items 1-8 score 0-4, 9-10 score 0, 2, 4.
DUDIT (Berman et al. 2003/2005): drug-related problems at 6+ for men, 2+ for women; probable dependence at 25+;
items 1-9 score 0-4, 10-11 score 0, 2, 4.
"""

import pytest

from dualpath.domain import screening
from dualpath.domain.screening import AUDIT, DUDIT, ScreeningRefused, score


def answers_totalling(inst: screening.Instrument, total: int) -> list[tuple[int, int]]:
    """Answers (every item once, allowed options only) whose points add up to `total`: the 0-4 items are
    filled first, then the 0/2/4 items; an odd remainder never needs them (the 0-4 items take it)."""
    left, out = total, []
    for item in inst.items:
        best = max((p for p in item.allowed if p <= left), default=0)
        out.append((item.number, best))
        left -= best
    assert left == 0, f"cannot make {total} with {inst.name}"
    return out


def test_the_instruments_as_published():
    assert [i.number for i in AUDIT.items] == list(range(1, 11))
    assert [i.number for i in DUDIT.items] == list(range(1, 12))
    assert all(i.allowed == (0, 1, 2, 3, 4) for i in AUDIT.items[:8])
    assert all(i.allowed == (0, 2, 4) for i in AUDIT.items[8:])
    assert all(i.allowed == (0, 1, 2, 3, 4) for i in DUDIT.items[:9])
    assert all(i.allowed == (0, 2, 4) for i in DUDIT.items[9:])
    assert (AUDIT.max_total, DUDIT.max_total) == (40, 44)
    assert "Babor" in AUDIT.source and "Berman" in DUDIT.source
    assert all(i.text_da and i.text_en for inst in (AUDIT, DUDIT) for i in inst.items)


@pytest.mark.parametrize(
    ("total", "zone"), [(0, "I"), (7, "I"), (8, "II"), (15, "II"), (16, "III"), (19, "III"), (20, "IV"), (40, "IV")]
)
def test_audit_zones_at_every_boundary(total, zone):
    s = score("AUDIT", answers_totalling(AUDIT, total))
    assert (s.total, s.zone, s.version) == (total, zone, "WHO-2001")
    assert "WHO" in s.rule and "Babor" in s.rule


@pytest.mark.parametrize(
    ("sex", "total", "zone"),
    [
        ("female", 0, "no_problem"),
        ("female", 1, "no_problem"),
        ("female", 2, "drug_related_problems"),
        ("male", 0, "no_problem"),
        ("male", 5, "no_problem"),
        ("male", 6, "drug_related_problems"),
        ("male", 1, "no_problem"),
        ("female", 5, "drug_related_problems"),
        ("male", 24, "drug_related_problems"),
        ("male", 25, "probable_dependence"),
        ("female", 24, "drug_related_problems"),
        ("female", 25, "probable_dependence"),
        ("male", 44, "probable_dependence"),
        ("female", 44, "probable_dependence"),
    ],
)
def test_dudit_cutoffs_at_every_boundary(sex, total, zone):
    s = score("DUDIT", answers_totalling(DUDIT, total), sex)
    assert (s.total, s.zone) == (total, zone)
    who = "men" if sex == "male" else "women"
    cutoff = 6 if sex == "male" else 2
    assert f"for {who}" in s.rule and f"at {cutoff} or more" in s.rule and "25 or more" in s.rule


def test_a_missing_item_is_named():
    with pytest.raises(ScreeningRefused, match=r"AUDIT item 10 not answered: every item 1 to 10"):
        score("AUDIT", answers_totalling(AUDIT, 0)[:9])


def test_an_item_answered_twice_is_refused():
    with pytest.raises(ScreeningRefused, match="AUDIT item 3 is answered more than once"):
        score("AUDIT", [*answers_totalling(AUDIT, 0), (3, 1)])


def test_a_value_the_item_does_not_allow_names_the_allowed_values():
    answers = dict(answers_totalling(DUDIT, 0))
    answers[10] = 1
    with pytest.raises(ScreeningRefused, match=r"DUDIT item 10: 1 is not an allowed answer; allowed: 0, 2, 4"):
        score("DUDIT", list(answers.items()), "male")
    answers[10], answers[1] = 0, 5
    with pytest.raises(ScreeningRefused, match=r"DUDIT item 1: 5 is not an allowed answer; allowed: 0, 1, 2, 3, 4"):
        score("DUDIT", list(answers.items()), "male")


def test_an_unknown_item_is_refused():
    with pytest.raises(ScreeningRefused, match="AUDIT has no item 11: the items are 1 to 10"):
        score("AUDIT", [*answers_totalling(AUDIT, 0), (11, 0)])


def test_dudit_needs_the_sex_of_its_cutoff_and_audit_takes_none():
    with pytest.raises(ScreeningRefused, match="cutoff_sex is required, allowed: male, female"):
        score("DUDIT", answers_totalling(DUDIT, 3))
    with pytest.raises(ScreeningRefused, match="leave cutoff_sex out for AUDIT"):
        score("AUDIT", answers_totalling(AUDIT, 3), "female")


def test_an_unknown_instrument_is_refused():
    with pytest.raises(ScreeningRefused, match="allowed are AUDIT, DUDIT"):
        score("CAGE", [])
