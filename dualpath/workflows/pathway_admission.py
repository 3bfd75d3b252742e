"""Admissions (indlæggelser) from the pathway: the stay as the pathway's child, for the pathway's workflow.

`admit` starts the stay's workflow (`stay-<region>-<pathway_id>-<n>`), which outlives the pathway's runs; the
level of care is inpatient until the stay signals its discharge (`stay_discharged`). A pathway accepted into an
inpatient course, or started by an acute admission, starts its first stay in its opening (ADMIT_AT_START).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from dualpath import workflow_ids
    from dualpath.domain import ambulatory
    from dualpath.domain.ambulatory import LevelOfCare
    from dualpath.domain.events import Actor, AdmissionRecorded, DomainEvent, LevelOfCareChanged, StayDischargeRecorded
    from dualpath.workflows import inpatient_stay, kit
    from dualpath.workflows import inpatient_stay_messages as stay_messages
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import AdmitCommand, AdmitResult
    from dualpath.workflows.pathway_part import PathwayPart

# A pathway that starts with a stay (accepted into an inpatient course, or an acute admission: issue #18
# item 4) admits in its opening. Asked only for such a pathway, so recorded histories replay as they ran.
ADMIT_AT_START = "admit-at-start"


class Admissions(PathwayPart):
    """The update `admit` and the signal `stay_discharged`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_admit())
    async def admit(self, cmd: AdmitCommand) -> AdmitResult:
        stay_id, child_id, events = await self._start_stay(cmd)
        position = await self._record(events, cmd.actor)
        self._admitted(stay_id, child_id)
        self._done(position)
        return AdmitResult(stay_id=stay_id, stay_workflow_id=child_id, position=position)

    async def _start_stay(self, cmd: AdmitCommand) -> tuple[str, str, list[DomainEvent]]:
        """Start the stay's workflow (a child); its id, its workflow's id and the events that record the admission."""
        self.state.stays += 1
        stay_id, number = str(workflow.uuid4()), self.state.stays
        child_id = inpatient_stay.workflow_id(
            self.state.pathway_id,
            number,
            self.state.region if workflow.patched(workflow_ids.REGION_IN_WORKFLOW_ID) else None,
        )
        await workflow.start_child_workflow(
            inpatient_stay.InpatientStayWorkflow.run,
            kit.from_fields(stay_messages.StayInput, self.state, cmd, stay_id=stay_id, number=number),
            id=child_id,
            # The pathway continues-as-new over the years; its stays must
            # not be terminated when one run hands over to the next.
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"Inpatient stay {number} (indlæggelse)",
        )
        events: list[DomainEvent] = [
            AdmissionRecorded(
                pathway_id=self.state.pathway_id, stay_id=stay_id, via=cmd.via, admitted_on=cmd.admitted_on
            ),
            LevelOfCareChanged(
                pathway_id=self.state.pathway_id,
                from_level=self.state.level_of_care,
                to_level=LevelOfCare.inpatient,
                reason=f"admitted ({cmd.via})",
            ),
        ]
        return stay_id, child_id, events

    def _admitted(self, stay_id: str, child_id: str) -> None:
        """The state once the admission is recorded."""
        self.state.active_stay, self.state.level_of_care = stay_id, LevelOfCare.inpatient
        self.state.active_stay_workflow_id = child_id

    async def _admission_at_start(self, actor: Actor) -> tuple[str, str, list[DomainEvent]] | None:
        """A pathway accepted into an inpatient course, or started by an acute admission (issue #18 item 4):
        its stay starts with it, and the admission is recorded in the pathway's opening append."""
        opening = self.state.admit_at_start
        if opening is None or not workflow.patched(ADMIT_AT_START):
            return None
        return await self._start_stay(AdmitCommand(**opening.model_dump(), actor=actor))

    def _check_admit(self) -> None:
        self._require_active()
        if self.state.active_stay:
            raise ApplicationError(
                f"the patient is admitted already (stay {self.state.active_stay}): discharge first",
                type="CommandRefused",
            )

    @workflow.signal(name=stay_messages.STAY_DISCHARGED_SIGNAL)
    async def stay_discharged(self, done: stay_messages.StayDischarged) -> None:
        async with self.one_at_a_time():
            if self.state.active_stay != done.stay_id:
                return
            back = ambulatory.LEVEL_FOR_PHASE[self.state.phase] if self.state.status == "active" else None
            await self._record(
                [
                    StayDischargeRecorded(
                        pathway_id=self.state.pathway_id, stay_id=done.stay_id, discharged_on=done.discharged_on
                    ),
                    LevelOfCareChanged(
                        pathway_id=self.state.pathway_id,
                        from_level=LevelOfCare.inpatient,
                        to_level=back,
                        reason="discharged",
                    ),
                ],
                Actor.engine(),
            )
            self.state.active_stay, self.state.level_of_care = None, back
            self.state.active_stay_workflow_id = None
            self._done(None)
