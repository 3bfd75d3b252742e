"""CPR numbers (personnummer): validated for form only.

Never the modulus-11 check: the CPR office has issued numbers that fail it
since 2007, so it would refuse real patients.
"""

from __future__ import annotations

import re
from datetime import date

# ASCII digits only: str.isdigit() would also accept e.g. Arabic-Indic digits.
_FORM = re.compile(r"([0-9]{6})-?([0-9]{4})")
_ALLOWED = "allowed: 10 digits DDMMYYSSSS, optionally with one hyphen as DDMMYY-SSSS"


def _century(seventh: int, yy: int) -> int:
    # The CPR office's table: the 7th digit together with YY gives the century.
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def _parse(value: str) -> tuple[str, date]:
    if not isinstance(value, str):
        raise ValueError(f"CPR number must be text, got {type(value).__name__}; {_ALLOWED}")
    match = _FORM.fullmatch(value)
    if match is None:
        # The number itself is never echoed: the message may reach a log or another screen.
        raise ValueError(f"CPR number is not in a valid form; {_ALLOWED}")
    digits = match.group(1) + match.group(2)
    dd, mm, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    year = _century(int(digits[6]), yy) + yy
    try:
        born = date(year, mm, dd)
    except ValueError:
        raise ValueError(
            "CPR number: the first six digits (DDMMYY) must be a real date; "
            f"day {dd:02d}, month {mm:02d} does not exist in {year}"
        ) from None
    return digits, born


def validate_cpr(value: str, *, today: date | None = None) -> str:
    """The normalised ten digits, or ValueError saying what is wrong.

    With `today`, a patient's number: the birth date it holds has passed (no one is born in the future)."""
    digits, born = _parse(value)
    if today is not None and born > today:
        raise ValueError(
            "CPR number: the birth date it holds (the first six digits, DDMMYY, with the seventh for the "
            f"century) is after today ({today}); a patient's birth date has passed"
        )
    return digits


def birth_date(cpr: str) -> date:
    return _parse(cpr)[1]
