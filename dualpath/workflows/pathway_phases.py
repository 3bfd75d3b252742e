"""The pathway's phases, its end and its level of care (spec §3), for the pathway's workflow.

A mixin of the pathway's workflow: `move_phase` moves it to another phase once the phase's mandatory tasks are
closed (PhaseChanged, and LevelOfCareChanged when the phase sets another level; the tasks of the phase entered
are opened); `end_pathway` ends it, planned from phase 4 or unplanned from any phase with a reason (PathwayEnded;
open tasks are cancelled, and a planned closure to coordinated treatment starts the coordinated course);
`decide_level_of_care` records a clinician's decision on the level (LevelOfCareChanged, decided).
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import ambulatory, tasks
    from dualpath.domain.ambulatory import LevelOfCare, MoveRefused
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.events import Actor, DomainEvent, LevelOfCareChanged, PathwayEnded, PhaseChanged, TaskCancelled
    from dualpath.workflows import coordinated_course_messages as coordinated
    from dualpath.workflows import kit
    from dualpath.workflows.kit import MovePhaseCommand, command
    from dualpath.workflows.pathway_messages import CommandResult, EndPathwayCommand, LevelOfCareCommand
    from dualpath.workflows.pathway_part import PathwayPart


class PhaseCommands(PathwayPart):
    """The updates `move_phase`, `end_pathway` and `decide_level_of_care`, for the pathway's workflow to inherit."""

    # -- move_phase ---------------------------------------------------------

    @command(lambda self, cmd: self._check_move(cmd))
    async def move_phase(self, cmd: MovePhaseCommand) -> CommandResult:
        before_phase, before_level = self.state.phase, self.state.level_of_care
        # The ambulatory pathway goes on during a stay; the level stays inpatient.
        after_level = LevelOfCare.inpatient if self.state.active_stay else ambulatory.LEVEL_FOR_PHASE[cmd.to]
        events: list[DomainEvent] = [
            PhaseChanged(pathway_id=self.state.pathway_id, from_phase=before_phase, to_phase=cmd.to, reason=cmd.reason)
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
        events += self._open_phase_tasks(cmd.to)
        position = await self._record(events, cmd.actor)
        self.state.phase, self.state.level_of_care = cmd.to, after_level
        return self._done(position)

    def _check_move(self, cmd: MovePhaseCommand) -> None:
        self._by_the_phase_rules(lambda: ambulatory.check_move(self.state.phase, cmd.to, cmd.reason))
        self._check_leaving(f"phase {self.state.phase}", tasks.blocking(self.state.tasks, self.state.phase))

    def _by_the_phase_rules(self, rule: Callable[[], None]) -> None:
        """Refuse what the phase rules refuse (MoveRefused, with the moves allowed from here)."""
        self._require_active()
        try:
            rule()
        except MoveRefused as exc:
            allowed = [m.model_dump() for m in ambulatory.allowed_moves(self.state.phase)]
            raise kit.refused(exc, "MoveRefused", {"allowed": allowed}) from None

    def _open_phase_tasks(self, phase: int) -> list[DomainEvent]:
        activities = tasks.applicable(load_catalogue(self.state.catalogue_version).mandatory("ambulatory", phase))
        return self._enter_phase(
            phase,
            activities,
            region=self.state.region,
            municipality=self.state.municipality,
            pathway_id=self.state.pathway_id,
        )

    # -- end_pathway --------------------------------------------------------

    @command(lambda self, cmd: self._check_end(cmd))
    async def end_pathway(self, cmd: EndPathwayCommand) -> CommandResult:
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
        open_ = self._open_tasks()
        events += [TaskCancelled(task_id=t.task_id, reason="the pathway ended") for t in open_]
        # A planned closure to coordinated treatment: the coordinated course follows (issue #18 item 9).
        follow = cmd.reason_kind == ambulatory.EndReason.transition_coordinated and workflow.patched(
            coordinated.COORDINATED_FOLLOW_UP
        )
        position = await self._record(events, cmd.actor)
        for t in open_:
            t.state = "cancelled"
        self.state.status, self.state.level_of_care = "ended", after_level
        if follow:
            await self._follow_coordinated_course(cmd.actor)
        return self._done(position)

    async def _follow_coordinated_course(self, actor: Actor) -> None:
        """Start the coordinated course after the planned closure; the municipality follows it up when the patient
        has consented to dialogue with it, else the region alone."""
        course_id = str(workflow.uuid4())
        shared = any(
            (c.scope, c.counterpart, c.state) == ("dialogue", self.state.municipality, "given")
            for c in self.state.consents
        )
        await coordinated.start_as_child(
            kit.from_fields(
                coordinated.CourseInput,
                self.state,
                course_id=course_id,
                origin="planned_closure",
                origin_id=self.state.pathway_id,
                shared_with_municipality=shared,
                actor=actor,
            ),
            "Coordinated course after the integrated pathway",
        )
        self.state.coordinated_course_id = course_id

    def _check_end(self, cmd: EndPathwayCommand) -> None:
        self._by_the_phase_rules(lambda: ambulatory.check_end(self.state.phase, cmd.reason_kind, cmd.reason))
        if cmd.reason_kind in ambulatory.PLANNED_ENDS:  # a planned closure leaves phase 4 done
            planned = "a planned closure needs phase 4's mandatory tasks closed first: phase 4"
            self._check_leaving(planned, tasks.blocking(self.state.tasks, 4))

    # -- level of care --------------------------------------------------------

    @command(lambda self, cmd: self._check_level(cmd))
    async def decide_level_of_care(self, cmd: LevelOfCareCommand) -> CommandResult:
        changed = LevelOfCareChanged(
            pathway_id=self.state.pathway_id,
            from_level=self.state.level_of_care,
            to_level=cmd.level,
            reason=cmd.reason.strip(),
            decided=True,
        )
        position = await self._record([changed], cmd.actor)
        self.state.level_of_care = cmd.level
        return self._done(position)

    def _check_level(self, cmd: LevelOfCareCommand) -> None:
        self._require_active()
        admitted = self.state.active_stay is not None
        try:
            ambulatory.check_level_decision(self.state.level_of_care, cmd.level, cmd.reason, admitted=admitted)
        except MoveRefused as exc:
            raise kit.refused(
                exc, details={"allowed": [level.value for level in ambulatory.DECIDABLE_LEVELS]}
            ) from None
