"""The inpatient stay's phases (indlæggelse, spec §4) and the moves between them.

1 Henvendelse i akutfunktion/modtagelse → 2 Diagnostik og behandlingsplan →
3 Patienten modtager behandling → 4 Udskrivelse og overgang; back from 4 to 3
when a planned discharge is postponed (reason required). The stay ends by
discharge, from phase 4.
"""

from __future__ import annotations

from typing import Literal

from dualpath.domain.ambulatory import AllowedMove, MoveRefused

PHASE_NAMES: dict[int, str] = {
    1: "Henvendelse i akutfunktion/modtagelse",
    2: "Diagnostik og behandlingsplan",
    3: "Patienten modtager behandling",
    4: "Udskrivelse og overgang",
}

ALLOWED_MOVES: dict[int, tuple[int, ...]] = {1: (2,), 2: (3,), 3: (4,), 4: (3,)}

Via = Literal["acute_function", "planned"]

FOLLOW_UP_TITLES = {
    "home_visit": "Hjemmebesøg af det ambulante team første hverdag efter udskrivelse",
    "acute_team": "Opfølgning ved det ambulante akutteam efter udskrivelse",
    "acute_team_weekend": "Opfølgning ved akutteamet over de kommende fridage",
    "ward_contact": "Kontakt med afsnittet (besøg eller telefonopkald) over fridagene",
}


def check_move(current: int, to: int, reason: str | None) -> None:
    if to not in ALLOWED_MOVES[current]:
        names = ", ".join(f"{n} ({PHASE_NAMES[n]})" for n in ALLOWED_MOVES[current])
        raise MoveRefused(
            f"cannot move the stay from phase {current} ({PHASE_NAMES[current]}) to phase {to}: "
            f"allowed moves are to {names}"
        )
    if current == 4 and not (reason and reason.strip()):
        raise MoveRefused("postponing the discharge (phase 4 back to 3) needs a reason")


def allowed_moves(current: int) -> list[AllowedMove]:
    return [AllowedMove(to=n, name=PHASE_NAMES[n], reason_required=current == 4) for n in ALLOWED_MOVES[current]]
