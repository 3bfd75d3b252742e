"""A member of staff in the staff register (issue #15 item 1), as a durable process: `StaffMemberWorkflow`.

One workflow per staff member, id `staff-<uuid5 of the subject>` (dualpath/workflow_ids.py: a pseudonym, since
a token's subject may be an e-mail address), the only writer of the event stream `staff-<subject>`. Workflows are
the only writers of domain events: the register is kept by this small workflow as campaigns and meetings are
kept by theirs.

No personal identity in Temporal: the input and the events carry the subject, organisation, team and role;
the display name is written by the API to the register table `staff_names` (as the CPR number to `patients`).
"""

from __future__ import annotations

from pydantic import ValidationError
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath import workflow_ids
    from dualpath.domain import staff
    from dualpath.domain.events import Actor, StaffMemberChanged, StaffMemberRegistered
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.staff_member_messages import (
        ChangeStaffCommand,
        StaffMemberInput,
        StaffMemberState,
        StaffMemberView,
        StaffResult,
    )

workflow_id, stream_id = workflow_ids.staff_member, workflow_ids.staff_stream


@workflow.defn(name="StaffMemberWorkflow", failure_exception_types=[ValidationError])
class StaffMemberWorkflow(kit.Process):
    """A staff member in the register.

    On start: records StaffMemberRegistered (subject, organisation, team, role). Then waits for changes for as
    long as the member is registered, continuing-as-new with its state when Temporal suggests it.
    Updates (a validator refuses an illegal one with type CommandRefused, writing nothing):
    - `change(ChangeStaffCommand) -> StaffResult`: team, role or activity changed (StaffMemberChanged).
    Queries: `view() -> StaffMemberView`.
    """

    @workflow.init
    def __init__(self, input: StaffMemberInput) -> None:
        state = input.state or StaffMemberState(
            subject=input.subject, organisation=input.organisation, team=input.team, role=input.role
        )
        super().__init__(stream_id(state.subject), versioned=state)
        self.state = state

    @workflow.run
    async def run(self, input: StaffMemberInput) -> StaffMemberView:
        if not self.state.registered:
            async with self._lock:
                try:
                    staff.check_team(self.state.organisation, self.state.team)
                except staff.StaffRefused as exc:
                    raise kit.refused(exc, type="InvalidData") from None
                registered = kit.from_fields(StaffMemberRegistered, self.state)
                await self._record([registered], input.actor)
                self.state.registered = True
        self._ready = True
        await workflow.wait_condition(lambda: workflow.info().is_continue_as_new_suggested())
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            StaffMemberInput(
                subject=self.state.subject,
                organisation=self.state.organisation,
                team=input.team,
                role=input.role,
                actor=Actor.engine(),
                state=self.state,
            )
        )

    @workflow.query
    def view(self) -> StaffMemberView:
        return kit.from_fields(StaffMemberView, self.state)

    @command(lambda self, cmd: self._check_change(cmd))
    async def change(self, cmd: ChangeStaffCommand) -> StaffResult:
        changed = StaffMemberChanged(subject=self.state.subject, team=cmd.team, role=cmd.role, active=cmd.active)
        position = await self._record([changed], cmd.actor)
        self.state.team, self.state.role, self.state.active = cmd.team, cmd.role, cmd.active
        return StaffResult(member=self.view(), position=position)

    def _check_change(self, cmd: ChangeStaffCommand) -> None:
        try:
            staff.check_team(self.state.organisation, cmd.team)
        except staff.StaffRefused as exc:
            raise kit.refused(exc) from None
        if (cmd.team, cmd.role, cmd.active) == (self.state.team, self.state.role, self.state.active):
            raise kit.refused(ValueError("nothing to change: team, role and activity are as registered"))
