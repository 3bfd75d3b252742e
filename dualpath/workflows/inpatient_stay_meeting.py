"""The meeting before discharge (spec §4; issue #18 item 1), for the stay's workflow.

A stay of at least `longer_admission_days` (a setting) ends with a network meeting, a shorter one with at least
a conversation about the transition. Phase 4 opens the task the length so far calls for; a discharge plan judges
the length at its date and opens the task it calls for (cancelling the other); a network meeting called for the
stay's discharge closes the task when held (signal `meeting_held`). A discharge whose meeting was not held is
refused unless the reason is recorded. Behind the patch DISCHARGE_MEETING: recorded stays replay as they ran.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath.domain import discharge as discharge_rules
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.discharge import DischargeAdvice
    from dualpath.domain.events import Actor, DomainEvent, TaskCancelled, TaskCompleted, TaskOpened
    from dualpath.domain.tasks import Task
    from dualpath.workflows import kit
    from dualpath.workflows.inpatient_stay_messages import DischargeCommand, StayInput, StayResult, StayState
    from dualpath.workflows.meeting_messages import MEETING_HELD_SIGNAL, MeetingHeldSignal

# The meeting before discharge (issue #18 item 1): judged by the plan with the setting, closed by the held
# discharge meeting, and a discharge without it needs the reason.
DISCHARGE_MEETING = "discharge-meeting-by-plan"
# The meeting tasks of phase 4 and the catalogue condition that opens each.
MEETING_TASKS = {"network_meeting": "longer_admission", "transition_conversation": "short_admission"}


class DischargeMeeting(kit.Process):
    """The discharge meeting's signal and rules, for the stay's workflow to inherit."""

    state: StayState
    _in: StayInput

    def _whose(self) -> dict[str, str]:
        raise NotImplementedError

    def _done(self, position: int, **extra: Any) -> StayResult:
        raise NotImplementedError

    def _opened(self, t: Task) -> TaskOpened:
        raise NotImplementedError

    @workflow.signal(name=MEETING_HELD_SIGNAL)
    async def meeting_held(self, held: MeetingHeldSignal) -> None:
        """The discharge's network meeting was held: it does for the conversation about the transition too."""
        async with self.one_at_a_time():
            if held.kind != "network_meeting" or self.state.status != "admitted":
                return
            note = f"meeting {held.meeting_id} held on {held.held_on.isoformat()}"
            closing = [t for t in self._open_tasks() if t.kind in MEETING_TASKS]
            if closing:
                await self._record(
                    [TaskCompleted(task_id=t.task_id, outcome="done", note=note) for t in closing], Actor.engine()
                )
                for t in closing:
                    t.state, t.outcome_note = "done", note
            self.state.meetings_held.append("network_meeting")
            self._done(0)

    def _meeting_task_for(self, advice: DischargeAdvice) -> tuple[list[DomainEvent], list[TaskCancelled]]:
        """In phase 4 the plan opens the meeting task it calls for (unless held already) and cancels the other."""
        wanted = advice.meeting
        other = [t for t in self._open_tasks() if t.kind in MEETING_TASKS and t.kind != wanted]
        cancelled = [
            TaskCancelled(
                task_id=t.task_id,
                reason=f"the discharge plan for {advice.planned_date} (a stay of {advice.length_of_stay_days} days) "
                f"calls for {wanted} instead",
            )
            for t in other
        ]
        if self._meeting_held(wanted) or any(t.kind == wanted for t in self._open_tasks()):
            return [], cancelled
        activities = load_catalogue(self._in.catalogue_version).mandatory("inpatient", 4)
        activity = [a for a in activities if a.key == wanted]
        where = {"region": self._in.region, "municipality": self._in.municipality, **self._whose()}
        return self._enter_phase(4, activity, **where), cancelled

    def _required_meeting(self, on: date) -> str:
        """The meeting a discharge on `on` calls for: the plan's judgment once planned (the length of stay at
        the planned date against the setting), else the length of stay by `on`."""
        if self.state.planned_discharge is not None:
            return self.state.planned_discharge.meeting
        longer = (on - self._in.admitted_on).days >= self._in.longer_admission_days
        return "network_meeting" if longer else "transition_conversation"

    def _meeting_held(self, meeting: str) -> bool:
        held = self.state.meetings_held
        return meeting in held or (meeting == "transition_conversation" and "network_meeting" in held)

    def _check_meeting(self, cmd: DischargeCommand) -> dict[str, Any]:
        """The meeting the discharge calls for, held or not; refused when not held and no reason is on record."""
        required = self._required_meeting(cmd.discharged_on)
        if self._meeting_held(required):
            return {"required_meeting": required, "meeting_held": True}
        reason = (cmd.meeting_reason or "").strip() or self.state.meetings_not_held.get(required)
        if not reason:
            message = discharge_rules.meeting_missing(required, self._in.longer_admission_days)
            raise ApplicationError(message, type="CommandRefused")
        return {"required_meeting": required, "meeting_held": False, "meeting_not_held_reason": reason}
