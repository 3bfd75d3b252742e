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

from dualpath.activities.invalid_data import activity_defn
from dualpath.contracts.activities import Notice


class Notifier(Protocol):
    async def send(self, notice: Notice) -> None: ...


@dataclass(frozen=True)
class LocalRecorder:
    """Development default: records notices in PostgreSQL instead of sending them."""

    pool: asyncpg.Pool

    async def send(self, notice: Notice) -> None:
        await self.pool.execute(
            """INSERT INTO notifications (idempotency_key, channel, recipient_org, subject, body, pathway_id)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING""",
            notice.idempotency_key,
            notice.channel,
            notice.recipient_org,
            notice.subject,
            notice.body,
            notice.pathway_id,
        )


@dataclass(frozen=True)
class NotificationActivities:
    notifier: Notifier

    @activity_defn("send_notice", "the notice cannot be sent")
    async def send_notice(self, notice: Notice) -> None:
        await self.notifier.send(notice)
