"""A member of staff in the staff register (issue #15 item 1), as a durable process: `StaffMemberWorkflow`.

One workflow per staff member, id `staff-<uuid5 of the subject>` (dualpath/workflow_ids.py: a pseudonym, since
a token's subject may be an e-mail address), the only writer of the event stream `staff-<subject>`. Workflows are
the only writers of domain events: the register is kept by this small workflow as campaigns and meetings are
kept by theirs.

No personal identity in Temporal: the input and the events carry the subject, organisation, team and role;
the display name is written by the API to the register table `staff_names` (as the CPR number to `patients`).
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath import workflow_ids
    from dualpath.domain import competences, copenhagen, staff
    from dualpath.domain.events import Actor, StaffMemberChanged, StaffMemberRegistered
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.staff_member_messages import (
        CertificationCommand,
        ChangeStaffCommand,
        CompetenceResult,
        CourseCommand,
        StaffMemberInput,
        StaffMemberState,
        StaffMemberView,
        StaffResult,
        SupervisionCommand,
    )

workflow_id, stream_id = workflow_ids.staff_member, workflow_ids.staff_stream


@workflow.defn(name="StaffMemberWorkflow", failure_exception_types=[ValidationError])
class StaffMemberWorkflow(kit.Process):
    """A staff member in the register.

    On start: records StaffMemberRegistered (subject, organisation, team, role). Then waits for changes for as
    long as the member is registered, continuing-as-new with its state when Temporal suggests it.
    Updates (a validator refuses an illegal one with type CommandRefused, writing nothing):
    - `change(ChangeStaffCommand) -> StaffResult`: team, role or activity changed (StaffMemberChanged).
    - `record_certification(CertificationCommand) -> CompetenceResult`: certified (or renewed) in a method
      (CertificationRecorded); a renewal must be certified after the one before.
    - `record_course(CourseCommand) -> CompetenceResult`: a course attended (CourseAttended).
    - `record_supervision(SupervisionCommand) -> CompetenceResult`: a method or case supervision
      (SupervisionReceived; a case by its pathway id only).
    Competences are recorded for an active member only, and never dated in the future.
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
        changed = kit.from_fields(StaffMemberChanged, cmd, subject=self.state.subject)
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

    # -- competences (issue #15 item 3) ---------------------------------------------------------------------------

    @command(lambda self, cmd: self._check_certification(cmd))
    async def record_certification(self, cmd: CertificationCommand) -> CompetenceResult:
        event = kit.from_fields(competences.CertificationRecorded, cmd, subject=self.state.subject)
        position = await self._record([event], cmd.actor)
        self.state.certified[cmd.method] = cmd.certified_on
        return CompetenceResult(position=position)

    @command(lambda self, cmd: self._check_dated("attended_on", cmd.attended_on))
    async def record_course(self, cmd: CourseCommand) -> CompetenceResult:
        event = kit.from_fields(
            competences.CourseAttended, cmd, subject=self.state.subject, course_id=str(workflow.uuid4())
        )
        return CompetenceResult(position=await self._record([event], cmd.actor))

    @command(lambda self, cmd: self._check_supervision(cmd))
    async def record_supervision(self, cmd: SupervisionCommand) -> CompetenceResult:
        event = kit.from_fields(
            competences.SupervisionReceived, cmd, subject=self.state.subject, supervision_id=str(workflow.uuid4())
        )
        return CompetenceResult(position=await self._record([event], cmd.actor))

    def _check_dated(self, field: str, on: date) -> None:
        if not self.state.active:
            raise kit.refused(ValueError(f"{self.state.subject} is no longer active in the staff register"))
        try:
            competences.check_dated(field, on, copenhagen.local_date(workflow.now()))
        except competences.CompetenceRefused as exc:
            raise kit.refused(exc) from None

    def _check_certification(self, cmd: CertificationCommand) -> None:
        self._check_dated("certified_on", cmd.certified_on)
        try:
            competences.check_certification(
                cmd.method,
                cmd.certified_on,
                cmd.renewal_due,
                copenhagen.local_date(workflow.now()),
                self.state.certified.get(cmd.method),
            )
        except competences.CompetenceRefused as exc:
            raise kit.refused(exc) from None

    def _check_supervision(self, cmd: SupervisionCommand) -> None:
        self._check_dated("held_on", cmd.held_on)
        try:
            competences.check_supervision(cmd.kind, cmd.method, cmd.pathway_id)
        except competences.CompetenceRefused as exc:
            raise kit.refused(exc) from None
