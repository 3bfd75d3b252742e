"""Who may read a field: the markers the disclosure policy (api/disclosure.py) reads.

A field of an answer is process state unless it is marked. Marked fields say
the widest audience that may read them, among those who may see the object at
all (region staff of its region; municipal staff with the patient's consent to
dialogue; ops):

    ward: Annotated[str | None, CLINICAL]

- `CLINICAL`: psychiatry's own record — free text written on the region's side,
  what events say, who did it, people's names. Region staff only.
- `SHARED`: what the two sectors share under the patient's consent (the parties'
  joint record, a koordinationsplan, where and when a meeting is). Region staff
  and municipal staff (on consent, or without it on a named legal basis:
  domain/legal_basis.py); never ops.
- `OWNER`: belongs to the organisation named in the row's own `owner_field`
  (a task's note and title). Region staff and that organisation.
- `REFERRER`: the answer to a referral, for the organisation that sent it (named
  in the row's `referred_by`): the reason a referral was declined. Region staff
  and that organisation (a general practice reads its own referrals' answers).

`clinical_keys` narrows a `SHARED` dict: those keys are psychiatry's own.
A model may also name, in `disclosure_owner`, the field that says which
organisation a row belongs to: municipal staff see only their own rows.

Pure: no I/O, safe in the workflow sandbox (domain models carry these marks).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    clinical = "clinical"
    shared = "shared"
    owner = "owner"
    referrer = "referrer"


@dataclass(frozen=True)
class Disclosure:
    audience: Audience
    clinical_keys: tuple[str, ...] = ()
    owner_field: str = "owner_org"


CLINICAL = Disclosure(Audience.clinical)
SHARED = Disclosure(Audience.shared)
OWNER = Disclosure(Audience.owner)
REFERRER = Disclosure(Audience.referrer, owner_field="referred_by")


def shared_except(*keys: str) -> Disclosure:
    """A shared dict whose `keys` are psychiatry's own (e.g. the assessment text inside an assessment)."""
    return Disclosure(Audience.shared, clinical_keys=keys)
