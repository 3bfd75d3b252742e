"""Who may see which pathway, and the access log that records every look.

- Region staff (clinician, visitation) see the pathways of their own region.
- Municipality staff see a pathway only while the patient's consent to
  dialogue with *their* municipality is given — the moment it is withdrawn,
  access ends — and then only what is shared (no event data, no notes).
- Ops see process state and metadata everywhere, never clinical content.
What is not yours answers 404, so that existence does not leak.

Every read or write of a pathway's data is written to `access_log` before the
data is returned: who, role, organisation, what, which pathway, and the legal
basis the access rests on.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol, TypeVar

import asyncpg

from dualpath.api.auth import Role, Staff
from dualpath.api.errors import not_found

# Set per request by the authentication dependency: "GET /pathways/{pathway_id}".
current_action: ContextVar[str] = ContextVar("current_action", default="unknown")

LEGAL_BASIS = {
    Role.clinician: "sundhedsloven § 41: treatment",
    Role.visitation: "sundhedsloven § 41: treatment (visitation)",
    Role.municipality: "consent: dialogue between region and municipality",
    Role.ops: "operations: process state, no clinical content",
}


async def may_see(pool: asyncpg.Pool, staff: Staff, *, pathway_id: str | None, region: str | None) -> bool:
    if staff.role in (Role.clinician, Role.visitation):
        return staff.org_code == region
    if staff.role == Role.municipality:
        return pathway_id is not None and await pool.fetchval(
            """SELECT EXISTS (SELECT 1 FROM rm_consents WHERE pathway_id = $1 AND scope = 'dialogue'
                              AND counterpart = $2 AND state = 'given')""",
            pathway_id,
            staff.org_code,
        )
    return staff.role == Role.ops


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
        None if denied else LEGAL_BASIS[staff.role],
        object_kind,
        object_id,
        "denied" if denied else "allowed",
    )


async def look(
    pool: asyncpg.Pool, staff: Staff, *, kind: str, object_id: str, visible: bool, pathway_id: str | None = None
) -> None:
    """Record a look at one object; a denied one answers 404, as if it did not exist."""
    await record(pool, staff, pathway_id=pathway_id, object_kind=kind, object_id=object_id, denied=not visible)
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
    region = staff.org_code if staff.role in (Role.clinician, Role.visitation) else None
    municipality = staff.org_code if staff.role == Role.municipality else None
    return region, municipality


async def record_list(pool: asyncpg.Pool, staff: Staff) -> None:
    """A list read (pathways, worklist, transitions, campaigns, the report, the access log itself)."""
    await record(pool, staff, pathway_id=None, object_kind="list", object_id=current_action.get())
