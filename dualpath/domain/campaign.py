"""Phasing in target group 2 (spec §6, seed 004 Hovedstaden): pure rules of a phase-in campaign.

One campaign per psychiatric centre and municipality:

    collecting_lists ─share_lists▶ lists_shared ─hold_collaboration_meeting▶ meeting_held ─decide▶ starting

- the KKR contact list (roles, names or functions, organisations: no patient data);
- the clinic's and the municipality's lists of group-2 people (a CSV template, `parse_list`:
  every row validated, nothing half-imported); a whole list replaces that side's list,
  and no list is taken after sharing;
- consent per person from each side to the case being discussed with the other;
- the lists are shared at least `share_days` (setting, 14) before the collaboration meeting:
  an earlier meeting is refused with the earliest date; `REMINDER_DAYS` before the share-by
  date both sides get a reminder task while the lists are not shared;
- at the meeting, per person with consent from both sides: integrated from a date,
  coordinated from a date, or not relevant. A person without consent stays on the list,
  marked, and is not discussed;
- on each decided date the person's pathway (integrated) or coordination starts by itself;
- individual network meetings with accompaniment (følgeskab) and outreach (udgående behandling).

CPR numbers never come here: people are the register's pseudonymous `patient_id`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["clinic", "municipality"]
SIDES: tuple[Side, Side] = ("clinic", "municipality")
ConsentState = Literal["given", "refused"]
ConsentForm = Literal["written", "oral"]
DecisionKind = Literal["integrated", "coordinated", "not_relevant"]
Phase = Literal["collecting_lists", "lists_shared", "meeting_held", "starting"]
# listed → (decided) scheduled → started; not_relevant; cancelled (consent withdrawn before the start).
PersonStatus = Literal["listed", "scheduled", "started", "not_relevant", "cancelled"]
ListContact = Literal["current", "within_last_year"]

# The reminder goes out this many days before the share-by date (the planned meeting less `share_days`).
REMINDER_DAYS = 2
SIDE_NAMES = {"clinic": "the clinic", "municipality": "the municipality"}


class CampaignRefused(ValueError):
    """An illegal campaign command; the message says why and what would be allowed."""


class KkrContact(BaseModel):
    """A municipal contact from the KKR list: a role, a name or function, an organisation. No patient data."""

    model_config = ConfigDict(frozen=True)
    role: str = Field(min_length=1, max_length=200)
    name_or_function: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)


class ListedRow(BaseModel):
    """One validated row of a side's list, as the workflow sees it: the pseudonym and the facts."""

    model_config = ConfigDict(frozen=True)
    patient_id: str
    row: int  # the line in the uploaded file, so staff find the person in their own sheet
    psychiatric_contact: ListContact
    municipal_substance_treatment: bool
    clinic_or_unit: str | None = None


class NetworkMeetingPlan(BaseModel):
    on: date
    accompaniment: bool = Field(description="følgeskab planned")
    outreach: bool = Field(description="udgående behandling planned")
    note: str | None = Field(default=None, max_length=2000)


class Person(BaseModel):
    patient_id: str
    rows: dict[str, int] = {}  # side → row in that side's file
    psychiatric_contact: ListContact
    municipal_substance_treatment: bool
    clinic_or_unit: str | None = None
    consent: dict[str, ConsentState] = {}  # side → state
    decision: DecisionKind | None = None
    from_date: date | None = None
    status: PersonStatus = "listed"
    pathway_id: str | None = None
    started_on: date | None = None
    network_meeting: NetworkMeetingPlan | None = None


class CampaignState(BaseModel):
    """Everything the campaign workflow knows; carried whole across continue-as-new."""

    campaign_id: str
    centre: str
    region: str
    municipality: str
    meeting_planned_on: date
    share_days: int
    group2_opens_on: date
    catalogue_version: str
    opened: bool = False
    version: int = 0  # events in the stream so far
    kkr_contacts: list[KkrContact] = []
    uploaded: dict[str, date] = {}  # side → date of its list
    people: list[Person] = []
    shared_on: date | None = None
    meeting_held_on: date | None = None
    reminder_sent: bool = False
    reminder_tasks: list[str] = []


# -- derived -----------------------------------------------------------------------


def share_by(s: CampaignState) -> date:
    return s.meeting_planned_on - timedelta(days=s.share_days)


def reminder_on(s: CampaignState) -> date:
    return share_by(s) - timedelta(days=REMINDER_DAYS)


def earliest_meeting(s: CampaignState) -> date | None:
    return s.shared_on + timedelta(days=s.share_days) if s.shared_on else None


def phase(s: CampaignState) -> Phase:
    if s.shared_on is None:
        return "collecting_lists"
    if s.meeting_held_on is None:
        return "lists_shared"
    if any(p.status in ("scheduled", "started") for p in s.people):
        return "starting"
    return "meeting_held"


def missing_consent(p: Person) -> list[str]:
    return [side for side in SIDES if p.consent.get(side) != "given"]


def not_discussed_mark(p: Person) -> str | None:
    """Why a person is not discussed, or None: without consent from both sides the case is not discussed."""
    missing = missing_consent(p)
    if not missing:
        return None
    parts = [f"{SIDE_NAMES[s]} {'refused' if p.consent.get(s) == 'refused' else 'not recorded'}" for s in missing]
    return f"not discussed: no consent ({'; '.join(parts)})"


def timetable(s: CampaignState) -> list[Person]:
    """The start timetable: the people decided for a start, soonest first."""
    return sorted((p for p in s.people if p.from_date is not None), key=lambda p: (p.from_date, p.patient_id))


def person(s: CampaignState, patient_id: str) -> Person:
    for p in s.people:
        if p.patient_id == patient_id:
            return p
    raise CampaignRefused(f"person {patient_id} is on neither list of this campaign")


# -- the rules -----------------------------------------------------------------------


def check_upload(s: CampaignState, side: Side, rows: list[ListedRow]) -> None:
    if s.shared_on is not None:
        raise CampaignRefused(
            f"the lists were shared on {s.shared_on}: {SIDE_NAMES[side]}'s list can no longer "
            "be replaced (a list after sharing would not reach the other side in time)"
        )
    if not rows:
        raise CampaignRefused("the list has no rows")
    ids = [r.patient_id for r in rows]
    if len(set(ids)) != len(ids):
        raise CampaignRefused("the list names the same person twice")


def check_consent(s: CampaignState, side: Side, patient_id: str, state: ConsentState) -> None:
    p = person(s, patient_id)
    if p.status == "started":
        raise CampaignRefused(
            f"the person's {'pathway' if p.decision == 'integrated' else 'coordination'} has started: record consent "
            "there"
        )
    if p.consent.get(side) == state:
        raise CampaignRefused(f"{SIDE_NAMES[side]}'s consent for this person is {state} already")


def check_share(s: CampaignState) -> None:
    if s.shared_on is not None:
        raise CampaignRefused(f"the lists were shared on {s.shared_on} already")
    missing = [SIDE_NAMES[side] for side in SIDES if side not in s.uploaded]
    if missing:
        raise CampaignRefused(f"both lists must be in before sharing: {' and '.join(missing)} has not uploaded one")


def check_meeting(s: CampaignState, held_on: date, today: date) -> None:
    if s.meeting_held_on is not None:
        raise CampaignRefused(f"the collaboration meeting was held on {s.meeting_held_on}")
    if held_on > today:
        raise CampaignRefused(f"a meeting is recorded when it has been held: {held_on} is after today ({today})")
    earliest = earliest_meeting(s)
    if earliest is None:
        raise CampaignRefused(
            f"the lists are not shared yet: they must be shared at least {s.share_days} days before the "
            f"collaboration meeting; shared today, the meeting may be held on {today + timedelta(days=s.share_days)} "
            "at the earliest"
        )
    if held_on < earliest:
        raise CampaignRefused(
            f"too early: the lists were shared on {s.shared_on}, and the collaboration meeting may be held only "
            f"{s.share_days} days after that, on {earliest} at the earliest"
        )


def check_decision(
    s: CampaignState, patient_id: str, decision: DecisionKind, from_date: date | None, today: date
) -> None:
    p = person(s, patient_id)
    if mark := not_discussed_mark(p):
        raise CampaignRefused(f"not discussed without consent: {mark.removeprefix('not discussed: ')}")
    if s.meeting_held_on is None:
        raise CampaignRefused("decisions are made at the collaboration meeting, which has not been held")
    if p.decision is not None and p.status != "cancelled":
        raise CampaignRefused(f"decided already: {p.decision}" + (f" from {p.from_date}" if p.from_date else ""))
    if decision == "not_relevant":
        if from_date is not None:
            raise CampaignRefused("not relevant takes no date")
        return
    if from_date is None:
        raise CampaignRefused(f"{decision} treatment needs the date it starts from")
    if from_date < today:
        raise CampaignRefused(f"the start date {from_date} has passed (today is {today})")
    if decision == "integrated" and from_date < s.group2_opens_on:
        raise CampaignRefused(
            f"target group 2 opens in region {s.region} on {s.group2_opens_on}: integrated treatment can start from "
            "then"
        )


def check_network_meeting(s: CampaignState, patient_id: str) -> None:
    p = person(s, patient_id)
    if mark := not_discussed_mark(p):
        raise CampaignRefused(f"not discussed without consent: {mark.removeprefix('not discussed: ')}")
    if p.decision not in ("integrated", "coordinated") or p.status == "cancelled":
        raise CampaignRefused(
            "a network meeting is planned for a person decided for integrated or coordinated "
            "treatment" + (f" (decision: {p.decision})" if p.decision else " (not decided yet)")
        )
