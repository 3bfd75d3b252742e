"""A patient named in a request by CPR number and residence municipality (a referral, an acute admission):
both checked before anything is looked up; the CPR number is never logged."""

from __future__ import annotations

from pydantic import Field, field_validator

from dualpath.domain import copenhagen, cpr, municipalities
from dualpath.domain.validation import Input


class PatientIn(Input):
    """A patient named by CPR number and residence municipality (a referral, an acute admission)."""

    cpr: str = Field(description="The patient's CPR number, 10 digits (DDMMYY-SSSS accepted)")
    municipality: str = Field(description="The residence municipality's official three-digit code, e.g. 851")

    @field_validator("cpr")
    @classmethod
    def _cpr(cls, v: str) -> str:
        return cpr.validate_cpr(v, today=copenhagen.today())

    @field_validator("municipality")
    @classmethod
    def _municipality(cls, v: str) -> str:
        return municipalities.municipality(v).code
