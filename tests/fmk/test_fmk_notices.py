"""FMK notices (spec §4 "Medication"): one notice per key through retries, rejections and a worker crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from dualpath.activities.fmk import (
    FAILED,
    REJECTED,
    UNREACHABLE,
    FmkActivities,
    FmkNotice,
    HttpFmkNotifier,
    LocalRecorder,
    build_notifier,
)
from dualpath.infra.ports import free_port
from tests.poll import eventually

from .notice_workflow import SendFmkNoticeWorkflow, SendOutcome, SendRequest
from .receiver import Receiver, serve

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
NOTICE_KEYS = {"idempotency_key", "pathway_id", "municipality", "changed_at"}


def _notice(**kw) -> FmkNotice:
    base = dict(
        idempotency_key=f"fmk-{uuid.uuid4()}",
        pathway_id=str(uuid.uuid4()),
        municipality="101",
        changed_at=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
    )
    base.update(kw)
    return FmkNotice(**base)


@pytest.fixture
async def receiver():
    r = Receiver()
    async with serve(r) as url:
        r.url = url
        yield r


def _assert_plain_notice(body: object, notice: FmkNotice) -> None:
    """Exactly the notice's keys: nothing clinical travels."""
    assert isinstance(body, dict)
    assert set(body) == NOTICE_KEYS == set(FmkNotice.model_fields)
    assert body == notice.model_dump(mode="json")


@contextlib.asynccontextmanager
async def _worker(client, url: str):
    queue = f"fmk-{uuid.uuid4()}"
    activities = FmkActivities(HttpFmkNotifier(url, timeout=5))
    async with Worker(
        client, task_queue=queue, workflows=[SendFmkNoticeWorkflow], activities=[activities.send_fmk_notice]
    ):
        yield queue


async def _run(client, queue: str, request: SendRequest) -> SendOutcome:
    handle = await client.start_workflow(
        SendFmkNoticeWorkflow.run,
        request,
        id=f"fmk-test-{uuid.uuid4()}",
        task_queue=queue,
        execution_timeout=timedelta(seconds=50),
    )
    try:
        return await asyncio.wait_for(handle.result(), timeout=40)
    finally:
        with contextlib.suppress(Exception):
            await handle.terminate("test over")


# --- the notice itself ---------------------------------------------------------------------------------


def test_a_notice_refuses_anything_clinical_or_identifying():
    with pytest.raises(ValidationError, match="Extra inputs"):
        _notice(drug="quetiapin", dose="50 mg")
    with pytest.raises(ValidationError, match="CPR"):
        _notice(pathway_id="010190-1234")
    with pytest.raises(ValidationError):
        _notice(changed_at=datetime(2026, 4, 1, 9, 30))  # no zone: ambiguous
    with pytest.raises(ValidationError):
        _notice(municipality="København")
    with pytest.raises(ValidationError):
        _notice(idempotency_key="key with spaces")
    assert set(_notice().model_dump(mode="json")) == NOTICE_KEYS


def test_the_configured_channel():
    assert isinstance(build_notifier(url="http://127.0.0.1:9/n", pool=None), HttpFmkNotifier)
    assert isinstance(build_notifier(url=None, pool=object()), LocalRecorder)
    with pytest.raises(ValueError, match="http"):
        HttpFmkNotifier("127.0.0.1:9/n")


# --- the HTTP notifier on its own ----------------------------------------------------------------------


async def test_http_notifier_posts_json_with_the_idempotency_key(receiver):
    notice = _notice()
    await HttpFmkNotifier(receiver.url).send(notice)
    [attempt] = receiver.attempts
    assert attempt.key == notice.idempotency_key
    assert attempt.content_type == "application/json"
    _assert_plain_notice(attempt.body, notice)
    assert list(receiver.notices) == [notice.idempotency_key]


async def test_http_notifier_errors_say_whether_to_retry(receiver):
    notice = _notice()
    receiver.fail_next = 1
    with pytest.raises(ApplicationError) as busy:
        await HttpFmkNotifier(receiver.url).send(notice)
    assert busy.value.type == FAILED and not busy.value.non_retryable
    assert "503" in busy.value.message and "receiver busy" in busy.value.message

    receiver.reject[notice.idempotency_key] = "unknown municipality subscription"
    with pytest.raises(ApplicationError) as rejected:
        await HttpFmkNotifier(receiver.url).send(notice)
    assert rejected.value.type == REJECTED and rejected.value.non_retryable
    assert "400" in rejected.value.message and "unknown municipality subscription" in rejected.value.message
    assert rejected.value.details == ({"status": 400, "message": "unknown municipality subscription"},)
    assert receiver.notices == {}


async def test_http_notifier_connection_errors_and_timeouts_are_retryable(receiver):
    with pytest.raises(ApplicationError) as refused:
        await HttpFmkNotifier(f"http://127.0.0.1:{free_port()}/fmk-notices", timeout=2).send(_notice())
    assert refused.value.type == UNREACHABLE and not refused.value.non_retryable

    receiver.hold_seconds = 1.0
    with pytest.raises(ApplicationError) as slow:
        await HttpFmkNotifier(receiver.url, timeout=0.2).send(_notice())
    assert slow.value.type == UNREACHABLE and not slow.value.non_retryable
    assert "Timeout" in slow.value.message


# --- through Temporal ----------------------------------------------------------------------------------


async def test_a_receiver_failing_twice_ends_with_one_notice(client, receiver):
    notice = _notice()
    receiver.fail_next = 2
    async with _worker(client, receiver.url) as queue:
        outcome = await _run(client, queue, SendRequest(notice=notice))
    assert outcome == SendOutcome(delivered=True)
    attempts = receiver.attempts_for(notice.idempotency_key)
    assert len(attempts) == 3 == len(receiver.attempts)
    for attempt in attempts:  # the same key and body on every attempt
        _assert_plain_notice(attempt.body, notice)
    assert list(receiver.notices) == [notice.idempotency_key]


async def test_a_lost_answer_is_retried_and_deduplicated_by_key(client, receiver):
    notice = _notice()
    receiver.fail_after_recording = 1  # recorded, but the answer says 503
    async with _worker(client, receiver.url) as queue:
        outcome = await _run(client, queue, SendRequest(notice=notice))
    assert outcome.delivered
    assert len(receiver.attempts_for(notice.idempotency_key)) == 2
    assert receiver.duplicates == 1
    assert list(receiver.notices) == [notice.idempotency_key]
    _assert_plain_notice(receiver.notices[notice.idempotency_key], notice)


async def test_a_rejected_notice_fails_the_activity_without_retry(client, receiver):
    notice = _notice()
    receiver.reject[notice.idempotency_key] = "no subscription for municipality 101"
    async with _worker(client, receiver.url) as queue:
        outcome = await _run(client, queue, SendRequest(notice=notice, maximum_attempts=5))
    assert not outcome.delivered
    assert outcome.error_type == "ActivityError"
    assert outcome.cause_type == REJECTED and outcome.cause_non_retryable is True
    assert outcome.retry_state == "NON_RETRYABLE_FAILURE"
    assert "400" in outcome.cause_message and "no subscription for municipality 101" in outcome.cause_message
    assert len(receiver.attempts_for(notice.idempotency_key)) == 1
    assert receiver.notices == {}


# --- a worker crash ------------------------------------------------------------------------------------


class _WorkerProcess:
    """`python -m tests.fmk.worker_process` against the session dev server."""

    def __init__(self, client, queue: str, url: str, log: Path):
        self.args = [client.service_client.config.target_host, client.namespace, queue, url]
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.fmk.worker_process",
                *self.args,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout=20)
        except TimeoutError:
            line = b""
        assert line.strip() == b"ready", f"worker process did not start: {self.log.read_text()[-3000:]}"

    async def kill(self) -> int:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        return await asyncio.wait_for(self.proc.wait(), timeout=10) if self.proc else 0


async def _started_attempts(handle) -> list[int]:
    return [
        e.activity_task_started_event_attributes.attempt
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]


async def test_a_worker_killed_mid_send_leaves_one_notice(client, receiver, tmp_path):
    notice = _notice()
    receiver.hold_seconds = 2.0  # every answer takes 2 s: long enough to kill the worker mid-flight
    queue = f"fmk-crash-{uuid.uuid4()}"
    first = _WorkerProcess(client, queue, receiver.url, tmp_path / "worker-1.log")
    second = _WorkerProcess(client, queue, receiver.url, tmp_path / "worker-2.log")
    handle = None
    try:
        await first.start()
        handle = await client.start_workflow(
            SendFmkNoticeWorkflow.run,
            SendRequest(notice=notice, start_to_close_seconds=5),
            id=f"fmk-crash-{uuid.uuid4()}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=55),
        )

        async def attempted() -> list:
            return receiver.attempts_for(notice.idempotency_key)

        await eventually(attempted, what="the notice in the receiver's hands", every=0.02)
        # The request is in the receiver's hands, its answer 2 s away: kill the worker now.
        assert receiver.notices == {}
        assert await first.kill() == -signal.SIGKILL
        await second.start()
        outcome = await asyncio.wait_for(handle.result(), timeout=40)
        assert outcome.delivered
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        # Temporal retried the activity after the crash (its start-to-close timeout ran out) ...
        assert max(await _started_attempts(handle)) >= 2
        attempts = receiver.attempts_for(notice.idempotency_key)
        assert len(attempts) >= 2
        for attempt in attempts:
            _assert_plain_notice(attempt.body, notice)
        # ... and the receiver still holds exactly one notice for the key: the killed
        # attempt's request was recorded (the receiver finishes it after the worker
        # is gone), and the retry, carrying the same key, was a duplicate.
        assert receiver.duplicates == len(attempts) - 1
        assert list(receiver.notices) == [notice.idempotency_key]
    finally:
        await first.kill()
        await second.kill()
        if handle is not None:
            with contextlib.suppress(Exception):
                await handle.terminate("test over")


# --- the local recorder --------------------------------------------------------------------------------


async def test_local_recorder_keeps_one_row_per_key(pool):
    notice = _notice()
    recorder = LocalRecorder(pool)
    await recorder.send(notice)
    await recorder.send(notice)
    rows = await pool.fetch("SELECT * FROM fmk_notices WHERE pathway_id = $1", notice.pathway_id)
    assert len(rows) == 1
    row = rows[0]
    assert row["idempotency_key"] == notice.idempotency_key
    assert row["municipality"] == "101"
    assert row["changed_at"] == notice.changed_at
    # Nothing clinical is kept either.
    assert set(row.keys()) == {"id", "recorded_at"} | NOTICE_KEYS
    other = _notice(pathway_id=notice.pathway_id)
    await recorder.send(other)
    assert await pool.fetchval("SELECT count(*) FROM fmk_notices WHERE pathway_id = $1", notice.pathway_id) == 2
