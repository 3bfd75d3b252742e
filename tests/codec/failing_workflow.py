"""A workflow whose activity fails with a message, to see failures leave the process encoded."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError


@activity.defn(name="CodecTestRefuse")
async def refuse(note: str) -> None:
    raise ApplicationError(f"refused: {note}", non_retryable=True)


@workflow.defn(name="CodecFailureTestWorkflow")
class FailingWorkflow:
    @workflow.run
    async def run(self, note: str) -> None:
        await workflow.execute_activity(
            refuse, note, start_to_close_timeout=timedelta(seconds=10), retry_policy=RetryPolicy(maximum_attempts=1)
        )
