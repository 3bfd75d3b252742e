"""What the staff member's workflow (workflows/staff_member.py) takes and answers. Pure models: the API builds
them, tests read them. No display name anywhere here: names live in the register table `staff_names` only."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dualpath.domain.competences import CourseArea, Method, SupervisionKind
from dualpath.domain.events import Actor
from dualpath.domain.staff import StaffRole, Team
from dualpath.domain.validation import Id, Input, Line
from dualpath.workflows.kit import StaffCommand


class StaffMemberState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    subject: str
    organisation: str
    team: str
    role: str
    active: bool = True
    registered: bool = False
    # The latest certification date per method (a renewal must come after it).
    certified: dict[str, date] = Field(default_factory=dict)
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


class CertificationCommand(StaffCommand):
    """Certified in a method on `certified_on`; `renewal_due` (the certificate's own) or the method's default."""

    method: Method
    certified_on: date
    renewal_due: date


class CourseCommand(StaffCommand):
    """A course of competence development attended (or the leaders' programme)."""

    area: CourseArea
    title: Line
    attended_on: date


class SupervisionCommand(StaffCommand):
    """A method supervision (with its method) or a case supervision (with the pathway id only)."""

    kind: SupervisionKind
    held_on: date
    method: Method | None = None
    pathway_id: Id | None = None


class CompetenceResult(BaseModel):
    position: int
