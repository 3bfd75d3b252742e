"""The pathway's medication changes and the FMK notice to the municipality (spec §4 "Medication").

A mixin of the pathway's workflow: the change is recorded first (MedicationChangeRecorded: the drug
stays in the event store), then the municipal practitioners are advised that FMK changed (activity
`send_fmk_notice`, nothing clinical) only while consent `inform_municipal_treatment` is given for the
pathway's own municipality, and never for a private-marked prescription.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dualpath.contracts.activities import FmkNotice
    from dualpath.domain import copenhagen, medication, tasks, validation
    from dualpath.domain.events import Actor, DomainEvent, TaskOpened
    from dualpath.domain.medication_events import FmkNoticeSent, FmkNoticeWithheld, MedicationChangeRecorded
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import MedicationCommand, MedicationResult, NoticeOutcome
    from dualpath.workflows.pathway_part import PathwayPart

# The FMK notice: one attempt is bounded by the notifier's own HTTP timeout
# (DUALPATH_FMK_NOTICE_TIMEOUT, below this); a receiver that is away is tried
# again with backoff up to a minute, a bounded number of times, after which
# the clinician gets a task. A 4xx answer is not retried (non-retryable error).
FMK_NOTICE_TIMEOUT = timedelta(seconds=30)
FMK_NOTICE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
)
_REASON_LIMIT = 500


class MedicationCommands(PathwayPart):
    """The update `record_medication_change`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._require_active())
    async def record_medication_change(self, cmd: MedicationCommand) -> MedicationResult:
        change_id = str(workflow.uuid4())
        recorded = MedicationChangeRecorded(
            change_id=change_id,
            pathway_id=self.state.pathway_id,
            action=cmd.action,
            drug=cmd.drug,
            changed_at=cmd.changed_at,
            private=cmd.private,
        )
        # Decided on the consents as they stand now: a withdrawal recorded
        # before this command has taken effect already.
        decision = medication.notice_decision(self.state.consents, self.state.municipality, cmd.private)
        if not decision.send:
            events: list[DomainEvent] = [
                recorded,
                FmkNoticeWithheld(change_id=change_id, pathway_id=self.state.pathway_id, reason=decision.reason),
            ]
            if decision.seek_consent and not any(t.kind == medication.SEEK_CONSENT_TASK for t in self._open_tasks()):
                events.append(
                    self._medication_task(
                        medication.SEEK_CONSENT_TASK, medication.SEEK_CONSENT_TITLE, medication.SEEK_CONSENT_DUE_DAYS
                    )
                )
            position = await self._record(events, cmd.actor)
            notice = NoticeOutcome(sent=False, reason=decision.reason)
        else:
            # The key is drawn before the activity: the same on every attempt and on replay.
            key = str(workflow.uuid4())
            # The change is recorded first: whatever becomes of the notice, it is never lost.
            await self._record([recorded], cmd.actor)
            failure = await self._send_fmk_notice(key, cmd)
            if failure is None:
                position = await self._record(
                    [
                        FmkNoticeSent(
                            change_id=change_id,
                            pathway_id=self.state.pathway_id,
                            municipality=self.state.municipality,
                            idempotency_key=key,
                        )
                    ],
                    Actor.engine(),
                )
                notice = NoticeOutcome(sent=True, reason=decision.reason, idempotency_key=key)
            else:
                position = await self._record(
                    [
                        FmkNoticeWithheld(
                            change_id=change_id, pathway_id=self.state.pathway_id, reason=failure, idempotency_key=key
                        ),
                        self._medication_task(
                            medication.NOTICE_FAILED_TASK,
                            medication.NOTICE_FAILED_TITLE,
                            medication.NOTICE_FAILED_DUE_DAYS,
                        ),
                    ],
                    Actor.engine(),
                )
                notice = NoticeOutcome(sent=False, reason=failure, idempotency_key=key)
        done = self._done(position)
        return MedicationResult(change_id=change_id, notice=notice, pathway=done.pathway, position=done.position)

    async def _send_fmk_notice(self, key: str, cmd: MedicationCommand) -> str | None:
        """Advise the municipality that FMK changed (nothing clinical); None when delivered, else why not."""
        try:
            notice = FmkNotice(
                idempotency_key=key,
                pathway_id=self.state.pathway_id,
                municipality=self.state.municipality,
                changed_at=cmd.changed_at,
            )
        except ValidationError as exc:
            # Raised here it would fail the whole workflow (failure_exception_types).
            return f"FMK notice not sent: it could not be built ({exc.error_count()} invalid fields)"
        try:
            await workflow.execute_activity(
                "send_fmk_notice", notice, start_to_close_timeout=FMK_NOTICE_TIMEOUT, retry_policy=FMK_NOTICE_RETRY
            )
        except ActivityError as err:
            cause = err.cause
            why = getattr(cause, "message", None) or str(cause or err) or type(cause).__name__
            reason = validation.printable(f"FMK notice not delivered: {why}")  # the receiver's words, storable
            return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"
        return None

    def _medication_task(self, kind: str, title: str, due_days: int) -> TaskOpened:
        """A clinician's task on the region's worklist; not mandatory, so it never blocks a phase move."""
        due = copenhagen.local_date(workflow.now()) + timedelta(days=due_days)
        task = tasks.for_clinicians(
            str(workflow.uuid4()), kind, title, region=self.state.region, due=due, mandatory=False
        )
        self.state.tasks.append(task)
        return kit.task_opened(task, pathway_id=self.state.pathway_id)
