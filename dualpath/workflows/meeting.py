"""A meeting (netværksmøde, samarbejdsmøde, opstartsmøde) from being called to held or cancelled.

One workflow per meeting, id `meeting-<region>-<meeting_id>` (dualpath/workflow_ids.py),
the only writer of the event stream `meeting-<meeting_id>`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.contracts.activities import Notice, WorkingDayDeadline
    from dualpath.domain import copenhagen
    from dualpath.domain import meetings as rules
    from dualpath.domain.events import Actor, DomainEvent
    from dualpath.domain.meeting_events import (
        InvitationSent,
        JointPlanRecorded,
        MeetingCalled,
        MeetingCancelled,
        MeetingHeld,
        MeetingOverdue,
        MeetingScheduled,
    )
    from dualpath.domain.meetings import JointPlanInput, MeetingRefused, Participant
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.meeting_messages import (
        MEETING_HELD_SIGNAL,
        CancelMeeting,
        MeetingHeldSignal,
        MeetingInput,
        MeetingResult,
        MeetingState,
        MeetingView,
        RecordHeld,
        ScheduleMeeting,
    )

__all__ = [
    "CancelMeeting",
    "JointPlanInput",
    "MeetingInput",
    "MeetingResult",
    "MeetingView",
    "MeetingWorkflow",
    "Participant",
    "RecordHeld",
    "ScheduleMeeting",
    "stream_id",
    "workflow_id",
]

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# A notice that cannot go out now (the receiver's system is down) is tried
# again for as long as it takes; the idempotency key keeps it single.
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))


# `meeting-<region>-<meeting_id>` (without a region, `meeting-<meeting_id>`); stream `meeting-<id>`.
workflow_id, stream_id = workflow_ids.meeting, workflow_ids.meeting_stream


@workflow.defn(name="MeetingWorkflow", failure_exception_types=[ValidationError])
class MeetingWorkflow(kit.Process):
    """A meeting on a pathway (spec §3 phase 4, §4 discharge, §5).

    On start: works out `hold_by` (5 working days after `called_on`, from the
    calendar activity), records `MeetingCalled`, sends one invitation per
    participant organisation (`send_notice`, one `InvitationSent` each), then waits.
    A durable timer fires when `hold_by` has passed: `MeetingOverdue`, Overdue=true.
    Updates (a validator refuses an illegal one with type CommandRefused, writing nothing):
    - `schedule(ScheduleMeeting) -> MeetingResult`: time and place; again to re-schedule.
    - `record_held(RecordHeld) -> MeetingResult`: `MeetingHeld` with the outcome, and
      `JointPlanRecorded` when a joint plan was made or revised.
    - `cancel(CancelMeeting) -> MeetingResult`: needs a reason.
    Signals sent: `meeting_held(MeetingHeldSignal)` once held: to the stay's workflow for a discharge
    meeting (`stay_workflow_id`), else to the pathway's.
    Queries: `view() -> MeetingView`.
    The workflow ends when the meeting is held or cancelled.
    """

    @workflow.init
    def __init__(self, input: MeetingInput) -> None:
        # State exists before `run` starts, so a validator that runs first can read it.
        super().__init__(stream_id(input.meeting_id))
        self._in = input
        self.state = MeetingState(hold_by=input.hold_by)

    @workflow.run
    async def run(self, input: MeetingInput) -> MeetingView:
        async with self._lock:
            if self.state.hold_by is None:
                self.state.hold_by = await workflow.execute_activity(
                    "working_day_deadline",
                    WorkingDayDeadline(
                        start=input.called_on, working_days=input.hold_within_working_days, region=input.region
                    ),
                    result_type=date,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )
            await self._record([kit.from_fields(MeetingCalled, input, hold_by=self.state.hold_by)], input.actor)
            self._ready = True
            self._publish()
            await self._invite()

        # Held on the hold_by day is in time: overdue from the next Copenhagen midnight.
        overdue_at = copenhagen.midnight(self.state.hold_by + timedelta(days=1))
        if not await kit.wait_until(self._is_closed, overdue_at):
            async with self._lock:
                if not self._is_closed():
                    await self._record(
                        [
                            MeetingOverdue(
                                meeting_id=input.meeting_id, pathway_id=input.pathway_id, hold_by=self.state.hold_by
                            )
                        ],
                        Actor.engine(),
                    )
                    self.state.overdue = True
                    self._publish()
            await workflow.wait_condition(self._is_closed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.held is not None:
            await self._tell(self.state.held.held_on)
        return self._view()

    @workflow.query
    def view(self) -> MeetingView:
        return self._view()

    # -- schedule -----------------------------------------------------------

    @command(lambda self, cmd: self._refuse_unless(lambda: rules.check_schedule(self.state.status)))
    async def schedule(self, cmd: ScheduleMeeting) -> MeetingResult:
        position = await self._record(
            [
                MeetingScheduled(
                    meeting_id=self._in.meeting_id, pathway_id=self._in.pathway_id, at=cmd.at, place=cmd.place
                )
            ],
            cmd.actor,
        )
        self.state.status, self.state.scheduled_at, self.state.place = "scheduled", cmd.at, cmd.place
        self._publish()
        return MeetingResult(meeting=self._view(), position=position)

    # -- record_held --------------------------------------------------------

    @command(lambda self, cmd: self._check_held(cmd))
    async def record_held(self, cmd: RecordHeld) -> MeetingResult:
        whose = {"meeting_id": self._in.meeting_id, "pathway_id": self._in.pathway_id}
        events: list[DomainEvent] = [kit.from_fields(MeetingHeld, cmd, kind=self._in.kind, **whose)]
        if cmd.joint_plan is not None:
            events.append(kit.from_fields(JointPlanRecorded, cmd.joint_plan, **whose))
        position = await self._record(events, cmd.actor)
        self.state.status, self.state.held = "held", cmd
        self._publish()
        return MeetingResult(meeting=self._view(), position=position)

    def _check_held(self, cmd: RecordHeld) -> None:
        self._refuse_unless(
            lambda: rules.check_held(
                self.state.status,
                called_on=self._in.called_on,
                held_on=cmd.held_on,
                today=copenhagen.today(workflow.now()),
                outcome=cmd.outcome,
                plan=cmd.joint_plan,
            )
        )

    # -- cancel -------------------------------------------------------------

    @command(lambda self, cmd: self._refuse_unless(lambda: rules.check_cancel(self.state.status, cmd.reason)))
    async def cancel(self, cmd: CancelMeeting) -> MeetingResult:
        reason = cmd.reason.strip()
        position = await self._record(
            [MeetingCancelled(meeting_id=self._in.meeting_id, pathway_id=self._in.pathway_id, reason=reason)], cmd.actor
        )
        self.state.status, self.state.cancel_reason = "cancelled", reason
        self._publish()
        return MeetingResult(meeting=self._view(), position=position)

    # -- helpers ------------------------------------------------------------

    @staticmethod
    def _refuse_unless(check: Callable[[], None]) -> None:
        # Only an ApplicationError fails an update; any other exception would
        # fail the workflow task and retry it forever.
        try:
            check()
        except MeetingRefused as exc:
            raise kit.refused(exc, details={"allowed": exc.allowed}) from None

    def _is_closed(self) -> bool:
        return self.state.status in ("held", "cancelled")

    async def _invite(self) -> None:
        orgs = list(dict.fromkeys(p.organisation for p in self._in.participants))
        notices = [self._invitation(org) for org in orgs]
        await asyncio.gather(
            *(
                workflow.execute_activity(
                    "send_notice", n, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=NOTICE_RETRY
                )
                for n in notices
            )
        )
        if notices:
            await self._record(
                [
                    InvitationSent(
                        meeting_id=self._in.meeting_id,
                        pathway_id=self._in.pathway_id,
                        recipient_org=n.recipient_org,
                        idempotency_key=n.idempotency_key,
                    )
                    for n in notices
                ],
                Actor.engine(),
            )

    def _invitation(self, org: str) -> Notice:
        # Pathway id, kind and dates only: no patient identity, no purpose (it
        # may hold clinical detail), no names of participants.
        kind = self._in.kind
        danish = rules.DANISH_NAMES[kind]
        return Notice(
            idempotency_key=f"{stream_id(self._in.meeting_id)}/invitation/{org}",
            channel="invitation",
            recipient_org=org,
            subject=f"Indkaldelse til {danish} ({kind.replace('_', ' ')})",
            body=(
                f"You are invited to a {danish} ({kind.replace('_', ' ')}) on pathway {self._in.pathway_id}, "
                f"called by {self._in.actor.organisation} on {self._in.called_on}, to be held by {self.state.hold_by}. "
                f"Meeting reference: {self._in.meeting_id}."
            ),
            pathway_id=self._in.pathway_id,
        )

    async def _tell(self, held_on: date) -> None:
        """Tell whom the meeting was for: the stay it was called for at discharge (its task closes), else
        the pathway (a phase-4 network meeting, a start-up meeting)."""
        if self._in.stay_workflow_id is not None:
            whom = self._in.stay_workflow_id
        else:
            whom = self._in.pathway_workflow_id or workflow_ids.legacy("pathway", self._in.pathway_id)
        try:
            await workflow.get_external_workflow_handle(whom).signal(
                MEETING_HELD_SIGNAL,
                MeetingHeldSignal(meeting_id=self._in.meeting_id, kind=self._in.kind, held_on=held_on),
            )
        except FailureError as exc:
            # The pathway or stay has ended (or was never started here): the meeting
            # stays on the record; there is no one left to tell.
            workflow.logger.warning("not told of held meeting: %s", exc)

    def _view(self) -> MeetingView:
        held = [self.state.held] if self.state.held else []  # its date, outcome and attendees
        return kit.from_fields(MeetingView, self._in, self.state, *held)

    def _publish(self) -> None:
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.PATHWAY_KIND.value_set("meeting"),
            sa.REGION.value_set(self._in.region),
            sa.MUNICIPALITY.value_set(self._in.municipality),
            sa.OVERDUE.value_set(self.state.overdue and not self._is_closed()),
        ]
        if self.state.hold_by is not None and not self._is_closed():
            # Due by the end of hold_by, in Copenhagen.
            attrs.append(sa.NEXT_DUE.value_set(copenhagen.midnight(self.state.hold_by + timedelta(days=1))))
        else:
            attrs.append(sa.NEXT_DUE.value_unset())
        self._upsert(attrs)
