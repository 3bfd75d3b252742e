"""The first treatment contact and the §82c clock (Health Act §82c; issue #18 item 3), for the pathway's workflow.

A pathway started from a referral carries its receipt date and start deadline. The first treatment contact is
recorded once, in phase 1 (`record_first_contact`). Until then the clock warns 3 days before the deadline with a
task for the pathway's clinicians and escalates when it passes (domain/first_contact.py). Behind the patch
FIRST_CONTACT_CLOCK: recorded histories replay as they ran.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import copenhagen, first_contact
    from dualpath.domain.events import (
        Actor,
        DomainEvent,
        FirstContactDeadlineApproaching,
        FirstContactDeadlinePassed,
        FirstTreatmentContact,
        TaskCompleted,
        TaskOpened,
        TaskOverdue,
    )
    from dualpath.domain.tasks import Task
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import CommandResult, FirstContactCommand
    from dualpath.workflows.pathway_part import PathwayPart

# The §82c clock runs on the pathway, from the referral's receipt to the first treatment contact: a warning
# task before the deadline, an escalation when it passes. Behind a patch, so recorded histories replay as they ran.
FIRST_CONTACT_CLOCK = "first-contact-clock"


class FirstContactClock(PathwayPart):
    """The update `record_first_contact` and the clock's timers, for the pathway's workflow to inherit."""

    _clock: bool | None  # whether this run keeps the clock (decided once: `_keeps_clock`)

    @command(lambda self, cmd: self._check_first_contact(cmd))
    async def record_first_contact(self, cmd: FirstContactCommand) -> CommandResult:
        s = self.state
        contact = FirstTreatmentContact(
            pathway_id=s.pathway_id,
            contact_on=cmd.contact_on,
            phase=s.phase,
            received_on=s.received_on,
            start_deadline=s.start_deadline,
            within_deadline=first_contact.within_deadline(cmd.contact_on, s.start_deadline),
        )
        # The deadline's task is answered by recording the contact.
        asked = [t for t in self._open_tasks() if t.kind == first_contact.TASK]
        note = f"first treatment contact on {cmd.contact_on.isoformat()}"
        position = await self._record(
            [contact, *(TaskCompleted(task_id=t.task_id, outcome="done", note=note) for t in asked)], cmd.actor
        )
        s.first_contact_on = cmd.contact_on
        for t in asked:
            t.state, t.outcome_note = "done", note
        return self._done(position)

    def _check_first_contact(self, cmd: FirstContactCommand) -> None:
        self._require_active()
        s = self.state
        today = copenhagen.local_date(workflow.now())
        try:
            first_contact.check(
                cmd.contact_on,
                today=today,
                phase=s.phase,
                recorded=s.first_contact_on,
                received_on=s.received_on,
                started_on=s.started_on,
            )
        except first_contact.FirstContactRefused as exc:
            # The days a first contact may be on (while none is recorded, in phase 1).
            earliest = s.received_on or s.started_on
            days = f"from {earliest.isoformat()} to {today.isoformat()}" if earliest else f"to {today.isoformat()}"
            raise kit.refused(exc, details={"allowed": [f"contact_on {days}"]}) from None

    def _keeps_clock(self) -> bool:
        """Whether this pathway keeps the §82c clock: it came from a referral with a start deadline (and was
        started or continued under the patch; histories recorded before it replay without)."""
        if self._clock is None:
            self._clock = self.state.start_deadline is not None and workflow.patched(FIRST_CONTACT_CLOCK)
        return self._clock

    def _clock_running(self) -> bool:
        s = self.state
        return (
            s.start_deadline is not None
            and s.first_contact_on is None
            and s.status == "active"
            and s.phase == first_contact.PHASE
        )

    def _clock_events(self) -> list[DomainEvent]:
        """What the §82c clock records now: the warning with its task for the pathway's clinicians (the task
        alone once the deadline has passed), and the escalation when it has passed."""
        s = self.state
        if not self._clock_running() or s.start_deadline is None:
            return []
        deadline, today = s.start_deadline, copenhagen.local_date(workflow.now())
        passed = today >= first_contact.passed_on(deadline)
        events: list[DomainEvent] = []
        if not s.first_contact_warned and today >= first_contact.warn_on(deadline):
            if not passed:
                events.append(FirstContactDeadlineApproaching(pathway_id=s.pathway_id, start_deadline=deadline))
            task = Task(
                task_id=str(workflow.uuid4()),
                kind=first_contact.TASK,
                title=first_contact.task_title(deadline),
                phase=first_contact.PHASE,
                owner_role="clinician",
                owner_org=f"region:{s.region}",
                due=deadline,
                mandatory=True,
            )
            self._tasks = [*self._open_tasks(), task]
            events.append(kit.task_opened(task, pathway_id=s.pathway_id))
        if not s.first_contact_deadline_passed and passed:
            events.append(FirstContactDeadlinePassed(pathway_id=s.pathway_id, start_deadline=deadline))
            events += [
                TaskOverdue(task_id=t.task_id, due=t.due)
                for t in self._open_tasks()
                if t.kind == first_contact.TASK and not t.overdue
            ]
        return events

    def _clock_recorded(self, events: list[DomainEvent]) -> None:
        """The state after the clock's events were recorded."""
        overdue = {e.task_id for e in events if isinstance(e, TaskOverdue)}
        for t in self._open_tasks():
            t.overdue = t.overdue or t.task_id in overdue
        for e in events:
            if isinstance(e, TaskOpened) and e.kind == first_contact.TASK:
                self.state.first_contact_warned = True
            elif isinstance(e, FirstContactDeadlinePassed):
                self.state.first_contact_deadline_passed = True

    async def _keep_clock(self) -> None:
        async with self._lock:
            events = self._clock_events()
            if not events:
                return
            await self._record(events, Actor.engine())
            self._clock_recorded(events)
        self._publish()

    def _next_clock_instant(self) -> datetime | None:
        """When the §82c clock has something to record next (a Copenhagen midnight), or None."""
        s = self.state
        if not self._keeps_clock() or not self._clock_running() or s.start_deadline is None:
            return None
        if not s.first_contact_warned:
            return copenhagen.midnight(first_contact.warn_on(s.start_deadline))
        if not s.first_contact_deadline_passed:
            return copenhagen.midnight(first_contact.passed_on(s.start_deadline))
        return None
