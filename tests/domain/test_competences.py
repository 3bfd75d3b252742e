"""Competence rules (domain/competences.py): the catalogue's method strings mapped explicitly, the methods each
phase names, default renewal, quarters, and the refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest

from dualpath.domain import competences as rules
from dualpath.domain.catalogue import load_catalogue


def test_every_catalogue_string_naming_a_method_is_mapped():
    catalogue = load_catalogue()
    for kind in ("ambulatory", "inpatient"):
        for phase in getattr(catalogue, kind):
            for item in phase.standards_and_tools:
                if re.search(r"\((KAT|DAT|MI)\)", item):
                    assert item in rules.CATALOGUE_METHODS, f"{kind} phase {phase.number}: {item!r} is not mapped"


def test_the_methods_each_phase_names():
    called = {
        (kind, n): rules.methods_called_for(kind, n, "v1") for kind in ("ambulatory", "inpatient") for n in (1, 2, 3, 4)
    }
    assert called == {
        ("ambulatory", 1): (),
        ("ambulatory", 2): ("MI",),
        ("ambulatory", 3): ("KAT", "DAT", "MI"),
        ("ambulatory", 4): (),
        ("inpatient", 1): (),
        ("inpatient", 2): (),
        ("inpatient", 3): ("MI",),
        ("inpatient", 4): (),
    }


def test_default_renewal_and_quarters():
    assert rules.default_renewal("MI", date(2026, 3, 1)) == date(2028, 3, 1)
    assert rules.default_renewal("KAT", date(2024, 2, 29)) == date(2027, 2, 28)
    assert rules.default_renewal("DAT", date(2026, 11, 29)) == date(2029, 11, 29)
    assert [rules.quarter(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q2",
        "2026-Q3",
        "2026-Q3",
        "2026-Q4",
        "2026-Q4",
    ]


def test_refusals():
    today = date(2026, 11, 29)
    with pytest.raises(rules.CompetenceRefused, match="in the future"):
        rules.check_dated("held_on", date(2026, 11, 30), today)
    with pytest.raises(rules.CompetenceRefused, match="must be after"):
        rules.check_certification("MI", today, today, today, None)
    with pytest.raises(rules.CompetenceRefused, match="renewal must be certified after"):
        rules.check_certification("MI", date(2025, 1, 1), date(2027, 1, 1), today, date(2025, 1, 1))
    with pytest.raises(rules.CompetenceRefused, match="no pathway"):
        rules.check_supervision("method", "MI", "p-1")
    with pytest.raises(rules.CompetenceRefused, match="pathway_id only"):
        rules.check_supervision("case", None, None)
    rules.check_supervision("case", None, "p-1")
    rules.check_supervision("method", "DAT", None)
