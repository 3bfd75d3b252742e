"""The `tasks` projection: the worklist, and each pathway's consents.

Their readers are in `queries.py` (tasks, consents), with the other reads the API shares.
"""

from __future__ import annotations

from typing import TypeAlias

from dualpath.contracts.events import RecordedEvent
from dualpath.domain import events as ev
from dualpath.eventstore.store import Connection
from dualpath.readmodels.projection import ReadModel, Table, on, to_jsonb

# A task's row keeps when it opened and closed, not when it last changed.
_TASKS = Table("rm_tasks", "task_id", stamped=False)
# What changes a task's row once it is there.
_TaskChange: TypeAlias = ev.TaskCompleted | ev.TaskCancelled | ev.TaskOverdue


class TasksProjection(ReadModel, name="tasks", tables=("rm_tasks", "rm_consents")):
    @on(ev.TaskOpened)
    async def opened(self, conn: Connection, e: ev.TaskOpened, at: RecordedEvent) -> None:
        await _TASKS.insert(conn, e, state="open", opened_at=at.recorded_at)

    @on(ev.ConsentRecorded)
    async def consent(self, conn: Connection, e: ev.ConsentRecorded, at: RecordedEvent) -> None:
        await conn.execute(
            """INSERT INTO rm_consents (pathway_id, scope, counterpart, state, form, recorded_by, recorded_at)
               VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7)
               ON CONFLICT (pathway_id, scope, counterpart) DO UPDATE
               SET state = EXCLUDED.state, form = EXCLUDED.form, recorded_by = EXCLUDED.recorded_by,
                   recorded_at = EXCLUDED.recorded_at""",
            e.pathway_id,
            e.scope,
            e.counterpart,
            e.state,
            e.form,
            to_jsonb(at.metadata.get("actor")),
            at.recorded_at,
        )

    @on(_TaskChange)
    @_TASKS.changes
    def changed(e: _TaskChange, at: RecordedEvent) -> dict[str, object]:
        match e:
            case ev.TaskCompleted():
                return {"state": e.outcome, "note": e.note, "closed_at": at.recorded_at}
            case ev.TaskCancelled():
                return {"state": "cancelled", "note": e.reason, "closed_at": at.recorded_at}
            case ev.TaskOverdue():
                return {"overdue": True}
