"""What the staff member's workflow (workflows/staff_member.py) takes and answers. Pure models: the API builds
them, tests read them. No display name anywhere here: names live in the register table `staff_names` only."""

from __future__ import annotations

from pydantic import BaseModel

from dualpath.domain.events import Actor
from dualpath.domain.staff import StaffRole, Team
from dualpath.domain.validation import Input, Line
from dualpath.workflows.kit import StaffCommand


class StaffMemberState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    subject: str
    organisation: str
    team: str
    role: str
    active: bool = True
    registered: bool = False
    version: int = 0  # events in the stream so far


class StaffMemberInput(Input):
    """A staff member registered (by a colleague of the same organisation: `actor`), or the workflow's own
    state carried across continue-as-new."""

    subject: Line
    organisation: str
    team: Team
    role: StaffRole
    actor: Actor
    state: StaffMemberState | None = None


class ChangeStaffCommand(StaffCommand):
    """The staff member's team, role or activity changed (the organisation is theirs for good)."""

    team: Team
    role: StaffRole
    active: bool


class StaffMemberView(BaseModel):
    subject: str
    organisation: str
    team: str
    role: str
    active: bool


class StaffResult(BaseModel):
    member: StaffMemberView
    position: int
