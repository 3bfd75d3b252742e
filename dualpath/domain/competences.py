"""Competences of the staff register's members (issue #15 item 3; seed 001 "Kompetencer", spec §9).

- Certified methods (Metoder – certificerede): KAT (kognitiv adfærdsterapi), DAT (dialektisk adfærdsterapi) and
  MI (motiverende samtale), each with the date certified and the date its renewal is due. The renewal date is
  the certificate's own when given; else the default period below (`RENEWAL_YEARS`). The periods are this
  engine's defaults, not a certifying body's rule: no Danish standard fixes one, so a region that certifies
  differently gives `renewal_due` with each certification. A certification counts as held from the day certified
  until the day before renewal is due; a later certification of the same method (the renewal) replaces it.
- Other competence development (Anden kompetenceudvikling) and the leaders' programme (Kompetenceudvikling for
  Chefer og Ledere 2024) as courses attended: an area (`CourseArea`) and a title.
- Supervision (Metode- og sagssupervision): method supervision names the method, case supervision the case by
  its pathway id only; no clinical text is kept.

The catalogue names methods only as strings among a phase's standards and tools ("Motiverende samtale (MI)"):
`CATALOGUE_METHODS` maps those strings to methods explicitly, and `methods_called_for` reads a phase's.

Pure: no I/O, safe in the workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from dualpath.domain.catalogue import PathwayKind, load_catalogue
from dualpath.domain.events import DomainEvent

Method = Literal["KAT", "DAT", "MI"]
METHODS: tuple[str, ...] = get_args(Method)
METHOD_NAMES_DA = {
    "KAT": "Kognitiv adfærdsterapi (KAT)",
    "DAT": "Dialektisk adfærdsterapi (DAT)",
    "MI": "Motiverende samtale (MI)",
}

# The engine's default years from certification to renewal (see the module's docstring): a setting per certificate
# (`renewal_due`) overrides it.
RENEWAL_YEARS: dict[str, int] = {"KAT": 3, "DAT": 3, "MI": 2}

# The catalogue's strings that name a method (catalogue_v1.json, standards_and_tools), mapped explicitly.
CATALOGUE_METHODS: dict[str, str] = {
    "Kognitiv adfærdsterapi (KAT)": "KAT",
    "Dialektisk adfærdsterapi (DAT)": "DAT",
    "Motiverende samtale (MI)": "MI",
}

# Anden kompetenceudvikling (seed 001), and the leaders' programme.
CourseArea = Literal[
    "substances_harm_reduction",
    "dual_diagnosis",
    "screening_diagnostics",
    "pharmacology_medication",
    "peer_mentor_relatives",
    "social_work",
    "leaders_programme",
]
COURSE_AREAS: tuple[str, ...] = get_args(CourseArea)
COURSE_AREA_NAMES_DA = {
    "substances_harm_reduction": "Viden om rusmidler + skadesreduktion (Harm Reduction)",
    "dual_diagnosis": "Dobbeltdiagnose",
    "screening_diagnostics": "Screening og diagnostik",
    "pharmacology_medication": "Farmakologisk behandling og medicinhåndtering",
    "peer_mentor_relatives": "Peer/mentor/pårørende uddannelser",
    "social_work": "Socialfaglig behandling",
    "leaders_programme": "Kompetenceudvikling for Chefer og Ledere",
}

SupervisionKind = Literal["method", "case"]
SUPERVISION_NAMES_DA = {"method": "Metodesupervision", "case": "Sagssupervision"}

# The coverage report's horizon for renewals coming due.
RENEWAL_HORIZON_DAYS = 90


class CompetenceRefused(ValueError):
    """A certification, course or supervision the rules refuse, with the reason."""


def default_renewal(method: str, certified_on: date) -> date:
    years = RENEWAL_YEARS[method]
    try:
        return certified_on.replace(year=certified_on.year + years)
    except ValueError:  # 29 February
        return certified_on.replace(year=certified_on.year + years, day=28)


def check_certification(method: str, certified_on: date, renewal_due: date, today: date, latest: date | None) -> None:
    if certified_on > today:
        raise CompetenceRefused(f"certified_on {certified_on} is in the future (today is {today})")
    if renewal_due <= certified_on:
        raise CompetenceRefused(f"renewal_due {renewal_due} must be after certified_on {certified_on}")
    if latest is not None and certified_on <= latest:
        raise CompetenceRefused(
            f"{method} is recorded as certified on {latest}: a renewal must be certified after that date"
        )


def check_dated(field: str, on: date, today: date) -> None:
    if on > today:
        raise CompetenceRefused(f"{field} {on} is in the future (today is {today}): record it when it has happened")


def check_supervision(kind: str, method: str | None, pathway_id: str | None) -> None:
    if kind == "method" and (method is None or pathway_id is not None):
        raise CompetenceRefused("method supervision names the method (KAT, DAT or MI) and no pathway")
    if kind == "case" and (pathway_id is None or method is not None):
        raise CompetenceRefused("case supervision names the case by its pathway_id only, and no method")


def quarter(on: date) -> str:
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}"


def methods_called_for(kind: PathwayKind, phase: int, catalogue_version: str) -> tuple[str, ...]:
    """The methods the catalogue's phase names among its standards and tools, in METHODS order."""
    named = load_catalogue(catalogue_version).phase(kind, phase).standards_and_tools
    found = {CATALOGUE_METHODS[s] for s in named if s in CATALOGUE_METHODS}
    return tuple(m for m in METHODS if m in found)


# -- events, in the staff member's stream `staff-<subject>` ------------------------------------------------------


class CertificationRecorded(DomainEvent):
    """Certified in a method (KAT, DAT, MI) on `certified_on`; renewal due on `renewal_due`. A later one of the
    same method is its renewal."""

    subject: str
    method: str
    certified_on: date
    renewal_due: date


class CourseAttended(DomainEvent):
    """A course of competence development attended (an area of seed 001's list, or the leaders' programme)."""

    subject: str
    course_id: str
    area: str
    title: str
    attended_on: date


class SupervisionReceived(DomainEvent):
    """A method supervision (its method) or a case supervision (the case by its pathway id; no clinical text)."""

    subject: str
    supervision_id: str
    kind: str
    held_on: date
    method: str | None = None
    pathway_id: str | None = None
