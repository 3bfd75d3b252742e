"""The relatives register (issue #15 item 4): a pathway's relatives (pårørende), and who of them may be involved.

Not a read model: the table `relatives` is a register like `patients` and `staff_names`, written by the API, the
only place a relative's name, relation and how to reach them are kept (never in Temporal nor an event: the
pathway's stream records RelativeAdded/RelativeRemoved with the pseudonymous id and the kind of relation). The
consent to involving a relative is the pathway's `involve_relative` consent towards the relative's id, read from
`rm_consents` like every consent.

Disclosure: the name and how to reach them are SHARED (region staff; the municipality on the patient's consent, as
the sectors' shared record); ops read the count and the kinds of relation, never a name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from pydantic import BaseModel, Field

from dualpath.domain.disclosure import SHARED
from dualpath.domain.relatives import INVOLVE_RELATIVE


class RelativeRow(BaseModel):
    relative_id: str
    relation: str
    name: Annotated[str | None, SHARED]
    contact: Annotated[str | None, SHARED]
    consent: str | None = Field(
        description="The patient's consent to involving this relative (scope involve_relative): given, refused, "
        "withdrawn, or none recorded"
    )
    added_at: datetime
    removed_at: datetime | None


class RelativeList(BaseModel):
    """A pathway's relatives: how many (on it now), and (to those who may read names) who."""

    pathway_id: str
    count: int
    relatives: Annotated[list[RelativeRow], SHARED]


_SELECT = f"""SELECT r.relative_id, r.relation, r.name, r.contact, c.state AS consent, r.added_at, r.removed_at
                FROM relatives r
                LEFT JOIN rm_consents c ON c.pathway_id = r.pathway_id AND c.scope = '{INVOLVE_RELATIVE}'
                                       AND c.counterpart = r.relative_id"""


async def add(
    pool: asyncpg.Pool, *, relative_id: str, pathway_id: str, name: str, relation: str, contact: str | None
) -> None:
    """Write a relative to the register (the same id again, a repeated request, changes nothing)."""
    await pool.execute(
        """INSERT INTO relatives (relative_id, pathway_id, name, relation, contact) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (relative_id) DO NOTHING""",
        relative_id,
        pathway_id,
        name,
        relation,
        contact,
    )


async def remove(pool: asyncpg.Pool, relative_id: str) -> None:
    """The relative is no longer on the pathway; the row stays, so consents and meetings naming them still read."""
    await pool.execute(
        "UPDATE relatives SET removed_at = coalesce(removed_at, now()) WHERE relative_id = $1", relative_id
    )


async def relative(pool: asyncpg.Pool, pathway_id: str, relative_id: str) -> RelativeRow | None:
    row = await pool.fetchrow(f"{_SELECT} WHERE r.pathway_id = $1 AND r.relative_id = $2", pathway_id, relative_id)
    return RelativeRow(**dict(row)) if row else None


async def relatives(pool: asyncpg.Pool, pathway_id: str) -> RelativeList:
    """The pathway's relatives, those on it first, in the order they were added."""
    rows = await pool.fetch(
        f"{_SELECT} WHERE r.pathway_id = $1 ORDER BY r.removed_at IS NOT NULL, r.added_at, r.relative_id", pathway_id
    )
    found = [RelativeRow(**dict(r)) for r in rows]
    return RelativeList(pathway_id=pathway_id, count=sum(r.removed_at is None for r in found), relatives=found)


async def involvable(pool: asyncpg.Pool, pathway_id: str) -> tuple[set[str], set[str]]:
    """The pathway's relatives (on it now), and those of them the patient has consented to involving."""
    rows = await pool.fetch(f"{_SELECT} WHERE r.pathway_id = $1 AND r.removed_at IS NULL", pathway_id)
    return {r["relative_id"] for r in rows}, {r["relative_id"] for r in rows if r["consent"] == "given"}
