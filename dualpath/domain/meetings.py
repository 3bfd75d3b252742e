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

from dualpath.domain.disclosure import CLINICAL
from dualpath.domain.validation import Input

MeetingKind = Literal["network_meeting", "collaboration_meeting", "startup_meeting"]
JointPlanKind = Literal["udskrivningsaftale", "koordinationsplan", "koordinerende_indsatsplan"]
MeetingStatus = Literal["called", "scheduled", "held", "cancelled"]
Command = Literal["schedule", "record_held", "cancel"]

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
    """A joint plan made or revised at a meeting; its version is assigned by the read model."""

    kind: JointPlanKind
    summary: str = Field(max_length=10_000)
    agreed_by: list[Participant]


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
        if not plan.summary.strip():
            raise MeetingRefused(f"the {plan.kind} needs a summary", allowed)
        if not plan.agreed_by:
            raise MeetingRefused(f"the {plan.kind} needs who agreed to it (agreed_by)", allowed)
