"""The phase catalogue (forløbsbeskrivelse) as versioned data.

A running pathway records the catalogue version it started on, so a new
version never changes what an existing pathway's phases demand.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CURRENT_VERSION = "v1"

PathwayKind = Literal["ambulatory", "inpatient"]
OwnerRole = Literal["clinician", "visitation", "municipality"]
# A fact the workflow knows; the activity applies only when it holds.
ActivityCondition = Literal[
    "municipal_substance_treatment",  # patient is in municipal substance treatment
    "ambulatory_pathway",  # patient is already in an ambulatory pathway
    "longer_admission",  # admission at least the configured number of days (default 7)
    "short_admission",  # shorter than that
    "before_non_working_day",  # discharge on a day followed by a non-working day
]


class Activity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_da: str
    mandatory: bool  # skal-aktivitet: becomes a task that gates leaving the phase
    owner_role: OwnerRole
    due_days: int = Field(ge=0)  # calendar days from entering the phase
    condition: ActivityCondition | None = None


class Phase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1, le=4)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_da: str
    name_en: str
    criteria: list[str] = Field(min_length=1)  # kriterier
    purpose: str  # formål
    patient_experience: str  # patientens oplevelse og behov
    activities: list[Activity]  # aktiviteter
    standards_and_tools: list[str]  # standarder, værktøjer og retningslinjer
    source: str = ""  # which seed, or that it is interpretation

    @model_validator(mode="after")
    def _unique_activity_keys(self) -> Phase:
        keys = [a.key for a in self.activities]
        if len(keys) != len(set(keys)):
            raise ValueError(f"phase {self.number} ({self.key}) has duplicate activity keys: {keys}")
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    source: str = ""
    ambulatory: list[Phase]
    inpatient: list[Phase]

    @model_validator(mode="after")
    def _phases_one_to_four(self) -> Catalogue:
        for kind in ("ambulatory", "inpatient"):
            numbers = [p.number for p in getattr(self, kind)]
            if numbers != [1, 2, 3, 4]:
                raise ValueError(f"{kind} phases must be numbered 1, 2, 3, 4 in order, got {numbers}")
        return self

    def phase(self, kind: PathwayKind, number: int) -> Phase:
        if kind not in ("ambulatory", "inpatient"):
            raise ValueError(f"unknown pathway kind {kind!r}: use 'ambulatory' or 'inpatient'")
        phases: list[Phase] = self.ambulatory if kind == "ambulatory" else self.inpatient
        for p in phases:
            if p.number == number:
                return p
        raise ValueError(f"no {kind} phase {number!r} in catalogue {self.version}: phases are 1-4")

    def mandatory(self, kind: PathwayKind, number: int) -> list[Activity]:
        """The skal-aktiviteter, including those with a condition: the caller checks it."""
        return [a for a in self.phase(kind, number).activities if a.mandatory]


def _read_all() -> dict[str, str]:
    # Read at import: Temporal's sandbox forbids file access at workflow run time.
    data = files(__package__).joinpath("data")
    prefix, suffix = "catalogue_", ".json"
    return {
        f.name[len(prefix) : -len(suffix)]: f.read_text("utf-8")
        for f in data.iterdir()
        if f.name.startswith(prefix) and f.name.endswith(suffix)
    }


_RAW = _read_all()


def load_catalogue(version: str = CURRENT_VERSION) -> Catalogue:
    # Through a positional helper: lru_cache would cache load_catalogue() and load_catalogue("v1") apart.
    return _load(version)


@cache
def _load(version: str) -> Catalogue:
    try:
        raw = _RAW[version]
    except KeyError:
        raise ValueError(f"unknown catalogue version {version!r}; known: {', '.join(sorted(_RAW))}") from None
    catalogue = Catalogue.model_validate(json.loads(raw))
    if catalogue.version != version:
        raise ValueError(f"catalogue_{version}.json declares version {catalogue.version!r}")
    return catalogue
