"""Relatives (pårørende) and peers (peermedarbejdere, mentorer) around the patient (issue #15 item 4).

A relative is named on a pathway: their name, relation and how to reach them are personal data and live in the
register table `relatives` only (PostgreSQL, written by the API, as the CPR number lives in `patients`), never in
Temporal nor in an event. Temporal and the pathway's stream know a relative by a pseudonymous `relative_id` and
the kind of relation (`RelativeAdded`, `RelativeRemoved`).

A relative is involved only with the patient's consent to involving that relative: consent scope
`involve_relative` with the relative's id as its counterpart (domain/consent.py). At a meeting (any meeting), a
relative takes part as a participant of role `relative` whose organisation names them, `relative:<relative_id>`
(the name stays in the register): invited (called) or present (attendees) only while that consent is given.

Peer workers (peermedarbejdere) and mentors take part as participants of role `peer_worker` or `mentor`, and are
staff roles of the register (domain/staff.py), in their organisation's team or the peer support team.

Pure: no I/O, safe in the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from dualpath.domain.meetings import Participant

RelativeRelation = Literal[
    "parent", "partner", "child", "sibling", "grandparent", "other_family", "friend", "network", "other"
]
RELATIONS: tuple[str, ...] = get_args(RelativeRelation)

RELATION_NAMES_DA = {
    "parent": "forælder",
    "partner": "partner/ægtefælle",
    "child": "barn",
    "sibling": "søskende",
    "grandparent": "bedsteforælder",
    "other_family": "anden familie",
    "friend": "ven",
    "network": "netværk",
    "other": "andet",
}

INVOLVE_RELATIVE = "involve_relative"

# Participant roles of the people around the patient, with their Danish names (the pages).
RELATIVE_ROLE = "relative"
PEER_ROLES = ("peer_worker", "mentor")
PARTICIPANT_ROLE_NAMES_DA = {"relative": "pårørende", "peer_worker": "peermedarbejder", "mentor": "mentor"}
RELATIVE_ORGANISATION = "relative:"
# The spellings by which staff name a relative's role (free text before this part): all of them count as one.
_RELATIVE_ROLES = {"relative", "relatives", "pårørende", "patient's relative"}


class RelativeRefused(ValueError):
    """A relative the rules refuse at a meeting, with the reason and what to do."""


def participant(relative_id: str) -> Participant:
    """A relative as a meeting's participant: by id only."""
    return Participant(role=RELATIVE_ROLE, organisation=RELATIVE_ORGANISATION + relative_id)


def is_relative(p: Participant) -> bool:
    return p.role.strip().lower() in _RELATIVE_ROLES or p.organisation.strip().startswith(RELATIVE_ORGANISATION)


def relative_id(p: Participant) -> str | None:
    """The relative a participant names (`relative:<relative_id>`), or None."""
    org = p.organisation.strip()
    return org.removeprefix(RELATIVE_ORGANISATION).strip() or None if org.startswith(RELATIVE_ORGANISATION) else None


def check_participants(participants: Iterable[Participant], *, known: set[str], consented: set[str]) -> None:
    """Relatives among `participants` only as relatives of the pathway (`known`) with a given `involve_relative`
    consent (`consented`); by id, without a name (the name stays in the register)."""
    for p in participants:
        if not is_relative(p):
            continue
        rid = relative_id(p)
        if rid is None or rid not in known:
            raise RelativeRefused(
                "a relative takes part as one of the pathway's relatives, by id: role relative, organisation "
                "relative:<relative_id> (add the relative first: POST /pathways/{id}/relatives)"
            )
        if p.name_or_function:
            raise RelativeRefused(
                f"relative {rid}: no name with a relative at a meeting (name_or_function): the name is kept in the "
                "relatives register only"
            )
        if rid not in consented:
            raise RelativeRefused(
                f"relative {rid} may take part only with the patient's consent to involving them: record consent "
                f"scope {INVOLVE_RELATIVE} with counterpart {rid} (state given) first; without it, or once withdrawn, "
                "a relative is neither invited nor recorded present"
            )
