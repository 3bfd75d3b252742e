"""Reading what staff typed into a form, and saying why a form was refused.

Only parsing: the API's body models validate. A field that cannot even be read
(a date that is not a date) is refused here in the same words a model would use,
with the field's Danish name, so the form comes back with the input kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from dualpath.api import idempotency
from dualpath.api.auth import Staff
from dualpath.api.errors import ApiError
from dualpath.domain.meetings import Participant
from dualpath.web.session import Form, read_form

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
T = TypeVar("T")

# What a successful form says on the page it returns to (only these: nothing typed is echoed).
NOTICES = {
    "fase": "Forløbet er flyttet til den nye fase.",
    "niveau": "Behandlingsniveauet er besluttet og begrundet.",
    "kontakt": "Den første behandlingskontakt er registreret.",
    "akut": "Kontakten i akutfunktionen er registreret.",
    "screening": "Screeningen er registreret og scoret.",
    "kontaktperson": "Kontaktpersonen er navngivet.",
    "afsluttet": "Forløbet er afsluttet.",
    "samtykke": "Samtykket er registreret.",
    "paaroerende": "Den pårørende er tilføjet forløbet.",
    "paaroerende-fjernet": "Den pårørende er fjernet fra forløbet.",
    "opgave": "Opgaven er lukket.",
    "moede": "Mødet er indkaldt; invitationerne er sendt.",
    "planlagt": "Mødet er planlagt.",
    "afholdt": "Mødet er registreret som afholdt.",
    "aflyst": "Mødet er aflyst.",
    "plan": "Den fælles plan er gemt som en ny version.",
    "indlagt": "Indlæggelsen er registreret.",
    "indlaeggelsesfase": "Indlæggelsen er flyttet til den nye fase.",
    "udskrevet": "Udskrivelsen er registreret; opfølgningsopgaverne er oprettet.",
    "orlov": "Orloven er registreret; dagen efter den slutter, beder en opgave om, hvordan den gik.",
    "orlov-forloeb": "Det er registreret, hvordan orloven gik.",
    "accepteret": "Henvisningen er accepteret: forløbet er startet i fase 1 (Opstart).",
    "afvist": "Henvisningen er afvist.",
}

FIELD_NAMES = {
    "to": "Ny fase",
    "reason": "Begrundelse",
    "reason_kind": "Årsag",
    "subject": "Medarbejder",
    "scope": "Samtykkets omfang",
    "counterpart": "Kommune",
    "state": "Tilstand",
    "form": "Form",
    "consent_form": "Form",
    "outcome": "Udfald",
    "note": "Bemærkning",
    "kind": "Type",
    "purpose": "Formål",
    "participants": "Deltagere",
    "called_on": "Indkaldt den",
    "at": "Tidspunkt",
    "place": "Sted",
    "held_on": "Afholdt den",
    "attendees": "Fremmødte",
    "joint_plan": "Fælles plan",
    "summary": "Resumé",
    "agreed_by": "Aftalt af",
    "revises": "Reviderer version",
    "actions": "Hvem gør hvad",
    "party": "Part",
    "who": "Hvem",
    "what": "Hvad",
    "by": "Senest",
    "crisis_plan": "Kriseplan",
    "warning_signs": "Faresignaler",
    "what_to_do": "Hvad gør vi",
    "whom_to_call": "Hvem kontaktes",
    "next_review": "Næste opfølgning",
    "via": "Indlagt via",
    "ward": "Afsnit",
    "admitted_on": "Indlagt den",
    "planned_date": "Planlagt udskrivelsesdato",
    "keep_reason": "Begrundelse for at fastholde datoen",
    "discharged_on": "Udskrevet den",
    "cpr": "CPR-nummer",
    "municipality": "Bopælskommune",
    "source": "Henvist fra",
    "received_on": "Modtaget den",
    "contact_on": "Første behandlingskontakt den",
    "facts": "Forhold",
    "criteria": "Kriterier",
    "psychiatric_contact": "Kontakt med psykiatrien",
    "municipal_substance_treatment": "Kommunal rusmiddelbehandling",
    "mental_illness": "Psykisk lidelse",
    "substance_problem": "Rusmiddelproblematik",
    "reduced_functioning": "Nedsat funktionsevne",
    "parallel_treatment_insufficient": "Parallel behandling ikke tilstrækkelig",
    "accept": "Afgørelse",
}

HEADINGS = {
    403: "Din rolle må ikke dette",
    404: "Ikke fundet",
    409: "Motoren afviste handlingen",
    422: "Oplysningerne kan ikke bruges",
}


@dataclass
class Refusal:
    """Why a form was refused, in the engine's words, and what it allows instead."""

    status: int
    message: str
    allowed: list[Any] = field(default_factory=list)
    open_tasks: list[Any] = field(default_factory=list)
    fields: list[dict[str, str]] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return HEADINGS.get(self.status, "Handlingen mislykkedes")

    @classmethod
    def of(cls, exc: ValueError | ApiError) -> Refusal:
        """The refusal for what a form's action raised: the engine's or the API's answer, or invalid input."""
        return cls.from_api(exc) if isinstance(exc, ApiError) else cls.invalid(exc)

    @classmethod
    def from_api(cls, exc: ApiError) -> Refusal:
        b = exc.body
        return cls(
            status=exc.status,
            message=b.message,
            allowed=b.allowed or [],
            open_tasks=b.open_tasks or [],
            fields=b.fields or [],
        )

    @classmethod
    def invalid(cls, exc: Exception) -> Refusal:
        if isinstance(exc, ValidationError):
            fields = []
            for e in exc.errors():
                loc = [str(p) for p in e["loc"] if not isinstance(p, int)]
                name = " · ".join(FIELD_NAMES.get(p, p) for p in loc) or "Formularen"
                msg = e["msg"].removeprefix("Value error, ")
                fields.append({"field": name, "reason": msg})
            return cls(status=422, message="; ".join(f"{f['field']}: {f['reason']}" for f in fields), fields=fields)
        return cls(status=422, message=str(exc))


async def submit(
    request: Request,
    staff: Staff,
    action: Callable[[Form], Awaitable[T]],
    answer: Callable[[T], Awaitable[Response]],
    refused: Callable[[Form, Refusal], Awaitable[Response]],
) -> Response:
    """Run a posted form (CSRF checked) as `staff` under the form's idempotency key: `action` sends its
    command, `answer` is the page after it; refused, `refused` draws the form again with the reasons."""
    form = await read_form(request)
    token = idempotency.bind_form(staff, request.url.path, form.pairs)
    try:
        outcome = await action(form)
    except (ValueError, ApiError) as exc:  # ValueError includes the body models' ValidationError
        return await refused(form, Refusal.of(exc))
    finally:
        idempotency.current.reset(token)
    return await answer(outcome)


# How a field is read from what was typed: `reader(form, name)`.
Reader = Callable[[Form, str], Any]


def read(form: Form, fields: Mapping[str, Reader]) -> dict[str, Any]:
    """A body's fields, each read by its reader."""
    return {name: reader(form, name) for name, reader in fields.items()}


def text(form: Form, name: str) -> str:
    return form.get(name)


def stripped(form: Form, name: str) -> str:
    return form.get(name).strip()


def optional(form: Form, name: str) -> str | None:
    """Text, or None when left empty."""
    return form.optional(name)


def ticked(form: Form, name: str) -> bool:
    """A checkbox whose value is 'ja'."""
    return form.get(name) == "ja"


def people(form: Form, name: str) -> list[dict[str, str | None]]:
    """Participants, one a line (see `participants`)."""
    return participants(form.get(name))


def _typed(form: Form, name: str, read: Callable[[str], T], problem: str) -> T | None:
    """A field read by `read`; empty is None; unreadable is refused with the field's Danish name and
    `problem` (where `{}` stands for what was typed)."""
    v = form.get(name).strip()
    if not v:
        return None
    try:
        return read(v)
    except ValueError:
        raise ValueError(f"{FIELD_NAMES.get(name, name)}: {problem.format(v)}") from None


def a_date(form: Form, name: str) -> date | None:
    """A date field (åååå-mm-dd, as <input type="date"> sends it)."""
    return _typed(form, name, date.fromisoformat, "'{}' er ikke en dato (åååå-mm-dd)")


def a_time(form: Form, name: str) -> datetime | None:
    """A local date and time (<input type="datetime-local">), read as Copenhagen time."""
    return _typed(
        form, name, lambda v: datetime.fromisoformat(v).replace(tzinfo=COPENHAGEN), "'{}' er ikke et tidspunkt"
    )


def a_choice(form: Form, name: str) -> int | None:
    """A numbered choice (a phase)."""
    return _typed(form, name, int, "vælg en af mulighederne")


def yes_or_no(form: Form, name: str) -> bool | None:
    """'ja' or 'nej'; anything else (not answered) is None, which the model refuses where it must be given."""
    return {"ja": True, "nej": False}.get(form.get(name))


def participants(text: str) -> list[dict[str, str | None]]:
    """One participant per line: 'rolle, organisation[, navn eller funktion]'."""
    out: list[dict[str, str | None]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(
                f"linje {n} ('{line.strip()}'): skriv 'rolle, organisation' (og eventuelt ', navn eller funktion')"
            )
        out.append({"role": parts[0], "organisation": parts[1], "name_or_function": ", ".join(parts[2:]) or None})
    return out


def participant_lines(items: list[Participant]) -> str:
    """The participants written back the way `participants` reads them."""
    return "\n".join(", ".join(x for x in (p.role, p.organisation, p.name_or_function) if x) for p in items)
