"""The `tasks` projection: the worklist, and each pathway's consents."""

from __future__ import annotations

import json

import asyncpg

from dualpath.eventstore import RecordedEvent


class TasksProjection:
    name = "tasks"
    tables = ("rm_tasks", "rm_consents")

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            await handler(conn, event.data, event)

    async def _on_TaskOpened(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_tasks (task_id, pathway_id, referral_id, kind, title, phase, owner_role, owner_org,
                   due, mandatory, state, opened_at, stay_id)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text::date,$10,'open',$11,$12)
               ON CONFLICT (task_id) DO NOTHING""",
            d["task_id"], d.get("pathway_id"), d.get("referral_id"), d["kind"], d["title"], d["phase"],
            d["owner_role"], d["owner_org"], d["due"], d["mandatory"], e.recorded_at, d.get("stay_id"),
        )

    async def _on_TaskCompleted(self, conn, d, e) -> None:
        await conn.execute(
            "UPDATE rm_tasks SET state = $2, note = $3, closed_at = $4 WHERE task_id = $1",
            d["task_id"], d["outcome"], d["note"], e.recorded_at,
        )

    async def _on_TaskCancelled(self, conn, d, e) -> None:
        await conn.execute(
            "UPDATE rm_tasks SET state = 'cancelled', note = $2, closed_at = $3 WHERE task_id = $1",
            d["task_id"], d["reason"], e.recorded_at,
        )

    async def _on_TaskOverdue(self, conn, d, e) -> None:
        await conn.execute("UPDATE rm_tasks SET overdue = true WHERE task_id = $1", d["task_id"])

    async def _on_ConsentRecorded(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_consents (pathway_id, scope, counterpart, state, form, recorded_by, recorded_at)
               VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7)
               ON CONFLICT (pathway_id, scope, counterpart) DO UPDATE
               SET state = EXCLUDED.state, form = EXCLUDED.form, recorded_by = EXCLUDED.recorded_by,
                   recorded_at = EXCLUDED.recorded_at""",
            d["pathway_id"], d["scope"], d["counterpart"], d["state"], d["form"],
            json.dumps(e.metadata.get("actor")), e.recorded_at,
        )
