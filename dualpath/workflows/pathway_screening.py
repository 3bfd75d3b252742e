"""Scored screening instruments on the pathway (issue #15 item 6): AUDIT (alcohol) and DUDIT (drugs).

A mixin of the pathway's workflow: `record_screening` validates the answers and scores them by the
instrument's published rule (domain/screening.py), then records `ScreeningRecorded` in the pathway's stream
(instrument, version, answers as codes, total, zone, and the rule applied). It changes nothing else on the
pathway. Answers that cannot be scored (an item missing, answered twice, or with a value the item does not
allow) are refused as invalid data (422 through the API) and nothing is recorded. A new update: no history
recorded before it holds it, so it needs no `workflow.patched`.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import copenhagen, screening
    from dualpath.domain.events import ScreeningRecorded
    from dualpath.workflows import kit
    from dualpath.workflows.kit import command
    from dualpath.workflows.pathway_messages import CommandResult, ScreeningCommand
    from dualpath.workflows.pathway_part import PathwayPart


def _scored(cmd: ScreeningCommand) -> screening.Score:
    return screening.score(cmd.instrument, [(a.item, a.answer) for a in cmd.answers], cmd.cutoff_sex)


class ScreeningCommands(PathwayPart):
    """The update `record_screening`, for the pathway's workflow to inherit."""

    @command(lambda self, cmd: self._check_screening(cmd))
    async def record_screening(self, cmd: ScreeningCommand) -> CommandResult:
        scored = _scored(cmd)
        recorded = ScreeningRecorded(
            pathway_id=self.state.pathway_id,
            screening_id=str(workflow.uuid4()),
            instrument=scored.instrument,
            version=scored.version,
            screened_on=cmd.screened_on,
            answers=tuple(sorted(cmd.answers, key=lambda a: a.item)),
            total=scored.total,
            zone=scored.zone,
            rule=scored.rule,
            cutoff_sex=cmd.cutoff_sex,
        )
        return self._done(await self._record([recorded], cmd.actor))

    def _check_screening(self, cmd: ScreeningCommand) -> None:
        self._require_active()
        today = copenhagen.local_date(workflow.now())
        if cmd.screened_on > today:
            raise kit.refused(
                ValueError(f"a screening on {cmd.screened_on.isoformat()} is in the future: at the latest {today}"),
                type="InvalidData",
            )
        try:
            _scored(cmd)
        except screening.ScreeningRefused as exc:
            raise kit.refused(exc, type="InvalidData") from None
