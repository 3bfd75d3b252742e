"""The ambulatory pathway's phases and the moves between them (spec §3).

1 Opstart → 2 Ustabil ⇄ 3 Stabil → 4 Overgang/afslutning; 1→3 directly;
4→2 or 4→3 when a planned transition is abandoned (reason required).
An unplanned end is allowed from any phase and is a separate command, not
a phase move. This table is the one the workflow executes and the diagrams
are drawn from.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

PhaseNumber = Literal[1, 2, 3, 4]

PHASE_NAMES: dict[int, str] = {1: "Opstart", 2: "Ustabil", 3: "Stabil", 4: "Overgang/afslutning"}

ALLOWED_MOVES: dict[int, tuple[int, ...]] = {1: (2, 3), 2: (3,), 3: (2, 4), 4: (2, 3)}


class LevelOfCare(StrEnum):
    """Stepped care (spec §2), lowest to highest."""

    primary = "primary"
    coordinated = "coordinated"
    integrated_stable = "integrated_stable"
    integrated_unstable = "integrated_unstable"
    inpatient = "inpatient"


# Interpretation: start-up and the unstable phase are integrated treatment in
# an unstable state; the stable and transition phases in a stable one.
LEVEL_FOR_PHASE: dict[int, LevelOfCare] = {
    1: LevelOfCare.integrated_unstable,
    2: LevelOfCare.integrated_unstable,
    3: LevelOfCare.integrated_stable,
    4: LevelOfCare.integrated_stable,
}


class EndReason(StrEnum):
    """Why a pathway ended. `transition_*` is the planned closure from phase 4."""

    transition_coordinated = "transition_coordinated"
    transition_outside_psychiatry = "transition_outside_psychiatry"
    patient_declined = "patient_declined"
    moved_away = "moved_away"
    died = "died"
    other = "other"


PLANNED_ENDS = {EndReason.transition_coordinated, EndReason.transition_outside_psychiatry}

LEVEL_AFTER_END: dict[EndReason, LevelOfCare | None] = {
    EndReason.transition_coordinated: LevelOfCare.coordinated,
    EndReason.transition_outside_psychiatry: LevelOfCare.primary,
}


class MoveRefused(ValueError):
    """A move outside the table, or one missing what it needs; says what is allowed."""


# The patient's needs steer the level (seeds 001, 003): a clinician may decide between integrated treatment in
# a stable and an unstable state while the pathway runs. Inpatient comes with an admission and goes with the
# discharge; coordinated and primary care follow the pathway's end.
DECIDABLE_LEVELS = (LevelOfCare.integrated_stable, LevelOfCare.integrated_unstable)


def check_level_decision(current: LevelOfCare | None, to: LevelOfCare, reason: str | None, *, admitted: bool) -> None:
    """Whether a clinician may set the level of care to `to` now, with that reason."""
    choices = " or ".join(level.value for level in DECIDABLE_LEVELS)
    if admitted:
        raise MoveRefused("the patient is admitted: the level is inpatient until the discharge")
    if to not in DECIDABLE_LEVELS:
        raise MoveRefused(
            f"the level of care decided during the pathway is {choices}; inpatient comes with an admission, "
            "coordinated and primary care with the pathway's end"
        )
    if to == current:
        raise MoveRefused(f"the level of care is {to.value} already")
    if not (reason and reason.strip()):
        raise MoveRefused("deciding the level of care needs the reason: what in the patient's needs calls for it")


def check_move(current: int, to: int, reason: str | None) -> None:
    allowed = ALLOWED_MOVES[current]
    if to not in allowed:
        names = ", ".join(f"{n} ({PHASE_NAMES[n]})" for n in allowed)
        raise MoveRefused(
            f"cannot move from phase {current} ({PHASE_NAMES[current]}) to phase {to}: allowed moves are to {names}"
        )
    if current == 4 and not (reason and reason.strip()):
        raise MoveRefused("leaving phase 4 back to phase 2 or 3 abandons the planned transition: a reason is required")


def check_end(current: int, reason_kind: EndReason, reason: str | None) -> None:
    if reason_kind in PLANNED_ENDS and current != 4:
        raise MoveRefused(
            f"a planned closure ({reason_kind.value}) is made from phase 4 (Overgang/afslutning); "
            f"the pathway is in phase {current}: move it to phase 4 first, or end it unplanned "
            f"({', '.join(r.value for r in EndReason if r not in PLANNED_ENDS)}) with a reason"
        )
    if reason_kind not in PLANNED_ENDS and not (reason and reason.strip()):
        raise MoveRefused("an unplanned end needs a reason")


class AllowedMove(BaseModel):
    to: int
    name: str
    reason_required: bool = False


def allowed_moves(current: int) -> list[AllowedMove]:
    return [AllowedMove(to=n, name=PHASE_NAMES[n], reason_required=current == 4) for n in ALLOWED_MOVES[current]]


class MovePhase(BaseModel):
    to: int = Field(ge=1, le=4)
    reason: str | None = Field(default=None, max_length=2000)
