"""A stand-in for `pathway-<id>` that waits for `meeting_held`.

In a module of its own: the workflow sandbox re-imports the module a workflow
is defined in, and a test module's imports (asyncpg among them) must not be
loaded a second time in there.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.workflows.meeting_messages import MeetingHeldSignal


@workflow.defn(name="PathwayStandIn")
class PathwayStandIn:
    def __init__(self) -> None:
        self._got: MeetingHeldSignal | None = None

    @workflow.run
    async def run(self) -> MeetingHeldSignal:
        await workflow.wait_condition(lambda: self._got is not None)
        assert self._got is not None
        return self._got

    @workflow.signal
    def meeting_held(self, signal: MeetingHeldSignal) -> None:
        self._got = signal
