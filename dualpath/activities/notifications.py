"""Notices to other organisations (invitations now; admission, discharge and FMK advice later).

A notice goes out through a `Notifier` adapter. In development the
`LocalRecorder` keeps it in the `notifications` table; a later adapter sends
it over HTTP (a cross-sector message, a NAS subscription). A notice names the
pathway only, never the patient, and carries no clinical detail: the receiver
looks the rest up in its own systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import asyncpg
from pydantic import BaseModel

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import Notice


class Notifier(Protocol):
    async def send(self, notice: Notice) -> None: ...


async def record_locally(pool: asyncpg.Pool, table: str, notice: BaseModel) -> None:
    """Keep `notice` in `table` (a column per field) instead of sending it: the development default.
    The same idempotency key again is the same notice, kept once."""
    fields = notice.model_dump()
    columns = ", ".join(fields)
    values = ", ".join(f"${i}" for i in range(1, len(fields) + 1))
    await pool.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (idempotency_key) DO NOTHING", *fields.values()
    )


@dataclass(frozen=True)
class LocalRecorder:
    """Development default: records notices in PostgreSQL table `notifications` instead of sending them."""

    pool: asyncpg.Pool

    async def send(self, notice: Notice) -> None:
        await record_locally(self.pool, "notifications", notice)


@dataclass(frozen=True)
class NotificationActivities:
    notifier: Notifier

    @activity_defn("send_notice", "the notice cannot be sent")
    async def send_notice(self, notice: Notice) -> None:
        await self.notifier.send(notice)
