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

import asyncpg

from dualpath.api.auth import Role, Staff

# Set per request by the authentication dependency: "GET /pathways/{pathway_id}".
current_action: ContextVar[str] = ContextVar("current_action", default="unknown")

LEGAL_BASIS = {
    Role.clinician: "sundhedsloven § 41: treatment",
    Role.visitation: "sundhedsloven § 41: treatment (visitation)",
    Role.municipality: "consent: dialogue between region and municipality",
    Role.ops: "operations: process state, no clinical content",
}


def sees_clinical_content(staff: Staff) -> bool:
    return staff.role in (Role.clinician, Role.visitation)


async def may_see(pool: asyncpg.Pool, staff: Staff, *, pathway_id: str | None, region: str | None) -> bool:
    if staff.role in (Role.clinician, Role.visitation):
        return staff.org_code == region
    if staff.role == Role.municipality:
        return pathway_id is not None and await pool.fetchval(
            """SELECT EXISTS (SELECT 1 FROM rm_consents WHERE pathway_id = $1 AND scope = 'dialogue'
                              AND counterpart = $2 AND state = 'given')""",
            pathway_id, staff.org_code,
        )
    return staff.role == Role.ops


async def record(pool: asyncpg.Pool, staff: Staff, *, pathway_id: str | None) -> None:
    await pool.execute(
        """INSERT INTO access_log (subject, role, organisation, action, pathway_id, legal_basis)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        staff.subject, staff.role.value, staff.org, current_action.get(), pathway_id, LEGAL_BASIS[staff.role],
    )
