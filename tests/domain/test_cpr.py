from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualpath.domain.cpr import birth_date, validate_cpr


def test_plain_ten_digits_are_returned_unchanged():
    assert validate_cpr("0101901234") == "0101901234"


def test_single_hyphen_is_normalised_away():
    assert validate_cpr("010190-1234") == "0101901234"


@pytest.mark.parametrize(
    "cpr, born",
    [
        ("0101000000", date(1900, 1, 1)),  # 0-3: always 1900s
        ("3112993999", date(1999, 12, 31)),
        ("0101364000", date(2036, 1, 1)),  # 4: YY <= 36 -> 2000s
        ("0101374000", date(1937, 1, 1)),  # 4: YY > 36 -> 1900s
        ("0101369000", date(2036, 1, 1)),  # 9 behaves as 4
        ("0101379000", date(1937, 1, 1)),
        ("0101575000", date(2057, 1, 1)),  # 5-8: YY <= 57 -> 2000s
        ("0101585000", date(1858, 1, 1)),  # 5-8: YY > 57 -> 1800s
        ("0101008999", date(2000, 1, 1)),
        ("0101998999", date(1899, 1, 1)),
    ],
)
def test_century_follows_the_cpr_office_table(cpr, born):
    assert birth_date(cpr) == born


def test_leap_day_depends_on_the_century():
    assert birth_date("290200-4000") == date(2000, 2, 29)
    with pytest.raises(ValueError, match="real date"):
        validate_cpr("290200-0000")  # 1900 was not a leap year
    assert birth_date("290256-5000") == date(2056, 2, 29)
    with pytest.raises(ValueError, match="real date"):
        validate_cpr("290258-5000")  # 1858 was not a leap year


def test_a_number_failing_modulus_11_is_still_accepted():
    digits = "0101901235"
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(c) * w for c, w in zip(digits, weights)) % 11 != 0
    assert validate_cpr(digits) == digits


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123456789",
        "12345678901",
        "010190--1234",
        "01019-01234",
        "0101-901234",
        " 0101901234",
        "0101901234 ",
        "0101901234\n",
        "010190 1234",
        "01O1901234",
        "٠١٠١٩٠١٢٣٤",  # Arabic-Indic digits pass str.isdigit(), not the form
    ],
)
def test_malformed_numbers_are_refused_saying_what_is_allowed(bad):
    with pytest.raises(ValueError, match="DDMMYY-SSSS"):
        validate_cpr(bad)


@pytest.mark.parametrize("bad", ["3202901234", "0013901234", "0001901234", "3104901234"])
def test_impossible_dates_are_refused(bad):
    with pytest.raises(ValueError, match="real date"):
        validate_cpr(bad)


def test_non_text_is_refused():
    with pytest.raises(ValueError, match="must be text"):
        validate_cpr(101901234)  # type: ignore[arg-type]


def _seventh_digits_for(year: int) -> list[int]:
    yy = year % 100
    if 1900 <= year <= 1999:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    if 2000 <= year <= 2099:
        return ([4, 9] if yy <= 36 else []) + ([5, 6, 7, 8] if yy <= 57 else [])
    return [5, 6, 7, 8] if yy >= 58 else []


@given(born=st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31)), data=st.data(), hyphen=st.booleans())
def test_any_valid_form_round_trips(born, data, hyphen):
    seventh = data.draw(st.sampled_from(_seventh_digits_for(born.year)))
    rest = data.draw(st.integers(0, 999))
    digits = f"{born:%d%m}{born.year % 100:02d}{seventh}{rest:03d}"
    text = f"{digits[:6]}-{digits[6:]}" if hyphen else digits
    assert validate_cpr(text) == digits
    assert birth_date(text) == born
    assert validate_cpr(validate_cpr(text)) == digits


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_digits_are_accepted_exactly_when_they_hold_a_real_date(digits):
    dd, mm, yy, seventh = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    years = [y for y in (1800 + yy, 1900 + yy, 2000 + yy) if seventh in _seventh_digits_for(y)]
    assert len(years) == 1
    try:
        date(years[0], mm, dd)
        real = True
    except ValueError:
        real = False
    if real:
        assert validate_cpr(digits) == digits
    else:
        with pytest.raises(ValueError):
            validate_cpr(digits)


@given(st.text(max_size=14))
def test_arbitrary_text_only_ever_raises_value_error(text):
    try:
        result = validate_cpr(text)
    except ValueError:
        return
    assert len(result) == 10 and result == text.replace("-", "", 1)
