"""The pathway's named contact person (fast, navngiven kontaktperson; issue #15 item 2) and tasks given to a named
person, for the pathway's workflow.

A mixin of the pathway's workflow: `name_contact_person` records `ContactPersonNamed` in the pathway's stream
(the staff member's subject, the one before and the reason for the change). The first naming closes the phase-1
task `contact_person` when it is open (as `record_consent` closes `consent_dialogue`); a change needs a reason.
Only the subject enters Temporal: the API has checked it is in the staff register, active and of the pathway's
region, and the display name stays in the register. A new update: no history recorded before it holds it, so it
needs no `workflow.patched`.

`assign_task` gives an open task of the pathway to a named staff member (`TaskAssigned`; the API has checked the
register as above): it shows on their worklist as "mine". The task itself is unchanged (its owner organisation
and role stay), so a colleague may still close it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import staff
    from dualpath.domain.events import ContactPersonNamed, DomainEvent, TaskAssigned, TaskCompleted
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import AssignTaskCommand, CommandResult, ContactPersonCommand
    from dualpath.workflows.pathway_part import PathwayPart


class ContactPersonCommands(PathwayPart):
    """The updates `name_contact_person` and `assign_task`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_contact_person(cmd))
    async def name_contact_person(self, cmd: ContactPersonCommand) -> CommandResult:
        reason = cmd.reason.strip() if cmd.reason and cmd.reason.strip() else None
        events: list[DomainEvent] = [
            ContactPersonNamed(
                pathway_id=self.state.pathway_id, subject=cmd.subject, previous=self.state.contact_person, reason=reason
            )
        ]
        answered = [t for t in self._open_tasks() if t.kind == staff.CONTACT_PERSON_TASK]
        events += [TaskCompleted(task_id=t.task_id, outcome="done", note="contact person named") for t in answered]
        position = await self._record(events, cmd.actor)
        self.state.contact_person = cmd.subject
        for t in answered:
            t.state, t.outcome_note = "done", "contact person named"
        return self._done(position)

    def _check_contact_person(self, cmd: ContactPersonCommand) -> None:
        self._require_active()
        try:
            staff.check_contact_person(self.state.contact_person, cmd.subject, cmd.reason)
        except staff.StaffRefused as exc:
            raise kit.refused(exc) from None

    @command(lambda self, cmd: self._check_assignment(cmd))
    async def assign_task(self, cmd: AssignTaskCommand) -> CommandResult:
        assigned = TaskAssigned(pathway_id=self.state.pathway_id, task_id=cmd.task_id, subject=cmd.subject)
        return self._done(await self._record([assigned], cmd.actor))

    def _check_assignment(self, cmd: AssignTaskCommand) -> None:
        self._require_active()
        if self._task(cmd.task_id) is None:
            raise kit.refused(
                ValueError(f"task {cmd.task_id} is not an open task of this pathway: only open tasks are assigned")
            )
