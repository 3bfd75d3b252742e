"""Schemathesis hooks for tests/api/test_fuzz.py (loaded by `st run` through SCHEMATHESIS_HOOKS).

On top of what schemathesis generates from the OpenAPI document (and the staff pages' forms, which
the test adds to it), each case may be bent towards what once froze a pathway:
- its path ids replaced by real ones (DUALPATH_FUZZ_SEEDS, groups of ids that belong together), so
  commands reach real workflows rather than 404s;
- its JSON body sent under an odd spelling of the content type (APPLICATION/JSON, …; charset=utf-8);
- one string of its body (JSON or form) replaced by text PostgreSQL cannot store (NUL) or a control
  character, and one date by a boundary date far outside the engine's bounds;
- a CSV list (text/csv) built as the template, a valid row with the generated text in a cell.
Choices are drawn with hypothesis, so `--generation-deterministic` runs stay reproducible.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import schemathesis
from hypothesis import strategies as st

SEEDS: dict[str, Any] = json.loads(os.environ.get("DUALPATH_FUZZ_SEEDS", "{}"))
GROUPS: list[dict[str, str]] = SEEDS.get("groups", [])
PATIENTS: list[str] = SEEDS.get("cprs", ["0101901234"])

SPELLINGS = [
    "application/json",
    "APPLICATION/JSON",
    "Application/Json",
    "application/json; charset=utf-8",
    "application/JSON;charset=UTF-8",
]
# (No unpaired surrogates here: schemathesis itself cannot encode them when it re-checks a case; the API's
# answer to them is tested in tests/api/test_invalid_input.py.)
TEXTS = ["a\u0000b", "\u0000", "\u001b[2J", "\u007f", "\u0085", "line\r\nbreak\ttab", "\u0007bell", "\u009b"]
DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "1900-01-01", "2100-12-31"]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _leaves(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


def _put(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _put(value[head], rest, new)}
    copy = list(value)
    copy[head] = _put(copy[head], rest, new)
    return copy


def _bend(body: Any, text_at: int | None, text: str, date_at: int | None, day: str) -> Any:
    if not isinstance(body, (dict, list)):
        return body
    strings = [p for p, v in _leaves(body) if isinstance(v, str)]
    if text_at is not None and strings:
        body = _put(body, strings[text_at % len(strings)], text)
    dates = [(p, v) for p, v in _leaves(body) if isinstance(v, str) and _DATE.match(v)]
    if date_at is not None and dates:
        path, old = dates[date_at % len(dates)]
        body = _put(body, path, day + old[10:])
    return body


def _apply(case, group, spelling, text_at, text, date_at, day):
    if group:
        for name in list(case.path_parameters or {}):
            if name in group:
                case.path_parameters[name] = group[name]
    media = (case.media_type or "").lower()
    if media.startswith("application/json"):
        case.headers = {**(case.headers or {}), "Content-Type": spelling}
    if media.startswith(("application/json", "application/x-www-form-urlencoded")):
        body = case.body
        if isinstance(body, (dict, list)):
            case.body = _bend(body, text_at, text, date_at, day)
    return case


@schemathesis.hook
def flatmap_case(context, case):
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    return st.tuples(
        st.sampled_from([None, *GROUPS]) if GROUPS else st.none(),
        st.sampled_from(SPELLINGS),
        maybe(st.integers(0, 50)),
        st.sampled_from(TEXTS),
        maybe(st.integers(0, 50)),
        st.sampled_from(DATES),
    ).map(lambda t: _apply(case, *t))


@schemathesis.serializer("text/csv")
def csv_list(ctx, value) -> bytes:
    """A list as the template has it, with the generated text in the clinic_or_unit cell of a valid row;
    bytes as generated go as they are (they may be neither UTF-8 nor Windows-1252)."""
    if isinstance(value, bytes):
        return value
    cell = value if isinstance(value, str) else json.dumps(value)
    rows = [f"{cpr};current;ja;{cell if i == 0 else ''}" for i, cpr in enumerate(PATIENTS[:2])]
    return ("cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit\n" + "\n".join(rows) + "\n").encode(
        "utf-8", errors="surrogatepass"
    )
