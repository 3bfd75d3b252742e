"""The `pathways` projection: referrals and pathways as staff list and open them.

Their readers are in `queries.py` (referrals, pathways), with the other reads the API shares.
"""

from __future__ import annotations

from typing import TypeAlias

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import ReadModel, Table, on, to_jsonb

_REFERRALS = Table("rm_referrals", "referral_id", columns={"group": "target_group"})
_PATHWAYS = Table("rm_pathways", "pathway_id", columns={"group": "target_group"})
# What changes a referral's or a pathway's row once it is there.
_ReferralChange: TypeAlias = (
    ev.ReferralReleased
    | ev.ReferralDeadlineApproaching
    | ev.ReferralDeadlinePassed
    | ev.ReferralAccepted
    | ev.ReferralAttached
    | ev.ReferralDeclined
)
# What an event about something on a pathway (a stay, a meeting) carries that only the pathway's row keeps.
ON_THE_PATHWAY = ("region", "municipality")
_PathwayChange: TypeAlias = (
    ev.PhaseChanged
    | ev.LevelOfCareChanged
    | ev.PathwayEnded
    | ev.FirstTreatmentContact
    | ev.FirstContactDeadlineApproaching
    | ev.FirstContactDeadlinePassed
)


class PathwaysProjection(ReadModel, name="pathways", tables=("rm_referrals", "rm_pathways")):
    @on(ev.ReferralReceived)
    async def received(self, conn: Connection, e: ev.ReferralReceived, at: RecordedEvent) -> None:
        # Who sent it (the organisation of the event's actor): the referrer reads the answer to it.
        referred_by = (at.metadata.get("actor") or {}).get("organisation")
        await _REFERRALS.insert(
            conn, e, reasons=to_jsonb(e.reasons), referred_by=referred_by, updated_at=at.recorded_at
        )

    @on(_ReferralChange)
    @_REFERRALS.changes
    def referral_changed(e: _ReferralChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.ReferralReleased():
                return {"status": "awaiting_visitation"}
            case ev.ReferralDeadlineApproaching():
                return {"deadline_warned": True}
            case ev.ReferralDeadlinePassed():
                return {"deadline_passed": True}
            case ev.ReferralAccepted():
                return {"status": "accepted", "pathway_id": e.pathway_id, "decided_at": at.recorded_at}
            case ev.ReferralAttached():
                return {"status": "attached", "pathway_id": e.pathway_id, "decided_at": at.recorded_at}
            case ev.ReferralDeclined():
                return {"status": "declined", "decided_at": at.recorded_at, "decline_reason": e.reason}

    @on(ev.PathwayStarted)
    async def started(self, conn: Connection, e: ev.PathwayStarted, at: RecordedEvent) -> None:
        await _PATHWAYS.insert(
            conn, e, kind="ambulatory", status="active", started_at=at.recorded_at, updated_at=at.recorded_at
        )

    @on(_PathwayChange)
    @_PATHWAYS.changes
    def pathway_changed(e: _PathwayChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.PhaseChanged():
                return {"phase": e.to_phase}
            case ev.LevelOfCareChanged():
                return {"level_of_care": e.to_level}
            case ev.PathwayEnded():
                return {"status": "ended", "ended_at": at.recorded_at, "end_reason": e.reason_kind}
            case ev.FirstTreatmentContact():
                return {"first_contact_on": e.contact_on, "first_contact_within_deadline": e.within_deadline}
            case ev.FirstContactDeadlineApproaching():
                return {"first_contact_warned": True}
            case ev.FirstContactDeadlinePassed():
                return {"first_contact_deadline_passed": True}
