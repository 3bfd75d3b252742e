"""Staff commands that more than one workflow takes (the pathway and the inpatient stay)."""

from __future__ import annotations

from pydantic import BaseModel

from dualpath.domain.events import Actor
from dualpath.domain.tasks import Outcome


class MovePhaseCommand(BaseModel):
    to: int
    reason: str | None = None
    actor: Actor


class CompleteTaskCommand(BaseModel):
    task_id: str
    outcome: Outcome
    note: str | None = None
    actor: Actor
