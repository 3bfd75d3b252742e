"""The bases on which psychiatry's record is disclosed to another sector (spec §7), as the access log records them.

Municipal staff read a pathway's shared record on the patient's consent to dialogue with their
municipality. Without it, only on a legal basis named from this closed list — the Psychiatry Act
§13c allows disclosure of what is needed for a discharge agreement (*udskrivningsaftale*, §13a) or
a coordination plan (*koordinationsplan*, §13b, made when the patient will not take part):

| code                  | basis (as the access log and the pages show it)                                   |
|-----------------------|-----------------------------------------------------------------------------------|
| `psychiatry_act_13a`  | psykiatriloven § 13c, jf. § 13a: til brug for en udskrivningsaftale               |
| `psychiatry_act_13b`  | psykiatriloven § 13c, jf. § 13b: til brug for en koordinationsplan                |

Both plans are made for a discharge from a psychiatric ward, so a basis applies only to a pathway
of the reader's own municipality on which the patient is or has been admitted (`applies`).

Every access log row's `legal_basis` begins with its code: `consent: …`, `psychiatry_act_13a: …`,
so that consent-based and basis-based disclosures are counted apart (`kind_of`).

Pure: no I/O.
"""

from __future__ import annotations

from typing import Literal, get_args

LegalBasisCode = Literal["psychiatry_act_13a", "psychiatry_act_13b"]
CODES: tuple[str, ...] = get_args(LegalBasisCode)

CONSENT = "consent"
# What a municipal look on consent is logged as (the code, then the words).
CONSENT_BASIS = "consent: dialogue between region and municipality"

WORDING: dict[str, str] = {
    "psychiatry_act_13a": "psykiatriloven § 13c, jf. § 13a: til brug for en udskrivningsaftale (discharge agreement)",
    "psychiatry_act_13b": "psykiatriloven § 13c, jf. § 13b: til brug for en koordinationsplan (coordination plan)",
}

# The page's and the report's short names.
LABELS: dict[str, str] = {
    CONSENT: "samtykke",
    "psychiatry_act_13a": "psykiatriloven § 13c, jf. § 13a (udskrivningsaftale)",
    "psychiatry_act_13b": "psykiatriloven § 13c, jf. § 13b (koordinationsplan)",
}


def allowed() -> list[str]:
    """The bases a disclosure without consent may name, each `code: wording`."""
    return [logged(code) for code in CODES]


def logged(code: str) -> str:
    """The access log's `legal_basis` for a disclosure on `code`."""
    return f"{code}: {WORDING[code]}"


def problem(value: str | None) -> str | None:
    """Why `value` is not a basis a disclosure without consent may name, or None."""
    if value in CODES:
        return None
    named = "no legal basis was named" if not value else "that is not a legal basis this engine knows"
    return f"{named}: legal_basis must be one of {', '.join(CODES)}"


def applies(*, reader_municipality: str, pathway_municipality: str, admitted: bool) -> bool:
    """Whether a named basis lets a municipal reader see the pathway: their own municipality's pathway,
    on which the patient is or has been admitted (both plans are made for a discharge)."""
    return reader_municipality == pathway_municipality and admitted


def kind_of(legal_basis: str | None) -> str | None:
    """The code an access log row's `legal_basis` begins with (`consent`, `psychiatry_act_13a`, …), or None."""
    if not legal_basis:
        return None
    return legal_basis.partition(":")[0]
