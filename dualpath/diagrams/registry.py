"""The processes by name; a new process is one more builder here."""

from __future__ import annotations

from collections.abc import Callable

from dualpath.diagrams.campaign import build_campaign
from dualpath.diagrams.coordinated_course import build_coordinated_course
from dualpath.diagrams.meeting import build_meeting
from dualpath.diagrams.model import Process
from dualpath.diagrams.phases import build_ambulatory, build_inpatient
from dualpath.diagrams.referral import build_referral
from dualpath.diagrams.transition import build_transition

_BUILDERS: dict[str, Callable[[], Process]] = {
    "referral": build_referral,
    "ambulatory": build_ambulatory,
    "inpatient": build_inpatient,
    "meeting": build_meeting,
    "transition": build_transition,
    "campaign": build_campaign,
    "coordinated": build_coordinated_course,
}
PROCESSES: tuple[str, ...] = tuple(_BUILDERS)


def process(name: str) -> Process:
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown process {name!r}: choose one of {', '.join(PROCESSES)}") from None
    return builder()
