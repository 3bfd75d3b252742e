"""What a joint plan (fælles plan) holds and the rules for making and revising one (spec §5, issue #18 item 7).

A joint plan — `udskrivningsaftale` (discharge agreement), `koordinationsplan` (coordination plan) or
`koordinerende_indsatsplan` (coordinated intervention plan) — is made at a meeting or on its own
(`PathwayWorkflow.record_joint_plan`). Besides its summary and who agreed to it, it says

- `actions`: who does what, on each side (the region, the municipality, the patient, relatives, others),
  and by when;
- `crisis_plan`: the warning signs, what to do, and whom to call;
- `next_review`: when the parties look at it again.

Plans are versioned per pathway and kind, in event order (the read model numbers them). A revision names
the version it revises, so two people cannot silently overwrite each other: `check_revision` refuses a
revision of anything but the latest version, and a second "first" version.

Pure: no I/O, no clock but the day it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Party = Literal["region", "municipality", "patient", "relative", "other"]
PARTIES: tuple[str, ...] = ("region", "municipality", "patient", "relative", "other")
PARTY_NAMES: dict[str, str] = {
    "region": "Regionen (psykiatrien)",
    "municipality": "Kommunen",
    "patient": "Patienten",
    "relative": "Pårørende",
    "other": "Andre",
}

KIND_NAMES: dict[str, str] = {
    "udskrivningsaftale": "udskrivningsaftale",
    "koordinationsplan": "koordinationsplan",
    "koordinerende_indsatsplan": "koordinerende indsatsplan",
}

# The task that asks the region's clinicians to review a plan on its next review date (one open per kind);
# a revision answers it.
REVIEW_TASK = "joint_plan_review"


def review_task_kind(kind: str) -> str:
    return f"{REVIEW_TASK}:{kind}"


def review_task_title(kind: str, version: int) -> str:
    return f"Følg op på {KIND_NAMES.get(kind, kind)} (version {version}): gennemgå planen med parterne og revidér den"


# A review further ahead than this is a typing error more often than a plan (two years).
NEXT_REVIEW_WITHIN_DAYS = 731
MAX_ACTIONS = 50


class PlanAction(BaseModel):
    """One thing a party has agreed to do: who (the side, and the role or organisation), what, by when.

    Also read back (the joint plans' read model): the input that carries it judges its text."""

    model_config = ConfigDict(frozen=True)
    party: Party
    who: str = Field(min_length=1, max_length=200, description="The role or organisation, e.g. 'kontaktperson'")
    what: str = Field(min_length=1, max_length=2000)
    by: date | None = Field(default=None, description="By when, if agreed")


class CrisisPlan(BaseModel):
    """What everyone does when things go wrong: the warning signs, what to do, whom to call."""

    model_config = ConfigDict(frozen=True)
    warning_signs: str = Field(default="", max_length=2000)
    what_to_do: str = Field(default="", max_length=2000)
    whom_to_call: str = Field(default="", max_length=1000)

    def is_empty(self) -> bool:
        return not (self.warning_signs.strip() or self.what_to_do.strip() or self.whom_to_call.strip())


class JointPlanRefused(ValueError):
    """A joint plan that cannot be recorded; `allowed` says what can be done instead."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


class PlanContent(Protocol):
    """What a plan says, as a meeting's plan and a plan made on its own both carry it (JointPlanInput)."""

    @property
    def kind(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def agreed_by(self) -> Sequence[object]: ...
    @property
    def actions(self) -> Sequence[PlanAction]: ...
    @property
    def crisis_plan(self) -> CrisisPlan | None: ...
    @property
    def next_review(self) -> date | None: ...


def check_content(plan: PlanContent, *, today: date, require_actions: bool = False) -> None:
    """Refuse a plan without its summary or without who agreed; a next review in the past or too far ahead;
    a crisis plan with nothing in it; and, where `require_actions` (a plan made on its own), one that says
    nobody does anything."""
    kind, summary, actions = plan.kind, plan.summary, plan.actions
    crisis_plan, next_review, agreed_by = plan.crisis_plan, plan.next_review, len(plan.agreed_by)
    allowed = ["a summary, who agreed (agreed_by) and, for a plan of its own, at least one action"]
    if not summary.strip():
        raise JointPlanRefused(f"the {kind} needs a summary", allowed)
    if agreed_by == 0:
        raise JointPlanRefused(f"the {kind} needs who agreed to it (agreed_by)", allowed)
    if require_actions and not actions:
        raise JointPlanRefused(
            f"the {kind} needs at least one action: who (party {', '.join(PARTIES)}; role or organisation) "
            "does what, and by when",
            allowed,
        )
    if len(actions) > MAX_ACTIONS:
        raise JointPlanRefused(f"the {kind} has {len(actions)} actions; at most {MAX_ACTIONS} are allowed", allowed)
    for n, a in enumerate(actions, 1):
        if not a.who.strip() or not a.what.strip():
            raise JointPlanRefused(f"action {n} of the {kind} needs who does it and what they do", allowed)
    if crisis_plan is not None and crisis_plan.is_empty():
        raise JointPlanRefused(
            f"the {kind}'s crisis plan is empty: give the warning signs, what to do or whom to call, or leave "
            "the crisis plan out",
            allowed,
        )
    if next_review is not None:
        latest = today + timedelta(days=NEXT_REVIEW_WITHIN_DAYS)
        if next_review < today:
            raise JointPlanRefused(
                f"the next review ({next_review.isoformat()}) is in the past: give a date from "
                f"{today.isoformat()} to {latest.isoformat()}",
                [f"next_review from {today.isoformat()} to {latest.isoformat()}"],
            )
        if next_review > latest:
            raise JointPlanRefused(
                f"the next review ({next_review.isoformat()}) is more than two years ahead: give a date from "
                f"{today.isoformat()} to {latest.isoformat()}",
                [f"next_review from {today.isoformat()} to {latest.isoformat()}"],
            )


def check_revision(kind: str, revises: int | None, current: int) -> None:
    """A plan of `kind` made or revised when its latest version is `current` (0: none yet).

    The first version is made without `revises`; every later one names the version it revises, which must be
    the latest: a revision of an older version would silently overwrite what someone else agreed since."""
    if current == 0:
        if revises is not None:
            raise JointPlanRefused(
                f"there is no {kind} on this pathway yet: make the first version without revises", ["revises: none"]
            )
        return
    if revises is None:
        raise JointPlanRefused(
            f"the {kind} exists already (its current version is {current}): revise it by naming that version "
            f"(revises: {current})",
            [f"revises: {current}"],
        )
    if revises != current:
        raise JointPlanRefused(
            f"the {kind}'s current version is {current}, not {revises}: someone revised it since; read version "
            f"{current} and revise that (revises: {current})",
            [f"revises: {current}"],
        )
