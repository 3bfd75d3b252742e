"""Triage of a new referral (spec §1): what the referral is, from what the referrer sent.

Its target group follows from the facts, its eligibility from the four visitation
criteria (`referral_rules`); an eligible referral either awaits visitation now or is
held until its group opens for referral in the region (indfasning), and either way
has a start deadline. A referral for a patient who already has an open pathway in
the region joins it instead. Pure: the caller brings the region's phase-in calendar
and the day the referral was received.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dualpath.domain import copenhagen, referral_rules
from dualpath.domain.referral_rules import (
    EligibilityCriteria,
    PhaseInCalendar,
    PsychiatricContact,
    ReferralFacts,
    derive_group,
)

# What triage can make of a referral; the decision (accepted, declined) is visitation's, later.
Assessed = Literal["awaiting_visitation", "held_until_phase_in", "not_eligible", "attached"]


class Triage(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: int | None
    region: str
    status: Assessed
    start_deadline: date | None
    opens_on: date | None
    reasons: list[str]


def assess(
    facts: ReferralFacts, criteria: EligibilityCriteria, *, region: str, received_on: date, phase_in: PhaseInCalendar
) -> Triage:
    """The referral as assessed from what the referrer sent, before anyone looks for a pathway."""
    group, reasons = referral_rules.derive_group(facts, criteria)
    unmet = referral_rules.unmet_criteria(criteria)
    if unmet or group is None:
        return Triage(
            group=group,
            region=region,
            status="not_eligible",
            start_deadline=None,
            opens_on=None,
            reasons=[*unmet, *reasons],
        )
    # Held until its target group opens here: the §82c deadline then counts from the opening.
    held = not phase_in.is_open(group, received_on)
    opens_on = phase_in.opens_on(group) if held else None
    return Triage(
        group=group,
        region=region,
        status="held_until_phase_in" if held else "awaiting_visitation",
        opens_on=opens_on,
        start_deadline=referral_rules.start_deadline(opens_on or received_on),
        reasons=[f"target group {group} opens for referral in region {region} on {opens_on}"] if held else reasons,
    )


def may_join_a_pathway(triage: Triage) -> bool:
    """Whether the referral joins the patient's open pathway, if they have one: an eligible one does."""
    return triage.status != "not_eligible"


def joined(triage: Triage) -> Triage:
    """The referral joins the patient's open pathway: nothing waits, no deadline runs."""
    return triage.model_copy(
        update={
            "status": "attached",
            "start_deadline": None,
            "opens_on": None,
            "reasons": ["the patient already has an open pathway: this referral joins it"],
        }
    )


class Timers(BaseModel):
    """The instants of a referral's timers (Copenhagen midnights), for its process."""

    model_config = ConfigDict(frozen=True)

    release_at: datetime | None  # a held referral's group opens
    warn_at: datetime | None  # the start deadline draws near
    deadline_at: datetime | None  # the start deadline has passed


def timers(triage: Triage) -> Timers:
    deadline, opens_on = triage.start_deadline, triage.opens_on
    return Timers(
        release_at=copenhagen.midnight(opens_on) if opens_on else None,
        warn_at=(
            copenhagen.midnight(deadline - timedelta(days=referral_rules.WARN_DAYS_BEFORE_DEADLINE))
            if deadline
            else None
        ),
        deadline_at=copenhagen.midnight(deadline + timedelta(days=1)) if deadline else None,
    )


def transition_target_group(psychiatric_contact: PsychiatricContact | None) -> int | None:
    """The target group of a patient moving from coordinated treatment (so in municipal substance treatment).

    The worsening that starts a transition is what puts the patient in the target
    group (principle 1), and psychiatry's assessment is the visitation: the
    criteria count as met; the group follows from the psychiatric contact.
    """
    if psychiatric_contact is None:
        return None
    group, _ = derive_group(
        ReferralFacts(psychiatric_contact=psychiatric_contact, municipal_substance_treatment=True),
        EligibilityCriteria(
            mental_illness="moderate",
            substance_problem=True,
            reduced_functioning=True,
            parallel_treatment_insufficient=True,
        ),
    )
    return group
