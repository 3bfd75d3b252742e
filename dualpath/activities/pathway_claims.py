"""One active pathway per patient, enforced by PostgreSQL (table `pathway_claims`).

A workflow that would start a pathway claims the patient first (`claim_pathway`):
the table's primary key on the patient lets exactly one of any number of racing
claims through, whichever workflow (referral, transition, campaign) they come
from. The pathway releases its claim when it ends (`release_pathway`). A claim
held by a pathway the read models show as ended (its release lost, e.g. a
terminated workflow) passes to the new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import structlog
from temporalio import activity

from dualpath.contracts.activities import PathwayClaim

log = structlog.get_logger("dualpath.activities.pathway_claims")


@dataclass(frozen=True)
class PathwayClaims:
    pool: asyncpg.Pool

    @activity.defn(name="claim_pathway")
    async def claim_pathway(self, claim: PathwayClaim) -> bool:
        """True when `claim.pathway_id` may start (it holds the patient now, or already did on a retry);
        False when another pathway of the patient is active."""
        async with self.pool.acquire() as conn, conn.transaction():
            holder = await conn.fetchval(
                """INSERT INTO pathway_claims (patient_id, pathway_id) VALUES ($1, $2)
                   ON CONFLICT (patient_id) DO NOTHING RETURNING pathway_id""",
                claim.patient_id,
                claim.pathway_id,
            )
            if holder is None:
                holder = await conn.fetchval(
                    "SELECT pathway_id FROM pathway_claims WHERE patient_id = $1 FOR UPDATE", claim.patient_id
                )
            if holder is None:  # released between the two statements: try again
                raise RuntimeError("the patient's pathway claim was released meanwhile; claiming again")
            if holder == claim.pathway_id:
                return True
            ended = await conn.fetchval("SELECT status = 'ended' FROM rm_pathways WHERE pathway_id = $1", holder)
            if ended:
                await conn.execute(
                    "UPDATE pathway_claims SET pathway_id = $2, claimed_at = now() WHERE patient_id = $1",
                    claim.patient_id,
                    claim.pathway_id,
                )
                log.info(
                    "pathway claim taken over from an ended pathway",
                    ended_pathway_id=holder,
                    pathway_id=claim.pathway_id,
                )
                return True
        log.info("pathway not started: the patient has an active pathway", pathway_id=claim.pathway_id)
        return False

    @activity.defn(name="release_pathway")
    async def release_pathway(self, claim: PathwayClaim) -> None:
        await self.pool.execute(
            "DELETE FROM pathway_claims WHERE patient_id = $1 AND pathway_id = $2", claim.patient_id, claim.pathway_id
        )
