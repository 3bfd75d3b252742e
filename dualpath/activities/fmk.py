"""FMK notices: telling the municipal practitioners "FMK changed for this patient" (spec §4 "Medication").

The prescription itself is changed in FMK (Fælles Medicinkort) by the
prescriber's own system; there is no "send" step in FMK. Our part is a notice
through a configured channel, carrying nothing clinical (no drug, no dose):
the pseudonymous pathway id, the municipality, when FMK changed, and an
idempotency key. The receiver reads FMK itself.

Whether a notice may go out at all (consent for the municipality, no
private-marked prescription, *privatmarkering*) is the workflow's decision,
made before it calls `send_fmk_notice`; this module only delivers.

Channels (`FmkNotifier`):
- `LocalRecorder` — development default: rows in PostgreSQL table `fmk_notices`;
- `HttpFmkNotifier` — POSTs the notice as JSON to a configured URL (an adapter
  in front of a NAS subscription or a cross-sector message), with header
  `Idempotency-Key`. The same key goes out on every attempt, so a receiver
  that dedupes by it records one notice however often Temporal retries.

Errors, as Temporal sees them:
- a 4xx answer: `ApplicationError(type="FmkNoticeRejected", non_retryable=True)`
  with the status and the receiver's message — retrying the same request
  cannot help; except 408, 409 (the same key still being processed, as in the
  IETF Idempotency-Key draft), 425 and 429, which are transient;
- a 5xx answer, those transient 4xx, a timeout or a connection error: a
  retryable `ApplicationError` (types `FmkNoticeFailed`, `FmkNoticeUnreachable`),
  so the activity's retry policy tries again; `Retry-After` (seconds) is honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import asyncpg
import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dualpath.activities.notifications import record_locally
from dualpath.contracts.activities import FmkNotice

log = structlog.get_logger("dualpath.activities")

REJECTED = "FmkNoticeRejected"
FAILED = "FmkNoticeFailed"
UNREACHABLE = "FmkNoticeUnreachable"

# 4xx answers that say "not now" rather than "never".
_TRANSIENT_4XX = frozenset({408, 409, 425, 429})
_MAX_RETRY_AFTER = timedelta(minutes=5)
_MESSAGE_LIMIT = 500


class FmkNotifier(Protocol):
    async def send(self, notice: FmkNotice) -> None: ...


@dataclass(frozen=True)
class LocalRecorder:
    """Development default: records notices in PostgreSQL table `fmk_notices` instead of sending them."""

    pool: asyncpg.Pool

    async def send(self, notice: FmkNotice) -> None:
        await record_locally(self.pool, "fmk_notices", notice)


class HttpFmkNotifier:
    """POSTs each notice as JSON to `url`, with header `Idempotency-Key`.

    `timeout` (seconds) bounds one attempt; keep it below the activity's
    start-to-close timeout. `headers` are added to every request (e.g. an
    Authorization header for the receiver).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, headers: dict[str, str] | None = None):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"FMK notice URL {url!r} must start with http:// or https://")
        self.url = url
        self._timeout = httpx.Timeout(timeout)
        self._headers = dict(headers or {})

    async def send(self, notice: FmkNotice) -> None:
        headers = {**self._headers, "Idempotency-Key": notice.idempotency_key}
        try:
            # A client per notice: notices are rare, and nothing outlives the attempt.
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                response = await client.post(self.url, json=notice.model_dump(mode="json"), headers=headers)
        except httpx.HTTPError as exc:
            raise ApplicationError(
                f"FMK notice {notice.idempotency_key} could not be delivered to {self.url}: "
                f"{type(exc).__name__}: {exc}; it will be tried again",
                type=UNREACHABLE,
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        message = _receiver_message(response)
        if status >= 500 or status in _TRANSIENT_4XX:
            raise ApplicationError(
                f"the FMK notice receiver answered {status} for notice {notice.idempotency_key}: {message}; "
                "it will be tried again",
                {"status": status, "message": message},
                type=FAILED,
                next_retry_delay=_retry_after(response),
            )
        # 4xx (and anything else unexpected, e.g. a redirect: a misconfigured URL):
        # the same request will not fare better next time.
        raise ApplicationError(
            f"the FMK notice receiver rejected notice {notice.idempotency_key} with {status}: {message}",
            {"status": status, "message": message},
            type=REJECTED,
            non_retryable=True,
        )


def build_notifier(*, url: str | None, pool: asyncpg.Pool, timeout: float = 10.0) -> FmkNotifier:
    """The configured channel: HTTP when a URL is set (DUALPATH_FMK_NOTICE_URL), else the local recorder."""
    return HttpFmkNotifier(url, timeout=timeout) if url else LocalRecorder(pool)


@dataclass(frozen=True)
class FmkActivities:
    notifier: FmkNotifier

    @activity.defn(name="send_fmk_notice")
    async def send_fmk_notice(self, notice: FmkNotice) -> None:
        info = activity.info()
        notice_log = log.bind(
            idempotency_key=notice.idempotency_key,
            pathway_id=notice.pathway_id,
            municipality=notice.municipality,
            attempt=info.attempt,
            workflow_id=info.workflow_id,
        )
        try:
            await self.notifier.send(notice)
        except ApplicationError as exc:
            notice_log.warning("fmk notice not delivered", error_type=exc.type, retryable=not exc.non_retryable)
            raise
        notice_log.info("fmk notice delivered")


def _receiver_message(response: httpx.Response) -> str:
    """The receiver's own words: a JSON body's detail/message/error, else its text, shortened."""
    text = response.text
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "title"):
            if isinstance(body.get(key), str) and body[key].strip():
                text = body[key]
                break
    text = " ".join(text.split()) or response.reason_phrase or "no message"
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value.isdigit():
        return None  # absent, or an HTTP date: leave it to the retry policy
    return min(timedelta(seconds=int(value)), _MAX_RETRY_AFTER)
