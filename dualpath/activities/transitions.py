"""What a transition needs to know from outside its own stream: whether an integrated pathway has ended.

A move back to coordinated treatment is decided by the transition, but the
integrated pathway closes through its own phase-4 tasks (the bridging plan) and
the clinician's `end_pathway`: one writer per stream. The transition waits for
that by asking the event store, with Temporal's retry policy as the poll loop
(an attempt that finds the pathway open fails, and the next one comes after a
growing interval): a wait of months adds nothing to the workflow's history.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.exceptions import ApplicationError

from dualpath import workflow_ids
from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import PathwayEndedInfo, PathwayEndedQuery
from dualpath.eventstore import EventStore

STILL_OPEN = "PathwayStillOpen"


@dataclass(frozen=True)
class TransitionActivities:
    store: EventStore

    @activity_defn("pathway_ended", "the pathway's end cannot be looked up")
    async def pathway_ended(self, query: PathwayEndedQuery) -> PathwayEndedInfo:
        """The pathway's PathwayEnded; fails (to be retried later) while the pathway is open."""
        for event in reversed(await self.store.read_stream(workflow_ids.pathway_stream(query.pathway_id))):
            if event.type == "PathwayEnded":
                return PathwayEndedInfo(
                    pathway_id=query.pathway_id, reason_kind=event.data["reason_kind"], ended_at=event.recorded_at
                )
        raise ApplicationError(f"pathway {query.pathway_id} has not ended yet", type=STILL_OPEN)
