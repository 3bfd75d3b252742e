"""What the parts of the pathway's workflow (admissions, the §82c clock, medication, joint plans, acute contacts)
rely on it for: its state, the check that it is active, and the answer to a command. Each part is a mixin of
`PathwayWorkflow`, which gives these."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.workflows import kit
    from dualpath.workflows.pathway_messages import CommandResult, PathwayState


class PathwayPart(kit.Process):
    state: PathwayState

    def _require_active(self) -> None:
        raise NotImplementedError

    def _done(self, position: int | None) -> CommandResult:
        raise NotImplementedError
