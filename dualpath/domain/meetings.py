"""Meetings (møder) and joint plans (fælles planer) between psychiatry and the municipality (spec §3–§5).

- `network_meeting` — netværksmøde, with the patient (and relatives where wanted);
- `collaboration_meeting` — samarbejdsmøde, without the patient, where the parties disagree;
- `startup_meeting` — opstartsmøde in the municipality, which psychiatry accompanies the patient to.

Joint plans: `udskrivningsaftale` (discharge agreement), `koordinationsplan`
(coordination plan), `koordinerende_indsatsplan` (coordinated intervention plan).

The rules here are pure so the workflow's validators and the API (for a meeting
whose workflow has already ended) refuse with the same words.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dualpath.domain import joint_plans
from dualpath.domain.disclosure import CLINICAL
from dualpath.domain.joint_plans import CrisisPlan, PlanAction
from dualpath.domain.validation import Input

MeetingKind = Literal["network_meeting", "collaboration_meeting", "startup_meeting"]
JointPlanKind = Literal["udskrivningsaftale", "koordinationsplan", "koordinerende_indsatsplan"]
MeetingStatus = Literal["called", "scheduled", "held", "cancelled"]
Command = Literal["schedule", "record_held", "cancel"]
# What a meeting is held for (issue #18 item 1): the ambulatory pathway's phase 4, a discharge from
# a stay (the network meeting after a longer stay, spec §4), a transition between sectors, or else.
MeetingOccasion = Literal["phase_4", "discharge", "transition", "other"]
OCCASION_NAMES: dict[str, str] = {
    "phase_4": "fase 4 i det ambulante forløb",
    "discharge": "udskrivelse fra indlæggelse",
    "transition": "overgang mellem sektorer",
    "other": "andet",
}

DANISH_NAMES: dict[str, str] = {
    "network_meeting": "netværksmøde",
    "collaboration_meeting": "samarbejdsmøde",
    "startup_meeting": "opstartsmøde",
}

# The Capital Region's agreement (spec §4): a network meeting is held within 5
# working days of being called. A per-region setting once Settings carries one.
HOLD_WITHIN_WORKING_DAYS = 5

OPEN: tuple[MeetingStatus, ...] = ("called", "scheduled")


class Participant(BaseModel):
    """Someone asked to take part, by role and organisation (a name only where staff want one).

    Also read back (meetings' read model): the input that carries it judges its text."""

    model_config = ConfigDict(frozen=True)
    role: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)
    name_or_function: Annotated[str | None, CLINICAL] = Field(default=None, max_length=200)


class JointPlanInput(Input):
    """A joint plan made or revised (at a meeting, or on its own); its version is assigned by the read model.

    The structured content (domain/joint_plans.py) is optional, so a plan of a summary alone (as every plan
    was before it) still reads."""

    kind: JointPlanKind
    summary: str = Field(max_length=10_000)
    agreed_by: list[Participant]
    actions: list[PlanAction] = Field(default_factory=list, description="Who does what, on each side, by when")
    crisis_plan: CrisisPlan | None = None
    next_review: date | None = Field(default=None, description="When the parties review the plan; not in the past")


class MeetingRefused(ValueError):
    """An illegal command on a meeting; `allowed` names the commands that are legal now."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


def allowed_commands(status: str) -> list[str]:
    return ["schedule", "record_held", "cancel"] if status in OPEN else []


def require_open(status: str, what: str) -> None:
    if status not in OPEN:
        raise MeetingRefused(
            f"the meeting is {status}: it cannot be {what}; a {status} meeting takes no further commands "
            "(call a new meeting instead)",
            [],
        )


def check_schedule(status: str) -> None:
    require_open(status, "scheduled")


def check_cancel(status: str, reason: str | None) -> None:
    require_open(status, "cancelled")
    if not (reason and reason.strip()):
        raise MeetingRefused("cancelling a meeting needs a reason", allowed_commands(status))


def check_held(
    status: str, *, called_on: date, held_on: date, today: date, outcome: str, plan: JointPlanInput | None
) -> None:
    require_open(status, "recorded as held")
    allowed = allowed_commands(status)
    if not outcome.strip():
        raise MeetingRefused("recording a meeting as held needs its outcome", allowed)
    if held_on < called_on:
        raise MeetingRefused(f"the meeting was called on {called_on}: it cannot have been held on {held_on}", allowed)
    if held_on > today:
        raise MeetingRefused(f"{held_on} is in the future: record the meeting once it has been held", allowed)
    if plan is not None:
        try:
            joint_plans.check_content(plan, today=today)
        except joint_plans.JointPlanRefused as exc:
            raise MeetingRefused(str(exc), allowed) from None
