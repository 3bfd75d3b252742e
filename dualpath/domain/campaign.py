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

import csv
import io
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dualpath.domain import cpr as cpr_rules
from dualpath.domain import validation

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


# -- the CSV template -------------------------------------------------------------------

COLUMNS = ("cpr", "psychiatric_contact", "municipal_substance_treatment", "clinic_or_unit")
REQUIRED = ("cpr", "psychiatric_contact", "municipal_substance_treatment")
MAX_ROWS = 5000
T = TypeVar("T")

_YES = {"ja": True, "j": True, "nej": False, "n": False}
_CONTACT: dict[str, ListContact] = {
    "current": "current",
    "aktuel": "current",
    "within_last_year": "within_last_year",
    "inden_for_seneste_aar": "within_last_year",
    "inden_for_seneste_år": "within_last_year",
}

TEMPLATE = (
    "cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit\n"
    "010190-1234;current;ja;Ambulatorium Nord\n"
    "020285-2345;within_last_year;ja;\n"
)


class RowError(BaseModel):
    row: int  # the line in the file; the header is row 1
    column: str | None
    reason: str


class ListInvalid(ValueError):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the list")
        self.errors = errors


class ParsedRow(BaseModel):
    """A valid row, CPR included: the API registers the patient and passes on only the pseudonym."""

    row: int
    cpr: str
    psychiatric_contact: ListContact
    municipal_substance_treatment: bool
    clinic_or_unit: str | None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (what Danish Excel saves as CSV)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ListInvalid(
            [
                RowError(
                    row=data[: exc.start].count(b"\n") + 1,
                    column=None,
                    reason=(
                        f"byte {exc.start + 1} is neither UTF-8 nor Windows-1252 text: save the list as CSV (UTF-8) "
                        "from the template"
                    ),
                )
            ]
        ) from None


def _coded(
    cells: dict[str, str], column: str, codes: Mapping[str, T], allowed: str, why_needed: str = ""
) -> tuple[T | None, str | None]:
    """A cell that must hold one of `codes` (in any case): its value, or why it is refused."""
    cell = cells.get(column, "")
    value = codes.get(cell.lower())
    if value is not None:
        return value, None
    return None, f"'{cell}' is not {allowed}" if cell else f"required: {allowed}{why_needed}"


def parse_list(text: str, *, today: date | None = None) -> list[ParsedRow]:
    """Every row validated; all problems at once (ListInvalid), or all rows: nothing half-imported.

    Semicolon-separated (Danish Excel's default), comma accepted; the header names the columns
    (`COLUMNS`, any order, case-insensitive); `ja`/`nej` for yes and no. Each cell is one line of text
    (domain/validation.py); with `today`, a CPR number's birth date must have passed.
    """
    lines = text.lstrip("\ufeff").splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ListInvalid(
            [
                RowError(
                    row=1,
                    column=None,
                    reason=f"the file is empty: expected a header line {';'.join(COLUMNS)} and one row per person",
                )
            ]
        )
    delimiter = ";" if ";" in lines[first] else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    rows = list(reader)
    header = [h.strip().lower() for h in rows[first]]
    errors: list[RowError] = []
    for i, h in enumerate(header):
        if h not in COLUMNS:
            errors.append(
                RowError(
                    row=first + 1,
                    column=h or f"column {i + 1}",
                    reason=f"unknown column; the template's columns are {', '.join(COLUMNS)}",
                )
            )
        elif header.index(h) != i:
            errors.append(RowError(row=first + 1, column=h, reason="the column appears twice"))
    for h in REQUIRED:
        if h not in header:
            errors.append(RowError(row=first + 1, column=h, reason="required column missing"))
    if errors:
        raise ListInvalid(errors)
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}
    body = [(n, r) for n, r in enumerate(rows[first + 1 :], start=first + 2) if any(c.strip() for c in r)]
    if not body:
        raise ListInvalid([RowError(row=first + 1, column=None, reason="the list has no rows after the header")])
    if len(body) > MAX_ROWS:
        raise ListInvalid(
            [RowError(row=first + 1, column=None, reason=f"{len(body)} rows: at most {MAX_ROWS} in one list")]
        )
    for n, r in body:
        if len(r) != len(header):
            errors.append(
                RowError(
                    row=n,
                    column=None,
                    reason=f"{len(r)} fields, the header has {len(header)} (separator '{delimiter}')",
                )
            )
            continue
        cells = {h: c.strip() for h, c in zip(header, r)}
        # Text the engine cannot take (NUL, an unpaired surrogate, a control character): named, never echoed.
        unreadable = [
            RowError(row=n, column=h, reason=why)
            for h, c in cells.items()
            if (why := validation.text_problem(c, line=True)) is not None
        ]
        if unreadable:
            errors += unreadable
            continue
        row_errors: list[RowError] = []
        number = cells.get("cpr", "")
        try:
            number = cpr_rules.validate_cpr(number, today=today)
        except ValueError as exc:
            # The message says what is wrong with the number's form, never the number.
            row_errors.append(RowError(row=n, column="cpr", reason=str(exc) if cells.get("cpr") else "required"))
        contact, why = _coded(
            cells,
            "psychiatric_contact",
            _CONTACT,
            "current or within_last_year",
            " (group 2 has psychiatric contact now or within the last year)",
        )
        if why:
            row_errors.append(RowError(row=n, column="psychiatric_contact", reason=why))
        treated, why = _coded(cells, "municipal_substance_treatment", _YES, "ja or nej")
        if treated is False:
            why = (
                "nej: target group 2 is in current municipal substance treatment; this person belongs to another group"
            )
        if why:
            row_errors.append(RowError(row=n, column="municipal_substance_treatment", reason=why))
        unit = cells.get("clinic_or_unit") or None
        if unit is not None and len(unit) > 200:
            row_errors.append(RowError(row=n, column="clinic_or_unit", reason="at most 200 characters"))
        if not row_errors:
            if number in seen:
                row_errors.append(RowError(row=n, column="cpr", reason=f"the same person as row {seen[number]}"))
            else:
                seen[number] = n
        if row_errors:
            errors += row_errors
            continue
        assert contact is not None  # a row without it has its error above
        parsed.append(
            ParsedRow(
                row=n, cpr=number, psychiatric_contact=contact, municipal_substance_treatment=True, clinic_or_unit=unit
            )
        )
    if errors:
        raise ListInvalid(errors)
    return parsed
