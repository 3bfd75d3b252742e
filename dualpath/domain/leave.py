"""Leave before discharge (orlov, or a night at home; spec §4 "Discharge": offered before a planned discharge).

A leave is granted for a span of days while the patient is admitted, and afterwards staff record how it went.
An offer the patient declines is recorded by closing the stay's leave-offer task as not possible, with the reason.
Pure rules: the stay's workflow and its validators refuse with these words.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

LeaveKind = Literal["orlov", "overnight_at_home"]
LeaveWent = Literal["as_planned", "ended_early", "not_returned"]

KIND_NAMES: dict[str, str] = {"orlov": "Orlov", "overnight_at_home": "Overnatning hjemme"}
WENT_NAMES: dict[str, str] = {
    "as_planned": "Gik som planlagt",
    "ended_early": "Afbrudt før tid",
    "not_returned": "Patienten vendte ikke tilbage",
}
# The longest leave the engine takes: a leave is a trial of home before discharge, not a discharge.
MAX_DAYS = 14

# The task that asks staff to record how a leave went, due the day after it ends.
OUTCOME_TASK = "leave_outcome"
OUTCOME_TITLE = "Registrér hvordan orloven gik"
OFFER_TASK = "leave_offer"


class Leave(BaseModel):
    """A leave as the stay keeps it."""

    leave_id: str
    kind: LeaveKind
    from_date: date
    to_date: date
    went: LeaveWent | None = None
    note: str | None = None
    task_id: str | None = Field(default=None, description="The task asking how it went, while open")


class LeaveRefused(ValueError):
    pass


def check_grant(leaves: list[Leave], *, admitted_on: date, from_date: date, to_date: date) -> None:
    if from_date < admitted_on:
        raise LeaveRefused(f"the leave starts on {from_date}, before the admission on {admitted_on}")
    if to_date < from_date:
        raise LeaveRefused(f"the leave ends on {to_date}, before it starts on {from_date}")
    if (to_date - from_date).days > MAX_DAYS:
        raise LeaveRefused(
            f"a leave of {(to_date - from_date).days} days is longer than {MAX_DAYS}: a leave tries home before "
            "discharge; plan the discharge instead"
        )
    for other in leaves:
        if other.went is None and other.from_date <= to_date and from_date <= other.to_date:
            raise LeaveRefused(
                f"the patient has leave from {other.from_date} to {other.to_date} already (leave {other.leave_id}): "
                "record how it went first, or choose days that do not overlap"
            )


def check_outcome(leave: Leave | None, *, went: LeaveWent, note: str | None, today: date) -> None:
    if leave is None:
        raise LeaveRefused("no leave with that id on this stay")
    if leave.went is not None:
        raise LeaveRefused(f"how the leave went is recorded already ({leave.went})")
    if leave.from_date > today:
        raise LeaveRefused(f"the leave starts on {leave.from_date}: record how it went once it has begun")
    if went != "as_planned" and not (note and note.strip()):
        raise LeaveRefused(f"a leave that went otherwise than planned ({went}) needs a note saying what happened")
