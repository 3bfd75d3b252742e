"""The latest version of a pathway's joint plan of a kind, as the event store has it.

Joint plans are recorded in more than one stream (a meeting's, a transition's, the pathway's own), and the
read model numbers them per pathway and kind in event order. The pathway's workflow asks here, under its
lock, before it records a revision: the count of recorded plans is the latest version the read model gives
(or will give, once it catches up), so a revision of an older version is refused even while the read
models lag behind. The answer lands in the workflow's history, so a replay sees what was decided then.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import JointPlanVersionQuery


@dataclass(frozen=True)
class JointPlanActivities:
    pool: asyncpg.Pool

    @activity_defn("joint_plan_version", "the joint plan's current version cannot be looked up")
    async def joint_plan_version(self, query: JointPlanVersionQuery) -> int:
        """How many plans of `query.kind` the pathway has (0: none yet): the latest one's version."""
        # Served by the partial index events_joint_plans (migration 0018).
        count: int = await self.pool.fetchval(
            """SELECT count(*) FROM events
               WHERE type = 'JointPlanRecorded' AND data->>'pathway_id' = $1 AND data->>'kind' = $2""",
            query.pathway_id,
            query.kind,
        )
        return count
