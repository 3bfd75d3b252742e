"""The `pathways` projection: referrals and pathways as staff list and open them.

Their readers are in `queries.py` (referrals, pathways), with the other reads the API shares.
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.readmodels.projection import ReadModel, Table, on, to_jsonb

_REFERRALS = Table("rm_referrals", "referral_id")
_PATHWAYS = Table("rm_pathways", "pathway_id")
# What changes a referral's or a pathway's row once it is there.
_ReferralChange: TypeAlias = (
    ev.ReferralReleased
    | ev.ReferralDeadlineApproaching
    | ev.ReferralDeadlinePassed
    | ev.ReferralAccepted
    | ev.ReferralAttached
    | ev.ReferralDeclined
)
_PathwayChange: TypeAlias = ev.PhaseChanged | ev.LevelOfCareChanged | ev.PathwayEnded


class PathwaysProjection(ReadModel, name="pathways", tables=("rm_referrals", "rm_pathways")):
    @on(ev.ReferralReceived)
    async def received(self, conn: asyncpg.Connection, e: ev.ReferralReceived, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_referrals (referral_id, patient_id, source, municipality, region, target_group,
                   status, received_on, start_deadline, opens_on, reasons, updated_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11::jsonb,$12)
               ON CONFLICT (referral_id) DO NOTHING""",
            e.referral_id,
            e.patient_id,
            e.source,
            e.municipality,
            e.region,
            e.group,
            e.status,
            e.received_on,
            e.start_deadline,
            e.opens_on,
            to_jsonb(e.reasons),
            at.recorded_at,
        )

    @on(_ReferralChange)
    async def referral_changed(self, conn: asyncpg.Connection, e: _ReferralChange, at: RecordedEvent) -> None:
        changes: dict[str, object]
        match e:
            case ev.ReferralReleased():
                changes = {"status": "awaiting_visitation"}
            case ev.ReferralDeadlineApproaching():
                changes = {"deadline_warned": True}
            case ev.ReferralDeadlinePassed():
                changes = {"deadline_passed": True}
            case ev.ReferralAccepted():
                changes = {"status": "accepted", "pathway_id": e.pathway_id}
            case ev.ReferralAttached():
                changes = {"status": "attached", "pathway_id": e.pathway_id}
            case ev.ReferralDeclined():
                changes = {"status": "declined"}
        await _REFERRALS.update(conn, e.referral_id, at, **changes)

    @on(ev.PathwayStarted)
    async def started(self, conn: asyncpg.Connection, e: ev.PathwayStarted, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_pathways (pathway_id, referral_id, patient_id, target_group, region, municipality,
                   kind, phase, level_of_care, status, started_at, updated_at, catalogue_version)
               VALUES ($1,$2,$3,$4,$5,$6,'ambulatory',$7,$8,'active',$9,$9,$10)
               ON CONFLICT (pathway_id) DO NOTHING""",
            e.pathway_id,
            e.referral_id,
            e.patient_id,
            e.group,
            e.region,
            e.municipality,
            e.phase,
            e.level_of_care,
            at.recorded_at,
            e.catalogue_version,
        )

    @on(_PathwayChange)
    async def pathway_changed(self, conn: asyncpg.Connection, e: _PathwayChange, at: RecordedEvent) -> None:
        changes: dict[str, object]
        match e:
            case ev.PhaseChanged():
                changes = {"phase": e.to_phase}
            case ev.LevelOfCareChanged():
                changes = {"level_of_care": e.to_level}
            case ev.PathwayEnded():
                changes = {"status": "ended", "ended_at": at.recorded_at, "end_reason": e.reason_kind}
        await _PATHWAYS.update(conn, e.pathway_id, at, **changes)
