"""The patient's consents on the pathway (spec §4 "Consent"), for the pathway's workflow.

A mixin of the pathway's workflow: `record_consent` records a consent given, refused or withdrawn
(ConsentRecorded). A consent given or refused towards the pathway's own municipality answers the task that
asked for it (dialogue: `consent_dialogue`; informing municipal treatment: the medication's
`seek_consent_inform_municipality`), and an admitted patient's stay is told at once (signal `consents_changed`).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import consent, medication
    from dualpath.domain.consent import Consent
    from dualpath.domain.events import ConsentRecorded, DomainEvent, TaskCompleted
    from dualpath.workflows import inpatient_stay, kit
    from dualpath.workflows import inpatient_stay_messages as stay_messages
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import CommandResult, ConsentCommand
    from dualpath.workflows.pathway_part import PathwayPart

# Only the pathway's own municipality answers its consent tasks. Behind a patch, so that histories recorded
# before it (when a dialogue consent towards any municipality did) replay as they ran.
CONSENT_TASK_OWN_MUNICIPALITY = "consent-task-own-municipality"


class ConsentCommands(PathwayPart):
    """The update `record_consent`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_consent(cmd))
    async def record_consent(self, cmd: ConsentCommand) -> CommandResult:
        events: list[DomainEvent] = [kit.from_fields(ConsentRecorded, cmd, pathway_id=self.state.pathway_id)]
        # The task that asked for this consent is answered by recording it. A consent to involving a relative
        # (involve_relative) answers none: `.get`, so that it finds no task (histories recorded before the scope
        # never held it, so they replay as they ran).
        asked_by = {"dialogue": "consent_dialogue", "inform_municipal_treatment": medication.SEEK_CONSENT_TASK}
        # Only the pathway's own municipality answers its consent tasks (before the patch, a dialogue
        # consent towards any municipality did: recorded histories replay as they ran).
        own = cmd.counterpart == self.state.municipality
        answers = own or (cmd.scope == "dialogue" and not workflow.patched(CONSENT_TASK_OWN_MUNICIPALITY))
        answered = [
            t
            for t in self._open_tasks()
            if t.kind == asked_by.get(cmd.scope) and cmd.state in ("given", "refused") and answers
        ]
        events += [
            TaskCompleted(task_id=t.task_id, outcome="done", note=f"consent {cmd.state} ({cmd.form})") for t in answered
        ]
        position = await self._record(events, cmd.actor)
        self.state.consents = [
            c for c in self.state.consents if (c.scope, c.counterpart) != (cmd.scope, cmd.counterpart)
        ] + [Consent(scope=cmd.scope, counterpart=cmd.counterpart, state=cmd.state, form=cmd.form)]
        for t in answered:
            t.state, t.outcome_note = "done", f"consent {cmd.state}"
        if self.state.active_stay:
            await workflow.get_external_workflow_handle(
                self.state.active_stay_workflow_id
                or inpatient_stay.workflow_id(self.state.pathway_id, self.state.stays, None)
            ).signal(stay_messages.CONSENTS_CHANGED_SIGNAL, stay_messages.ConsentsChanged(consents=self.state.consents))
        return self._done(position)

    def _check_consent(self, cmd: ConsentCommand) -> None:
        self._require_active()
        current = next(
            (c for c in self.state.consents if (c.scope, c.counterpart) == (cmd.scope, cmd.counterpart)), None
        )
        try:
            consent.check_change(current, cmd.state)
        except consent.ConsentRefused as exc:
            raise kit.refused(exc) from None
