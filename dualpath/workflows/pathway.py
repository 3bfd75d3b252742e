"""The ambulatory pathway (ambulant forløb) as a durable process.

One workflow per pathway, id `pathway-<pathway_id>` (a pseudonym: never a CPR
number or name). It is the only writer of its event stream.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath.domain import ambulatory
    from dualpath.domain.ambulatory import AllowedMove, EndReason, LevelOfCare, MoveRefused
    from dualpath.domain.events import (
        Actor,
        DomainEvent,
        LevelOfCareChanged,
        PathwayEnded,
        PathwayStarted,
        PhaseChanged,
    )
    from dualpath.workflows.record import record


def workflow_id(pathway_id: str) -> str:
    return f"pathway-{pathway_id}"


def stream_id(pathway_id: str) -> str:
    return f"pathway-{pathway_id}"


class PathwayState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    pathway_id: str
    referral_id: str
    patient_id: str
    group: int | None
    region: str
    municipality: str
    catalogue_version: str
    phase: int = 1
    level_of_care: LevelOfCare | None = LevelOfCare.integrated_unstable
    status: str = "active"  # active | ended
    version: int = 0  # events in the stream so far
    started: bool = False


class PathwayInput(BaseModel):
    state: PathwayState
    actor: Actor


class MovePhaseCommand(BaseModel):
    to: int
    reason: str | None = None
    actor: Actor


class EndPathwayCommand(BaseModel):
    reason_kind: EndReason
    reason: str | None = None
    actor: Actor


class PathwayView(BaseModel):
    pathway_id: str
    status: str
    phase: int
    phase_name: str
    level_of_care: LevelOfCare | None
    allowed_moves: list[AllowedMove]


class CommandResult(BaseModel):
    """What an update answers: the new state, and the event-store position the
    read models must reach before a reader sees this change."""

    pathway: PathwayView
    position: int


# A payload that no longer decodes must fail the workflow loudly, not retry forever.
@workflow.defn(name="PathwayWorkflow", failure_exception_types=[ValidationError])
class PathwayWorkflow:
    """The ambulatory pathway, phases 1–4 (spec §3).

    Updates (staff commands; a validator refuses an illegal one, writing nothing):
    - `move_phase(MovePhaseCommand) -> CommandResult`: a move from the spec's table;
      leaving phase 4 needs a reason.
    - `end_pathway(EndPathwayCommand) -> CommandResult`: planned closure from phase 4,
      or an unplanned end from any phase with a reason.
    Queries:
    - `view() -> PathwayView`: the current phase, level of care and allowed moves.
    The workflow continues-as-new with its whole state when Temporal suggests it.
    """

    def __init__(self) -> None:
        self._state: PathwayState | None = None
        # Handlers await activities; the lock keeps one command at a time so
        # the stream's expected version and the state move together.
        self._lock = asyncio.Lock()

    @property
    def state(self) -> PathwayState:
        assert self._state is not None
        return self._state

    @workflow.run
    async def run(self, input: PathwayInput) -> PathwayView:
        self._state = input.state
        if not self.state.started:
            async with self._lock:
                await self._record(
                    [
                        PathwayStarted(
                            pathway_id=self.state.pathway_id,
                            referral_id=self.state.referral_id,
                            patient_id=self.state.patient_id,
                            group=self.state.group,
                            region=self.state.region,
                            municipality=self.state.municipality,
                            phase=self.state.phase,
                            level_of_care=str(self.state.level_of_care),
                            catalogue_version=self.state.catalogue_version,
                        )
                    ],
                    input.actor,
                )
                self.state.started = True
        self._publish()
        await workflow.wait_condition(
            lambda: self.state.status == "ended" or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status != "ended":
            workflow.continue_as_new(PathwayInput(state=self.state, actor=Actor.engine()))
        return self._view()

    @workflow.query
    def view(self) -> PathwayView:
        return self._view()

    # -- move_phase ---------------------------------------------------------

    @workflow.update
    async def move_phase(self, cmd: MovePhaseCommand) -> CommandResult:
        async with self._lock:
            self._check_move(cmd)  # again: another command may have run while we waited
            before_phase, before_level = self.state.phase, self.state.level_of_care
            after_level = ambulatory.LEVEL_FOR_PHASE[cmd.to]
            events: list[DomainEvent] = [
                PhaseChanged(
                    pathway_id=self.state.pathway_id, from_phase=before_phase, to_phase=cmd.to, reason=cmd.reason
                )
            ]
            if after_level != before_level:
                events.append(
                    LevelOfCareChanged(
                        pathway_id=self.state.pathway_id,
                        from_level=before_level,
                        to_level=after_level,
                        reason=f"phase {before_phase} → {cmd.to}",
                    )
                )
            position = await self._record(events, cmd.actor)
            self.state.phase, self.state.level_of_care = cmd.to, after_level
            self._publish()
            return CommandResult(pathway=self._view(), position=position)

    @move_phase.validator
    def _validate_move(self, cmd: MovePhaseCommand) -> None:
        self._check_move(cmd)

    def _check_move(self, cmd: MovePhaseCommand) -> None:
        self._require_active()
        try:
            ambulatory.check_move(self.state.phase, cmd.to, cmd.reason)
        except MoveRefused as exc:
            raise ApplicationError(
                str(exc), [m.model_dump() for m in ambulatory.allowed_moves(self.state.phase)], type="MoveRefused"
            ) from None

    # -- end_pathway --------------------------------------------------------

    @workflow.update
    async def end_pathway(self, cmd: EndPathwayCommand) -> CommandResult:
        async with self._lock:
            self._check_end(cmd)
            after_level = ambulatory.LEVEL_AFTER_END.get(cmd.reason_kind)
            events: list[DomainEvent] = [
                PathwayEnded(
                    pathway_id=self.state.pathway_id,
                    phase=self.state.phase,
                    reason_kind=cmd.reason_kind.value,
                    reason=cmd.reason,
                ),
                LevelOfCareChanged(
                    pathway_id=self.state.pathway_id,
                    from_level=self.state.level_of_care,
                    to_level=after_level,
                    reason=f"pathway ended: {cmd.reason_kind.value}",
                ),
            ]
            position = await self._record(events, cmd.actor)
            self.state.status, self.state.level_of_care = "ended", after_level
            self._publish()
            return CommandResult(pathway=self._view(), position=position)

    @end_pathway.validator
    def _validate_end(self, cmd: EndPathwayCommand) -> None:
        self._check_end(cmd)

    def _check_end(self, cmd: EndPathwayCommand) -> None:
        self._require_active()
        try:
            ambulatory.check_end(self.state.phase, cmd.reason_kind, cmd.reason)
        except MoveRefused as exc:
            raise ApplicationError(str(exc), type="MoveRefused") from None

    # -- helpers ------------------------------------------------------------

    def _require_active(self) -> None:
        if self.state.status != "active":
            raise ApplicationError("the pathway has ended: no further moves", [], type="MoveRefused")

    async def _record(self, events: list[DomainEvent], actor: Actor) -> int:
        result = await record(stream_id(self.state.pathway_id), self.state.version, events, actor)
        self.state.version = result.last_version
        return result.last_position

    def _view(self) -> PathwayView:
        return PathwayView(
            pathway_id=self.state.pathway_id,
            status=self.state.status,
            phase=self.state.phase,
            phase_name=ambulatory.PHASE_NAMES[self.state.phase],
            level_of_care=self.state.level_of_care,
            allowed_moves=ambulatory.allowed_moves(self.state.phase) if self.state.status == "active" else [],
        )

    def _publish(self) -> None:
        workflow.upsert_search_attributes(
            [
                sa.PATHWAY_KIND.value_set("ambulatory"),
                sa.PHASE.value_set(
                    f"{self.state.phase}" if self.state.status == "active" else "ended"
                ),
                sa.LEVEL_OF_CARE.value_set(str(self.state.level_of_care or "none")),
                sa.REGION.value_set(self.state.region),
                sa.MUNICIPALITY.value_set(self.state.municipality),
            ]
            + ([sa.TARGET_GROUP.value_set(self.state.group)] if self.state.group else [])
        )

