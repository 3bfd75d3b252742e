"""The activities' inputs and outputs, and the failure types a workflow reads from them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# A failure caused by the data, never retried (activities/invalid_data.py); it refuses the command.
INVALID_DATA = "InvalidData"

# The shape of a CPR number, the whole value: a pathway id must be pseudonymous.
_CPR_FORM = re.compile(r"[0-9]{6}-?[0-9]{4}")


class WorkingDayDeadline(BaseModel):
    """The input of `working_day_deadline` (activities/meetings.py)."""

    start: date
    working_days: int = Field(ge=0)
    # Whose working days: a region may close on extra days of its own (settings); None, the national ones.
    region: str | None = None


class DischargeAdviceRequest(BaseModel):
    """The input of `discharge_advice` (activities/discharge.py)."""

    admitted_on: date
    planned_date: date
    planned: bool = True
    in_ambulatory_pathway: bool = True
    # Whose calendar and longer-stay threshold (settings per region); None, the national ones.
    region: str | None = None


class CoordinatedPeriodsQuery(BaseModel):
    """The input of `coordinated_course_periods` (activities/coordinated_course.py)."""

    region: str | None = None


class PathwayClaim(BaseModel):
    """The input of `claim_pathway` and `release_pathway` (activities/pathway_claims.py)."""

    patient_id: str
    pathway_id: str


class JointPlanVersionQuery(BaseModel):
    """The input of `joint_plan_version` (activities/joint_plans.py)."""

    pathway_id: str
    kind: str


class PathwayEndedQuery(BaseModel):
    """The input of `pathway_ended` (activities/transitions.py)."""

    pathway_id: str


class PathwayEndedInfo(BaseModel):
    pathway_id: str
    reason_kind: str
    ended_at: datetime


# -- `send_notice` (activities/notifications.py) --

Channel = Literal["invitation", "admission", "discharge"]

# Ten digits with an optional dash, standing alone: the shape of a CPR number.
# A notice leaves the region, so refuse anything that looks like one rather
# than trust callers. "Standing alone" matters: the ids a notice does carry are
# UUIDs, whose hex groups often hold such digit runs (about 2 % of notices
# tripped a looser pattern and failed their meeting).
_CPR_LIKE = re.compile(r"(?<![\w-])\d{6}-?\d{4}(?![\w-])")


class Notice(BaseModel):
    # Same key, same notice: a retried activity (or a replayed workflow) sends once.
    idempotency_key: str = Field(min_length=1)
    channel: Channel
    recipient_org: str = Field(min_length=1)
    subject: str
    body: str
    pathway_id: str

    @field_validator("subject", "body")
    @classmethod
    def _no_cpr(cls, v: str) -> str:
        if _CPR_LIKE.search(v):
            raise ValueError("a notice must not carry a CPR number; name the pathway id instead")
        return v


# -- `send_fmk_notice` (activities/fmk.py) --


class FmkNotice(BaseModel):
    """ "FMK changed for this patient": nothing clinical, by design (extra fields are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fixed before the first attempt (e.g. from the id of the event recording
    # the change): the same key on every retry, replay or resend.
    # Printable ASCII: it travels as an HTTP header.
    idempotency_key: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    pathway_id: str = Field(min_length=1, max_length=200)
    # The official three-digit municipality code, e.g. "101" (København).
    municipality: str = Field(pattern=r"^[0-9]{3}$")
    changed_at: AwareDatetime

    @field_validator("pathway_id")
    @classmethod
    def _pseudonymous(cls, v: str) -> str:
        if _CPR_FORM.fullmatch(v.strip()):
            raise ValueError("pathway_id looks like a CPR number; a notice names the pseudonymous pathway id")
        return v
