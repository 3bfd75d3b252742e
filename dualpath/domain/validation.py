"""What the engine accepts from outside: text PostgreSQL can store, dates within sane bounds, ids as made here.

Every door ends in a model: the API's request bodies (JSON, whatever the spelling of its content type),
the staff pages' forms (they build the same request models), the group-2 campaign lists (CSV, row by
row), path and query parameters, and the commands and inputs the workflows take — so a command that
reaches a workflow without passing the API is judged the same way. The rules live here, once:

- Text (`str` anywhere in an input): no NUL (U+0000: PostgreSQL's `text` and `jsonb` cannot hold it), no
  unpaired surrogate (U+D800–U+DFFF: not a Unicode character, it has no UTF-8), and no other control
  character (C0 U+0001–U+001F, DEL U+007F, C1 U+0080–U+009F), except tab, line feed and carriage
  return, which free text (a note, a reason, a summary) keeps. A `Line` (a name, a ward, a place, a
  title) is one line: no tab or line break either.
- Dates and instants: from `EARLIEST` to `LATEST` (1900-01-01 to 2100-12-31), so that calendar and
  timer arithmetic can never overflow; a field that knows more is tighter (`NotFuture`).
- Ids the engine makes (pathways, referrals, stays, meetings, tasks, transitions, campaigns, patients)
  are UUIDs: `Id` takes the canonical form (8-4-4-4-12 hexadecimal digits) and nothing else.

`Input` is the base model of every input: it applies the text and date rules to every field, nested
models, lists and dict keys included (a field typed `str` or `date` needs nothing more), names the
field in the error and says what is allowed, and never echoes what was sent (it may be clinical).

Models that are read back (events, read-model rows, a workflow's carried state, activity results) are
not `Input`s: what is stored was judged when it came in.

While a Temporal workflow replays its history, nothing is judged again: what it accepted then stands.
A rule made stricter later must not make a recorded command undecodable, or the workflow could not
replay its past and would stop for good. Judging happens when a command arrives.

Pure: no I/O. (`NotFuture` reads the clock: use it in the API's request models only, never in a
model a workflow decodes.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, WithJsonSchema, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

# What PostgreSQL can never store, whatever the field: NUL and unpaired surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Free text: those, and control characters other than tab, line feed and carriage return.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# One line: no tab or line break either.
_NOT_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _reason(value: str, match: re.Match[str], *, line: bool) -> str:
    char, where = match.group(), f"character {match.start() + 1}"
    code = ord(char)
    if code == 0:
        return f"text must not contain the NUL character (U+0000, {where}): it cannot be stored"
    if 0xD800 <= code <= 0xDFFF:
        return f"text must not contain an unpaired surrogate (U+{code:04X}, {where}): it is not a Unicode character"
    if char in "\t\n\r":
        return f"must be a single line: no tab or line break ({where})"
    allowed = "printable characters" if line else "printable characters, tabs and line breaks"
    return f"text must not contain the control character U+{code:04X} ({where}); allowed: {allowed}"


def text_problem(value: str, *, line: bool = False) -> str | None:
    """Why `value` is not acceptable text (free text, or one line), or None."""
    match = (_NOT_LINE if line else _NOT_TEXT).search(value)
    return None if match is None else _reason(value, match, line=line)


def unstorable(value: str) -> str | None:
    """Why PostgreSQL could not store `value` at all (NUL, an unpaired surrogate), or None."""
    match = _UNSTORABLE.search(value)
    return None if match is None else _reason(value, match, line=False)


def printable(value: str) -> str:
    """`value` with every character free text may not hold replaced by U+FFFD: for text the engine
    records from elsewhere (a receiver's error message), which no one can be asked to correct."""
    return _NOT_TEXT.sub("\ufffd", value)


def date_problem(value: date) -> str | None:
    """Why `value` (a date, or an instant's date) is outside the dates the engine accepts, or None."""
    day = value.date() if isinstance(value, datetime) else value
    if EARLIEST <= day <= LATEST:
        return None
    return f"{day.isoformat()} is outside the dates the engine accepts: from {EARLIEST} to {LATEST}"


def id_problem(value: str) -> str | None:
    if _UUID.fullmatch(value):
        return None
    return "must be an id as the engine makes them: a UUID, 8-4-4-4-12 hexadecimal digits"


Path = tuple[str | int, ...]


def problems(
    value: Any, path: Path = (), *, text: Callable[[str], str | None] = text_problem, dates: bool = True
) -> Iterator[tuple[Path, str]]:
    """Every text and date in `value` (models, lists, tuples, sets, dicts and their keys) that breaks the rules.

    `text` judges each string (`text_problem`, or `unstorable` for PostgreSQL's limit alone)."""
    if isinstance(value, str):
        if (why := text(value)) is not None:
            yield path, why
    elif isinstance(value, date):  # datetime too
        if dates and (why := date_problem(value)) is not None:
            yield path, why
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from problems(getattr(value, name), (*path, name), text=text, dates=dates)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (why := text(key)) is not None:
                yield path, f"a key: {why}"
                continue
            yield from problems(item, (*path, key if isinstance(key, (str, int)) else str(key)), text=text, dates=dates)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            yield from problems(item, (*path, i), text=text, dates=dates)


def _replaying() -> bool:
    """True while a Temporal workflow replays its history (see the module's docstring)."""
    try:
        from temporalio import workflow

        return workflow.in_workflow() and workflow.unsafe.is_replaying()
    except Exception:  # not in a workflow, or an SDK without these: judge
        return False


def _refuse(title: str, found: list[tuple[Path, str]]) -> ValidationError:
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("invalid_input", "{reason}", {"reason": why}), loc=path, input=None
            )
            for path, why in found
        ],
    )


class Input(BaseModel):
    """The base of every model that takes input: text and dates are judged in every field (module docstring)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        # First, before pydantic's own checks: an unpaired surrogate would otherwise be refused as
        # "unable to parse raw data as a unicode string", which says neither what nor where.
        if isinstance(value, (bool, int, float)) or value is None or _replaying():
            return value
        found = list(problems(value, text=unstorable, dates=False))
        if found:
            raise _refuse(cls.__name__, found)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _acceptable(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, (bool, int, float)) or value is None or _replaying():
            return value
        found = list(problems(value))
        if found:
            raise _refuse(cls.__name__, found)
        return value


def _judged(check: Callable[[Any], str | None]) -> AfterValidator:
    def run(value: Any) -> Any:
        if not _replaying() and (why := check(value)) is not None:
            raise PydanticCustomError("invalid_input", "{reason}", {"reason": why})
        return value

    return AfterValidator(run)


# One line of text: a name, a ward, a place, a title.
Line = Annotated[str, _judged(lambda v: text_problem(v, line=True))]
# An id the engine made (a UUID in canonical form).
Id = Annotated[str, _judged(id_problem), WithJsonSchema({"type": "string", "format": "uuid"})]


def _not_future(value: date) -> str | None:
    from dualpath.domain import copenhagen

    today = copenhagen.today()
    if value > today:
        return f"{value.isoformat()} is in the future: at the latest today ({today}, Copenhagen)"
    return None


# A date that has happened (a referral's receipt): at the latest today in Copenhagen. API models only.
NotFuture = Annotated[date, _judged(_not_future)]
