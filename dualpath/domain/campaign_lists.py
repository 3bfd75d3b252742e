"""A campaign's lists (spec §6, seed 004): the CSV template each side fills in, reading it (every row
validated, nothing half-imported: `parse_list`), and what a side's new list does to the people on the
campaign (`merge_list`: a whole list replaces that side's earlier one). Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from dualpath.domain import cpr as cpr_rules
from dualpath.domain import validation
from dualpath.domain.campaign import ListContact, ListedRow, Person, Side

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
        expected = f"expected a header line {';'.join(COLUMNS)} and one row per person"
        raise ListInvalid([RowError(row=1, column=None, reason=f"the file is empty: {expected}")])
    delimiter = ";" if ";" in lines[first] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = _header(rows[first], first + 1)
    body = [(n, r) for n, r in enumerate(rows[first + 1 :], start=first + 2) if any(c.strip() for c in r)]
    if not body:
        raise ListInvalid([RowError(row=first + 1, column=None, reason="the list has no rows after the header")])
    if len(body) > MAX_ROWS:
        too_many = f"{len(body)} rows: at most {MAX_ROWS} in one list"
        raise ListInvalid([RowError(row=first + 1, column=None, reason=too_many)])
    errors: list[RowError] = []
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}  # a CPR number → the row it was first on
    for n, r in body:
        if len(r) != len(header):
            fields = f"{len(r)} fields, the header has {len(header)} (separator '{delimiter}')"
            errors.append(RowError(row=n, column=None, reason=fields))
            continue
        row, row_errors = _row(n, {h: c.strip() for h, c in zip(header, r)}, today, seen)
        errors += row_errors
        if row is not None:
            parsed.append(row)
    if errors:
        raise ListInvalid(errors)
    return parsed


def _header(cells: list[str], n: int) -> list[str]:
    """The header's column names (lower case), or ListInvalid for unknown, repeated or missing columns."""
    header = [h.strip().lower() for h in cells]
    errors: list[RowError] = []
    for i, h in enumerate(header):
        if h not in COLUMNS:
            unknown = f"unknown column; the template's columns are {', '.join(COLUMNS)}"
            errors.append(RowError(row=n, column=h or f"column {i + 1}", reason=unknown))
        elif header.index(h) != i:
            errors.append(RowError(row=n, column=h, reason="the column appears twice"))
    errors += [RowError(row=n, column=h, reason="required column missing") for h in REQUIRED if h not in header]
    if errors:
        raise ListInvalid(errors)
    return header


def _row(
    n: int, cells: dict[str, str], today: date | None, seen: dict[str, int]
) -> tuple[ParsedRow | None, list[RowError]]:
    """Row `n` read, or what is wrong with it (every problem at once)."""
    # Text the engine cannot take (NUL, an unpaired surrogate, a control character): named, never echoed.
    unreadable = [
        RowError(row=n, column=h, reason=why)
        for h, c in cells.items()
        if (why := validation.text_problem(c, line=True)) is not None
    ]
    if unreadable:
        return None, unreadable
    errors: list[RowError] = []
    number = cells.get("cpr", "")
    try:
        number = cpr_rules.validate_cpr(number, today=today)
    except ValueError as exc:
        # The message says what is wrong with the number's form, never the number.
        errors.append(RowError(row=n, column="cpr", reason=str(exc) if cells.get("cpr") else "required"))
    needed = " (group 2 has psychiatric contact now or within the last year)"
    contact, why = _coded(cells, "psychiatric_contact", _CONTACT, "current or within_last_year", needed)
    if why:
        errors.append(RowError(row=n, column="psychiatric_contact", reason=why))
    treated, why = _coded(cells, "municipal_substance_treatment", _YES, "ja or nej")
    if treated is False:
        why = "nej: target group 2 is in current municipal substance treatment; this person belongs to another group"
    if why:
        errors.append(RowError(row=n, column="municipal_substance_treatment", reason=why))
    unit = cells.get("clinic_or_unit") or None
    if unit is not None and len(unit) > 200:
        errors.append(RowError(row=n, column="clinic_or_unit", reason="at most 200 characters"))
    if not errors and number in seen:
        errors.append(RowError(row=n, column="cpr", reason=f"the same person as row {seen[number]}"))
    if errors or contact is None:
        return None, errors
    seen[number] = n
    return ParsedRow(
        row=n, cpr=number, psychiatric_contact=contact, municipal_substance_treatment=True, clinic_or_unit=unit
    ), []


def merge_list(people: list[Person], side: Side, rows: list[ListedRow]) -> tuple[list[Person], list[str]]:
    """The people on the campaign once `side` has uploaded `rows` (its whole list), and who is no longer
    on either side's list."""
    new = {r.patient_id: r for r in rows}
    merged: list[Person] = []
    removed: list[str] = []
    for p in people:
        kept = {k: v for k, v in p.rows.items() if k != side}
        if p.patient_id in new:
            r = new.pop(p.patient_id)
            merged.append(p.model_copy(update={"rows": {**kept, side: r.row}, **_facts(r, p, side)}))
        elif kept:
            merged.append(p.model_copy(update={"rows": kept}))
        else:
            removed.append(p.patient_id)
    merged += [
        Person(patient_id=r.patient_id, rows={side: r.row}, **_facts(r, None, side))
        for r in rows
        if r.patient_id in new
    ]
    return merged, removed


def _facts(r: ListedRow, p: Person | None, side: Side) -> dict[str, Any]:
    # The clinic knows the psychiatric facts: once the person is on its list, a municipality's row
    # does not overwrite them.
    if p is not None and side == "municipality" and "clinic" in p.rows:
        return {}
    return {
        "psychiatric_contact": r.psychiatric_contact,
        "municipal_substance_treatment": r.municipal_substance_treatment,
        "clinic_or_unit": r.clinic_or_unit or (p.clinic_or_unit if p else None),
    }
