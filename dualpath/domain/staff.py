"""The staff register (issue #15 item 1): who works where, in which team and in which role.

A staff member is known by the subject of their token (`sub`), belongs to one organisation (`region:1082`,
`municipality:751`) and one team of it, and has a role (their profession or function). Their display name is
personal data: it lives in the register table `staff_names` (PostgreSQL only, as the CPR number lives in
`patients`), never in Temporal nor in an event.

A pathway's named contact person (fast, navngiven kontaktperson; catalogue task `contact_person`) is a staff
member of the pathway's region, active in the register. Naming one the first time needs no reason; a change
does, and names the one before (`ContactPersonNamed`).

Pure: no I/O, safe in the workflow sandbox.
"""

from __future__ import annotations

from typing import Literal, get_args

# The teams of a region and of a municipality (the organisation's kind decides which fit).
# peer_support_team: peer workers (peermedarbejdere) and mentors, on either side (issue #15 item 4).
RegionTeam = Literal[
    "ambulant_team", "acute_team", "ward", "visitation", "outreach_team", "peer_support_team", "other_region_team"
]
MunicipalityTeam = Literal[
    "substance_treatment_unit",
    "social_psychiatry",
    "housing_support",
    "job_centre",
    "peer_support_team",
    "other_municipal_team",
]
Team = Literal[RegionTeam, MunicipalityTeam]
REGION_TEAMS: tuple[str, ...] = get_args(RegionTeam)
MUNICIPALITY_TEAMS: tuple[str, ...] = get_args(MunicipalityTeam)

StaffRole = Literal[
    "psychiatrist",
    "doctor",
    "nurse",
    "psychologist",
    "social_worker",
    "social_educator",
    "addiction_counsellor",
    "peer_worker",
    "mentor",
    "secretary",
    "leader",
    "other",
]
STAFF_ROLES: tuple[str, ...] = get_args(StaffRole)

CONTACT_PERSON_TASK = "contact_person"

TEAM_NAMES_DA = {
    "ambulant_team": "Ambulant team",
    "acute_team": "Akutteam",
    "ward": "Sengeafsnit",
    "visitation": "Visitation",
    "outreach_team": "Opsøgende team",
    "peer_support_team": "Peer- og mentorteam",
    "other_region_team": "Andet team (region)",
    "substance_treatment_unit": "Kommunal rusmiddelbehandling",
    "social_psychiatry": "Socialpsykiatri",
    "housing_support": "Bostøtte",
    "job_centre": "Jobcenter",
    "other_municipal_team": "Andet team (kommune)",
}


class StaffRefused(ValueError):
    """A register entry or a contact person the rules refuse, with the reason."""


def check_team(org: str, team: str) -> None:
    kind = org.partition(":")[0]
    allowed = REGION_TEAMS if kind == "region" else MUNICIPALITY_TEAMS if kind == "municipality" else ()
    if team not in allowed:
        raise StaffRefused(
            f"team {team} is not a team of a {kind or 'unknown'} organisation; allowed: {', '.join(allowed) or 'none'}"
        )


def check_contact_person(current: str | None, subject: str, reason: str | None) -> None:
    """Naming `subject` the pathway's contact person when `current` is: a change needs its reason."""
    if current == subject:
        raise StaffRefused(f"{subject} is already the pathway's contact person")
    if current is not None and not (reason and reason.strip()):
        raise StaffRefused(
            f"the pathway's contact person is {current}: a change of contact person needs a reason "
            "(why the patient gets a new contact person)"
        )
