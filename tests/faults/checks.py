"""Counting what the engine recorded: events, notices, and what Temporal's histories say it took."""

from __future__ import annotations

import contextvars
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from dualpath.api import commands, idempotency
from tests.poll import eventually


def workflow_of(stream_id: str, region: str = "1082") -> str:
    """The workflow id of a pathway's, stay's or referral's stream (dualpath/workflow_ids.py): the
    stack's pathways all belong to region 1082."""
    kind, _, rest = stream_id.partition("-")
    return f"{kind}-{region}-{rest}"


async def fetch(dsn: str, sql: str, *args) -> list[asyncpg.Record]:
    """A fresh connection each time: the tests stop the server under their own feet."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def event_counts(dsn: str, streams: list[str]) -> dict[str, Counter]:
    rows = await fetch(
        dsn, "SELECT stream_id, type, count(*) AS n FROM events WHERE stream_id = ANY($1) GROUP BY 1, 2", streams
    )
    counts: dict[str, Counter] = {s: Counter() for s in streams}
    for r in rows:
        counts[r["stream_id"]][r["type"]] = r["n"]
    return counts


async def events(dsn: str, streams: list[str], type_: str) -> list[dict]:
    rows = await fetch(
        dsn,
        "SELECT stream_id, data FROM events WHERE stream_id = ANY($1) AND type = $2 ORDER BY position",
        streams,
        type_,
    )
    return [{"stream_id": r["stream_id"], **json.loads(r["data"])} for r in rows]


async def duplicates(dsn: str, streams: list[str]) -> list[str]:
    """Events recorded twice: the same event id, or the same type with the same data in one stream.

    (stream_id, version) cannot repeat (a unique key); a command applied twice would
    show as a second event of the same type and data under a new id and version.
    """
    same_id = await fetch(
        dsn,
        "SELECT event_id, count(*) AS n FROM events WHERE stream_id = ANY($1) GROUP BY 1 HAVING count(*) > 1",
        streams,
    )
    same_data = await fetch(
        dsn,
        "SELECT stream_id, type, data::text AS data, count(*) AS n FROM events "
        "WHERE stream_id = ANY($1) GROUP BY 1, 2, 3 HAVING count(*) > 1",
        streams,
    )
    return [f"event id {r['event_id']} ×{r['n']}" for r in same_id] + [
        f"{r['stream_id']}: {r['type']} {r['data']} ×{r['n']}" for r in same_data
    ]


async def notices(dsn: str, pathway_ids: list[str]) -> list[asyncpg.Record]:
    return await fetch(
        dsn,
        "SELECT pathway_id, channel, idempotency_key FROM notifications WHERE pathway_id = ANY($1) ORDER BY id",
        pathway_ids,
    )


async def wait_until(what: str, check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.5) -> float:
    """Poll `check` until true; the seconds it took. Fails after `timeout`."""
    started = time.monotonic()
    # The server being away is what we wait out.
    await eventually(
        check,
        what=what,
        timeout=timeout,
        every=interval,
        ignoring=(OSError, asyncpg.PostgresError, asyncpg.InterfaceError),
    )
    return time.monotonic() - started


def local_activity(event) -> dict | None:
    """What a local activity's marker says of it (type, attempt, backoff before the next), or None."""
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    attrs = event.marker_recorded_event_attributes
    if attrs.marker_name != "core_local_activity" or "data" not in attrs.details:
        return None
    return json.loads(attrs.details["data"].payloads[0].data)


async def local_attempts(client: Client, workflow_id: str) -> Counter:
    """The local activities of a workflow's history that failed and wait to be tried again (a
    backoff longer than the worker keeps in memory becomes a timer), by type and attempt."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return Counter(
        f"{la['activity_type']} attempt {la['attempt']}"
        for la in map(local_activity, history.events)
        if la is not None and la.get("backoff")
    )


async def history_tally(client: Client, workflow_ids: list[str]) -> Counter:
    """What the faults cost, from the workflows' histories: activities (local ones too) that
    needed more than one attempt (by activity type), and workflow tasks that timed out or failed."""
    tally: Counter = Counter()
    for wid in workflow_ids:
        history = await client.get_workflow_handle(wid).fetch_history()
        scheduled = {}
        for e in history.events:
            la = local_activity(e)
            if la is not None and not la.get("backoff") and la["attempt"] > 1:
                # The marker of the attempt that did it (a failed attempt's marker carries its backoff).
                tally[f"{la['activity_type']} retried"] += 1
                tally["activity attempts lost"] += la["attempt"] - 1
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attrs = e.activity_task_started_event_attributes
                # Written once the activity is done, with the attempt that did it.
                if attrs.attempt > 1:
                    tally[f"{scheduled.get(attrs.scheduled_event_id, '?')} retried"] += 1
                    tally["activity attempts lost"] += attrs.attempt - 1
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                tally["workflow tasks timed out"] += 1
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                tally["workflow tasks failed"] += 1
    return tally


def api_update_id(org: str, subject: str, key: str, workflow_id: str, update_name: str) -> str:
    """The Temporal update id the API derives from a caller's Idempotency-Key (api/commands.py)."""
    ctx = contextvars.copy_context()
    ctx.run(idempotency.current.set, idempotency.Binding(caller=f"{org}|{subject}", key=key, route="", fingerprint=""))

    class _Handle:
        id = workflow_id

    class _Update:
        __name__ = update_name

    return ctx.run(commands._update_id, _Handle(), _Update())


async def accepted_updates(client: Client, workflow_id: str) -> set[str]:
    """The ids of the updates the workflow has accepted (its history says so)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return {
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    }
