"""Consent (samtykke, spec §7): scope, counterpart, state, form; withdrawal at once."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ConsentScope = Literal["dialogue", "inform_municipal_treatment", "involve_relative"]
# The scopes whose counterpart is a municipality (its three-digit code); `involve_relative`'s counterpart is the
# relative's pseudonymous id (domain/relatives.py), one of the pathway's relatives.
MUNICIPAL_SCOPES = ("dialogue", "inform_municipal_treatment")
ConsentState = Literal["given", "refused", "withdrawn"]
ConsentForm = Literal["written", "oral"]

SCOPE_DESCRIPTIONS = {
    "dialogue": "dialogue between region and municipality",
    "inform_municipal_treatment": "keeping municipal substance treatment informed of admission, discharge "
    "and FMK changes",
    "involve_relative": "involving a named relative (pårørende) in the treatment and at meetings",
}


class Consent(BaseModel):
    scope: ConsentScope
    counterpart: str  # the municipality's three-digit code; for involve_relative, the relative's id
    state: ConsentState
    form: ConsentForm


class ConsentRefused(ValueError):
    pass


def check_change(current: Consent | None, new_state: ConsentState) -> None:
    if new_state == "withdrawn" and (current is None or current.state != "given"):
        raise ConsentRefused("only a given consent can be withdrawn; record a refusal instead")


def is_given(consents: list[Consent], scope: ConsentScope, counterpart: str) -> bool:
    return any(c.scope == scope and c.counterpart == counterpart and c.state == "given" for c in consents)
