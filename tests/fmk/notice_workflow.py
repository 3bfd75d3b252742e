"""A tiny workflow that sends one FMK notice, for the tests (and the crash test's worker process)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dualpath.activities.fmk import FmkActivities, FmkNotice


class SendRequest(BaseModel):
    notice: FmkNotice
    start_to_close_seconds: float = 5.0
    maximum_attempts: int = 10


class SendOutcome(BaseModel):
    delivered: bool
    error_type: str | None = None
    cause_type: str | None = None
    cause_message: str | None = None
    cause_non_retryable: bool | None = None
    retry_state: str | None = None


@workflow.defn(name="FmkNoticeTestWorkflow")
class SendFmkNoticeWorkflow:
    @workflow.run
    async def run(self, request: SendRequest) -> SendOutcome:
        try:
            await workflow.execute_activity_method(
                FmkActivities.send_fmk_notice,
                request.notice,
                start_to_close_timeout=timedelta(seconds=request.start_to_close_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=100),
                    backoff_coefficient=1.0,
                    maximum_attempts=request.maximum_attempts,
                ),
            )
        except ActivityError as err:
            cause = err.cause
            return SendOutcome(
                delivered=False,
                error_type=type(err).__name__,
                cause_type=getattr(cause, "type", None) or type(cause).__name__,
                cause_message=getattr(cause, "message", None) or str(cause),
                cause_non_retryable=getattr(cause, "non_retryable", None),
                retry_state=err.retry_state.name if err.retry_state is not None else None,
            )
        return SendOutcome(delivered=True)
