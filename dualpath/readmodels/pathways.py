"""The `pathways` projection: referrals and pathways as staff list and open them."""

from __future__ import annotations

import json

import asyncpg

from dualpath.eventstore import RecordedEvent


class PathwaysProjection:
    name = "pathways"
    tables = ("rm_referrals", "rm_pathways")

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            await handler(conn, event.data, event)

    async def _on_ReferralReceived(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_referrals (referral_id, patient_id, source, municipality, region, target_group,
                   status, received_on, start_deadline, opens_on, reasons, updated_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8::text::date,$9::text::date,$10::text::date,$11::jsonb,$12)
               ON CONFLICT (referral_id) DO NOTHING""",
            d["referral_id"], d["patient_id"], d["source"], d["municipality"], d["region"], d["group"],
            d["status"], d["received_on"], d["start_deadline"], d["opens_on"], json.dumps(d["reasons"]),
            e.recorded_at,
        )

    async def _referral(self, conn, referral_id: str, e, **fields) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=3))
        await conn.execute(
            f"UPDATE rm_referrals SET updated_at = $2, {cols} WHERE referral_id = $1",
            referral_id, e.recorded_at, *fields.values(),
        )

    async def _on_ReferralReleased(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, status="awaiting_visitation")

    async def _on_ReferralDeadlineApproaching(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, deadline_warned=True)

    async def _on_ReferralDeadlinePassed(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, deadline_passed=True)

    async def _on_ReferralAccepted(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, status="accepted", pathway_id=d["pathway_id"])

    async def _on_ReferralAttached(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, status="attached", pathway_id=d["pathway_id"])

    async def _on_ReferralDeclined(self, conn, d, e) -> None:
        await self._referral(conn, d["referral_id"], e, status="declined")

    async def _on_PathwayStarted(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_pathways (pathway_id, referral_id, patient_id, target_group, region, municipality,
                   kind, phase, level_of_care, status, started_at, updated_at, catalogue_version)
               VALUES ($1,$2,$3,$4,$5,$6,'ambulatory',$7,$8,'active',$9,$9,$10)
               ON CONFLICT (pathway_id) DO NOTHING""",
            d["pathway_id"], d["referral_id"], d["patient_id"], d["group"], d["region"], d["municipality"],
            d["phase"], d["level_of_care"], e.recorded_at, d["catalogue_version"],
        )

    async def _pathway(self, conn, pathway_id: str, e, **fields) -> None:
        cols = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=3))
        await conn.execute(
            f"UPDATE rm_pathways SET updated_at = $2, {cols} WHERE pathway_id = $1",
            pathway_id, e.recorded_at, *fields.values(),
        )

    async def _on_PhaseChanged(self, conn, d, e) -> None:
        await self._pathway(conn, d["pathway_id"], e, phase=d["to_phase"])

    async def _on_LevelOfCareChanged(self, conn, d, e) -> None:
        await self._pathway(conn, d["pathway_id"], e, level_of_care=d["to_level"])

    async def _on_PathwayEnded(self, conn, d, e) -> None:
        await self._pathway(conn, d["pathway_id"], e, status="ended", ended_at=e.recorded_at,
                            end_reason=d["reason_kind"])

