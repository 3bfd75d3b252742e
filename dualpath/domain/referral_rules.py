"""Pure rules for a referral to integrated dual-diagnosis treatment (spec §1).

The target group (målgruppe) is derived from facts, never typed in; the four
visitation criteria are checked separately, so a refusal can name each unmet one.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .municipalities import REGIONS

PsychiatricContact = Literal["current", "within_last_year", "none"]
MentalIllness = Literal["severe", "moderate", "suspected", "mild", "none"]

# Criterion 1: moderate-to-severe, or a suspicion of it.
QUALIFYING_ILLNESS: frozenset[str] = frozenset({"severe", "moderate", "suspected"})

_ORDINARY = "refer as an ordinary psychiatric referral instead"


class ReferralFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    psychiatric_contact: PsychiatricContact
    municipal_substance_treatment: bool


class EligibilityCriteria(BaseModel):
    model_config = ConfigDict(frozen=True)

    mental_illness: MentalIllness
    substance_problem: bool
    reduced_functioning: bool
    parallel_treatment_insufficient: bool


def derive_group(facts: ReferralFacts, criteria: EligibilityCriteria) -> tuple[int | None, list[str]]:
    """(group, []) when the facts fit a target group; (None, [why, and what instead]) when not."""
    contact, municipal = facts.psychiatric_contact, facts.municipal_substance_treatment
    if contact == "current" and not municipal:
        return 1, []
    if contact in ("current", "within_last_year") and municipal:
        return 2, []
    if contact == "none" and municipal:
        if criteria.mental_illness in QUALIFYING_ILLNESS:
            return 3, []
        return None, [
            "only in municipal substance treatment, but the mental illness is assessed as "
            f"'{criteria.mental_illness}': group 3 needs a presumed moderate-to-severe mental illness; "
            f"{_ORDINARY} if a psychiatric assessment is wanted"
        ]
    if contact == "within_last_year":
        return None, [
            "psychiatric contact within the last year but not now, and no municipal substance treatment: "
            "fits no target group (group 1 needs current psychiatric contact, group 2 current municipal "
            f"substance treatment); {_ORDINARY}"
        ]
    return None, [
        f"neither in contact with psychiatry nor in municipal substance treatment: fits no target group; {_ORDINARY}"
    ]


def unmet_criteria(criteria: EligibilityCriteria) -> list[str]:
    """One reason per unmet visitation criterion (all four must hold); [] when eligible."""
    unmet = []
    if criteria.mental_illness not in QUALIFYING_ILLNESS:
        unmet.append(
            f"criterion 1 unmet: mental illness assessed as '{criteria.mental_illness}'; integrated "
            "treatment needs a treatable mental illness of moderate-to-severe degree, or a suspicion of it"
        )
    if not criteria.substance_problem:
        unmet.append("criterion 2 unmet: no concurrent substance problem (rusmiddelproblematik)")
    if not criteria.reduced_functioning:
        unmet.append("criterion 3 unmet: functioning (funktionsevne) is not assessed as reduced")
    if not criteria.parallel_treatment_insufficient:
        unmet.append(
            "criterion 4 unmet: parallel (coordinated) treatment is judged sufficient; integrated treatment "
            "is for patients who cannot follow or benefit from it, or for whom it has not worked"
        )
    return unmet


class PhaseInCalendar(BaseModel):
    """When each target group opens for referral (indfasning); a setting per region."""

    model_config = ConfigDict(frozen=True)

    opening: dict[int, date] = Field(
        default_factory=lambda: {1: date(2024, 9, 1), 2: date(2025, 7, 1), 3: date(2026, 7, 1)}
    )

    def opens_on(self, group: int) -> date:
        try:
            return self.opening[group]
        except KeyError:
            known = ", ".join(str(g) for g in sorted(self.opening))
            raise ValueError(f"no opening date for target group {group!r}; known groups: {known}") from None

    def is_open(self, group: int, on: date) -> bool:
        return on >= self.opens_on(group)


DEFAULT_PHASE_IN = PhaseInCalendar()


def _known_region(code: str | None) -> str | None:
    if code is not None and code not in REGIONS:
        raise ValueError(f"unknown region code {code!r}; known: {', '.join(sorted(REGIONS))}")
    return code


# A region code, e.g. "1082" (Midtjylland); None means national.
RegionOrNational = Annotated[str | None, AfterValidator(_known_region)]


class PhaseInTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: int = Field(ge=1, le=3)
    region: RegionOrNational
    patients: int = Field(ge=0)
    source: str


class PhaseInTotal(BaseModel):
    """A total as a source document states it; it need not equal the sum of its groups."""

    model_config = ConfigDict(frozen=True)

    region: RegionOrNational
    patients: int = Field(ge=0)
    source: str


_TARGETS = json.loads(files(__package__).joinpath("data/phase_in_targets.json").read_text("utf-8"))
PHASE_IN_TARGETS: list[PhaseInTarget] = [PhaseInTarget(**t) for t in _TARGETS["targets"]]
PHASE_IN_STATED_TOTALS: list[PhaseInTotal] = [PhaseInTotal(**t) for t in _TARGETS["stated_totals"]]


# The §82c deadline is warned about this many days before it passes.
WARN_DAYS_BEFORE_DEADLINE = 3


def start_deadline(received_on: date, days: int = 14) -> date:
    """Health Act §82c: integrated treatment starts within 14 days of receiving the referral."""
    if days < 0:
        raise ValueError(f"start deadline days must be zero or more, got {days}")
    return received_on + timedelta(days=days)
