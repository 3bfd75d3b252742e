"""The referral workflow's messages: its input, the visitation's decision, its state and answers.

Kept apart from `referral.py` so that the worker's sandbox passes them through instead of building
their pydantic schemas again for every referral it runs (worker.SharedModulesSandbox); `referral.py`
re-exports them under their old names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from dualpath.domain.events import Actor, ReferralRecord
from dualpath.domain.validation import Input
from dualpath.workflows.kit import StaffCommand
from dualpath.workflows.pathway_messages import OpeningAdmission

ReferralStatus = Literal[
    "awaiting_visitation", "held_until_phase_in", "not_eligible", "accepted", "declined", "attached"
]


class ReferralInput(Input, ReferralRecord):
    patient_id: str
    status: ReferralStatus
    catalogue_version: str
    # Timer instants (UTC); None where the timer does not apply.
    release_at: datetime | None = None
    warn_at: datetime | None = None
    deadline_at: datetime | None = None
    attach_to_pathway: str | None = None
    municipal_substance_treatment: bool = False
    actor: Actor


class DecisionCommand(StaffCommand):
    accept: bool
    setting: Literal["ambulatory", "inpatient"] = "ambulatory"
    reason: str | None = None
    # Accepted into an inpatient course: the stay the pathway starts with (required then, else None).
    admission: OpeningAdmission | None = None


class ReferralState(BaseModel):
    """What the workflow knows beyond its input."""

    status: ReferralStatus
    pathway_id: str | None = None  # the pathway accepting it started, or the one it joined
    deadline_warned: bool = False
    deadline_passed: bool = False
    escalation_task: str | None = None  # the visitation's task once the §82c deadline passed
    coordinated_course_id: str | None = None  # the coordinated course a decline started


class ReferralView(BaseModel):
    referral_id: str
    status: ReferralStatus
    group: int | None
    region: str | None
    start_deadline: date | None
    opens_on: date | None
    pathway_id: str | None
    deadline_warned: bool
    deadline_passed: bool
    coordinated_course_id: str | None = None


class DecisionResult(BaseModel):
    referral: ReferralView
    position: int
