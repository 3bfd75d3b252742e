"""Contacts at the acute function without admission (issue #18 item 4), recorded by the pathway.

A mixin of the pathway's workflow: `record_acute_contact` records `AcuteContactRecorded` in the pathway's
stream (the day, and what came of it: sent home, referred on, admitted; domain/acute.py). It changes nothing
else on the pathway: an admission is the admission route's (or `POST /acute-admissions`).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import acute, copenhagen
    from dualpath.domain.events import AcuteContactRecorded
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import AcuteContactCommand, CommandResult
    from dualpath.workflows.pathway_part import PathwayPart


class AcuteContactCommands(PathwayPart):
    """The update `record_acute_contact`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_acute_contact(cmd))
    async def record_acute_contact(self, cmd: AcuteContactCommand) -> CommandResult:
        note = cmd.note.strip() if cmd.note and cmd.note.strip() else None
        contact = AcuteContactRecorded(
            pathway_id=self.state.pathway_id,
            contact_id=str(workflow.uuid4()),
            contact_on=cmd.contact_on,
            outcome=cmd.outcome,
            note=note,
        )
        return self._done(await self._record([contact], cmd.actor))

    def _check_acute_contact(self, cmd: AcuteContactCommand) -> None:
        self._require_active()
        today = copenhagen.local_date(workflow.now())
        try:
            acute.check_contact(cmd.contact_on, cmd.outcome, cmd.note, today=today)
        except acute.AcuteContactRefused as exc:
            raise kit.refused(
                exc, details={"allowed": [f"contact_on to {today.isoformat()}", *acute.OUTCOMES]}
            ) from None
