"""Relatives (pårørende) on the pathway (issue #15 item 4), for the pathway's workflow.

A mixin of the pathway's workflow: `add_relative` records `RelativeAdded`, `remove_relative` `RelativeRemoved`, in
the pathway's stream, so that the pathway's history says when a relative was named and removed, and by whom. Only
the pseudonymous relative id and the kind of relation enter Temporal: the API has written the name and how to
reach them to the register table `relatives` (as the CPR number to `patients`) and checked there that the relative
is (or is not yet) on this pathway. New updates: no history recorded before them holds them, so they need no
`workflow.patched`.

Why through the workflow at all: it is the one writer of the pathway's stream (the stream's order is the
workflow's order), and a relative's coming and going belongs in the pathway's record beside the consents that name
them; the register alone would leave the record silent about it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain.events import RelativeAdded, RelativeRemoved
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import CommandResult, RelativeCommand
    from dualpath.workflows.pathway_part import PathwayPart


class RelativeCommands(PathwayPart):
    """The updates `add_relative` and `remove_relative`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._require_active())
    async def add_relative(self, cmd: RelativeCommand) -> CommandResult:
        added = RelativeAdded(pathway_id=self.state.pathway_id, relative_id=cmd.relative_id, relation=cmd.relation)
        return self._done(await self._record([added], cmd.actor))

    @command(lambda self, cmd: self._require_active())
    async def remove_relative(self, cmd: RelativeCommand) -> CommandResult:
        removed = RelativeRemoved(pathway_id=self.state.pathway_id, relative_id=cmd.relative_id, relation=cmd.relation)
        return self._done(await self._record([removed], cmd.actor))
