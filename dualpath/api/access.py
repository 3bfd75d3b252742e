"""Who may see which pathway, and the access log that records every look.

- Region staff (clinician, visitation) see the pathways of their own region.
- Municipality staff see a pathway only while the patient's consent to
  dialogue with *their* municipality is given — the moment it is withdrawn,
  access ends — and then only what is shared (no event data, no notes).
- Ops see process state and metadata everywhere, never clinical content.
- A general practice sees no pathway; of referrals only those it sent, and of them only the answer
  (routes/referrals.py, `referrals_sent`).
What is not yours answers 404, so that existence does not leak.

Without that consent, municipal staff see a pathway only on a legal basis they name
(`?legal_basis=`, a closed list: domain/legal_basis.py — the Psychiatry Act §13c for a
udskrivningsaftale or a koordinationsplan), for their own municipality's pathway on which the
patient is or has been admitted, and only to read (GET). The same shared record as with consent.

Every read or write of a pathway's data is written to `access_log` before the
data is returned: who, role, organisation, what, which pathway, and the legal
basis the access rests on — for municipal staff the one it did rest on: `consent: …`
or the basis they named.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol, TypeVar

import asyncpg

from dualpath.api.auth import Role, Staff
from dualpath.api.errors import ApiError, not_found
from dualpath.domain import legal_basis

# Set per request by the authentication dependency: "GET /pathways/{pathway_id}".
current_action: ContextVar[str] = ContextVar("current_action", default="unknown")

# The basis each role's access rests on; a municipal look without consent rests on the basis named.
LEGAL_BASIS = {
    Role.clinician: "sundhedsloven § 41: treatment",
    Role.visitation: "sundhedsloven § 41: treatment (visitation)",
    Role.municipality: legal_basis.CONSENT_BASIS,
    Role.ops: "operations: process state, no clinical content",
    Role.gp: "the referrer: its own referral (henvisning) and the answer to it",
}

BASIS_PARAMETER = "legal_basis"

# Set per request from the `legal_basis` query parameter (api/deps.py, web/session.py): the basis a
# municipal reader names for reading without the patient's consent, judged by `name_basis`.
named_basis: ContextVar[str | None] = ContextVar("named_basis", default=None)
# The basis this request's look at a pathway was allowed on: (pathway id, the access log's legal_basis).
_granted: ContextVar[tuple[str, str] | None] = ContextVar("granted_basis", default=None)


def name_basis(staff: Staff, method: str, value: str | None) -> None:
    """This request's named basis (`?legal_basis=`), judged once for every route: from the closed list
    (else 422 listing it), by municipal staff (the only readers without consent), on a read (GET)."""
    named_basis.set(None)
    _granted.set(None)
    if value is None:
        return
    if (why := legal_basis.problem(value)) is not None:
        raise ApiError(422, "invalid_input", why, allowed=legal_basis.allowed())
    if staff.role != Role.municipality:
        raise ApiError(
            422,
            "invalid_input",
            f"legal_basis is named by municipal staff reading without the patient's consent; role "
            f"{staff.role.value} reads on its own basis ({LEGAL_BASIS[staff.role]})",
        )
    if method not in ("GET", "HEAD"):
        raise ApiError(
            422,
            "invalid_input",
            "a legal basis is named to read the shared record without consent (GET); it gives no right to act",
        )
    named_basis.set(value)


async def may_see(pool: asyncpg.Pool, staff: Staff, *, pathway_id: str | None, region: str | None) -> bool:
    basis = await _basis(pool, staff, pathway_id=pathway_id, region=region)
    if basis is not None and pathway_id is not None:
        _granted.set((pathway_id, basis))
    return basis is not None


async def _basis(pool: asyncpg.Pool, staff: Staff, *, pathway_id: str | None, region: str | None) -> str | None:
    """The basis on which `staff` may see the pathway (the access log's `legal_basis`), or None."""
    if staff.role in (Role.clinician, Role.visitation):
        return LEGAL_BASIS[staff.role] if staff.org_code == region else None
    if staff.role == Role.ops:
        return LEGAL_BASIS[staff.role]
    if staff.role != Role.municipality or pathway_id is None:
        return None
    if await pool.fetchval(
        """SELECT EXISTS (SELECT 1 FROM rm_consents WHERE pathway_id = $1 AND scope = 'dialogue'
                          AND counterpart = $2 AND state = 'given')""",
        pathway_id,
        staff.org_code,
    ):
        return LEGAL_BASIS[staff.role]  # with consent no basis is needed: the look rests on the consent
    named = named_basis.get()
    if named is None:
        return None
    row = await pool.fetchrow(
        """SELECT p.municipality, EXISTS (SELECT 1 FROM rm_stays s WHERE s.pathway_id = p.pathway_id) AS admitted
           FROM rm_pathways p WHERE p.pathway_id = $1""",
        pathway_id,
    )
    if row is None or not legal_basis.applies(
        reader_municipality=staff.org_code, pathway_municipality=row["municipality"], admitted=row["admitted"]
    ):
        return None
    return legal_basis.logged(named)


def granted(pathway_id: str | None) -> str | None:
    """The basis this request's look at the pathway rested on (what the access log says of it), if it looked."""
    found = _granted.get()
    return found[1] if found is not None and pathway_id is not None and found[0] == pathway_id else None


def granted_basis(staff: Staff, pathway_id: str | None) -> str:
    """The basis of this request's access to the pathway: the one its look rested on, else the role's."""
    return granted(pathway_id) or LEGAL_BASIS[staff.role]


async def record(
    pool: asyncpg.Pool,
    staff: Staff,
    *,
    pathway_id: str | None,
    object_kind: str | None = None,
    object_id: str | None = None,
    denied: bool = False,
) -> None:
    """One look or change: `object_kind`/`object_id` name what (a pathway, referral, transition,
    campaign, or a list read as `list` with its route); `denied` a look answered 404."""
    if object_kind is None and pathway_id is not None:
        object_kind, object_id = "pathway", pathway_id
    await pool.execute(
        """INSERT INTO access_log (subject, role, organisation, action, pathway_id, legal_basis,
                                   object_kind, object_id, outcome)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        staff.subject,
        staff.role.value,
        staff.org,
        current_action.get(),
        pathway_id,
        None if denied else granted_basis(staff, pathway_id),
        object_kind,
        object_id,
        "denied" if denied else "allowed",
    )


async def look(
    pool: asyncpg.Pool, staff: Staff, *, kind: str, object_id: str, visible: bool, pathway_id: str | None = None
) -> None:
    """Record a look at one object; a denied one answers 404, as if it did not exist."""
    await record(pool, staff, pathway_id=pathway_id, object_kind=kind, object_id=object_id, denied=not visible)
    if not visible and kind == "pathway" and staff.role == Role.municipality:
        # The same words whether the pathway exists or not: existence does not leak.
        raise ApiError(
            404,
            "not_found",
            "no pathway with that id shared with your municipality: it is shared on the patient's consent to "
            "dialogue, or read without it on a legal basis named as legal_basis (allowed)",
            allowed=legal_basis.allowed(),
        )
    if not visible:
        raise not_found(kind)


class _OfAPathway(Protocol):
    @property
    def pathway_id(self) -> str | None: ...


R = TypeVar("R", bound=_OfAPathway)


async def seen(pool: asyncpg.Pool, staff: Staff, kind: str, object_id: str, row: R | None, visible: bool) -> R:
    """The object's read-model `row` for a caller who may see it (`visible`), with the look written to the
    access log under the row's pathway; else 404, as if it did not exist."""
    pathway_id = row.pathway_id if row is not None else None
    await look(pool, staff, kind=kind, object_id=object_id, visible=visible, pathway_id=pathway_id)
    assert row is not None
    return row


def list_limits(staff: Staff) -> tuple[str | None, str | None]:
    """What a caller's lists are limited to, as (region, municipality): region staff's to their region,
    municipality staff's to their municipality; ops' to neither (they read process state everywhere)."""
    if staff.role not in (Role.clinician, Role.visitation, Role.municipality, Role.ops):
        # Fail closed: a role whose lists are not limited here (a general practice) reads no list at all.
        raise ApiError(403, "forbidden", f"role {staff.role.value} reads no lists")
    region = staff.org_code if staff.role in (Role.clinician, Role.visitation) else None
    municipality = staff.org_code if staff.role == Role.municipality else None
    return region, municipality


async def record_list(pool: asyncpg.Pool, staff: Staff) -> None:
    """A list read (pathways, worklist, transitions, campaigns, the report, the access log itself)."""
    await record(pool, staff, pathway_id=None, object_kind="list", object_id=current_action.get())
