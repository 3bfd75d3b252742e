"""Shared request bodies for API tests."""

import random


def cpr() -> str:
    """A CPR number of valid form, different each call (tests share one database)."""
    day, month, year = random.randint(1, 28), random.randint(1, 12), random.randint(40, 99)
    return f"{day:02d}{month:02d}{year:02d}{random.randint(0, 3)}{random.randint(0, 999):03d}"


def referral(**overrides) -> dict:
    body = {
        "cpr": cpr(),
        "municipality": "751",  # Aarhus, region Midtjylland (1082)
        "source": "municipality",
        "received_on": "2026-11-20",
        "facts": {"psychiatric_contact": "current", "municipal_substance_treatment": True},
        "criteria": {
            "mental_illness": "severe",
            "substance_problem": True,
            "reduced_functioning": True,
            "parallel_treatment_insufficient": True,
        },
    }
    body.update(overrides)
    return body
