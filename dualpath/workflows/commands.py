"""Staff commands that more than one workflow takes (the pathway and the inpatient stay).

Commands and inputs are `Input`s (domain/validation.py): a workflow judges their text and dates as it
decodes them, so a command sent straight to Temporal is refused like one sent through the API.
"""

from __future__ import annotations

from dualpath.domain.events import Actor
from dualpath.domain.tasks import Outcome
from dualpath.domain.validation import Input


class MovePhaseCommand(Input):
    to: int
    reason: str | None = None
    actor: Actor


class CompleteTaskCommand(Input):
    task_id: str
    outcome: Outcome
    note: str | None = None
    actor: Actor
