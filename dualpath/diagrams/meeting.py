"""A meeting on a pathway: called, scheduled, held or cancelled."""

from __future__ import annotations

from typing import get_args

from dualpath.diagrams.model import REASON, Builder, Process, has_members, is_allowed
from dualpath.domain import meeting_events as mev
from dualpath.domain import meetings as meeting_rules
from dualpath.workflows import meeting_messages

# The meeting workflow's commands and the status each leads to (MeetingWorkflow's updates).
_MEETING_COMMAND_STATUS = {"schedule": "scheduled", "record_held": "held", "cancel": "cancelled"}
_MEETING_COMMAND_EVENT = {
    "schedule": mev.MeetingScheduled,
    "record_held": mev.MeetingHeld,
    "cancel": mev.MeetingCancelled,
}


def build_meeting() -> Process:
    b = Builder(
        "meeting",
        "Møde (meeting): netværksmøde, samarbejdsmøde, opstartsmøde",
        "A meeting on a pathway (spec §3 phase 4, §4 discharge, §5): called (its hold-by date worked out in "
        "working days, invitations sent), scheduled and re-scheduled, then held or cancelled; the overdue timer "
        "fires when the hold-by date has passed. A held meeting tells the pathway (or, called for a discharge, the "
        "stay), which closes the task it fulfils.",
        (
            "dualpath/domain/meetings.py: MeetingStatus, OPEN, allowed_commands, check_cancel, "
            "HOLD_WITHIN_WORKING_DAYS, DANISH_NAMES",
            "dualpath/workflows/meeting.py: MeetingWorkflow (updates, timer)",
        ),
    )
    from dualpath.workflows import meeting as meeting_wf

    commands = get_args(meeting_rules.Command)
    statuses = get_args(meeting_rules.MeetingStatus)
    if set(commands) != set(_MEETING_COMMAND_STATUS) or not set(_MEETING_COMMAND_STATUS.values()) <= set(statuses):
        raise ValueError("the meeting commands or statuses changed: the meeting diagram needs updating")
    has_members(meeting_wf.MeetingWorkflow, commands)
    open_ = [s for s in statuses if s in meeting_rules.OPEN]
    closed = [s for s in statuses if s not in meeting_rules.OPEN]

    kinds = ", ".join(meeting_rules.DANISH_NAMES.values())
    b.add("start", "startEvent", f"called ({mev.MeetingCalled.__name__}): {kinds}")
    b.add(
        "hold_by",
        "serviceTask",
        f"working_day_deadline: hold_by = {meeting_rules.HOLD_WITHIN_WORKING_DAYS} arbejdsdage efter indkaldelsen",
        col=1,
    )
    b.add("invite", "serviceTask", f"send_notice: invitation pr. organisation ({mev.InvitationSent.__name__})", col=2)
    b.flow("start", "hold_by")
    b.flow("hold_by", "invite")
    sp = b.add("open", "subProcess", f"Åbent møde ({', '.join(open_)})", col=3)
    b.flow("invite", sp)
    b.add("open_start", "startEvent", "", parent=sp, col=3)
    b.flow("open_start", f"status_{open_[0]}")
    end_col = 4 + 2 * len(open_)
    for i, status in enumerate(closed):
        # Each end in a column of its own, so the routes that come down into it do not overlap.
        b.add(f"end_{status}", "endEvent", status, parent=sp, col=end_col + i, row=i + 1)
    end_col += len(closed) - 1
    for i, status in enumerate(open_):
        gw = b.add(f"status_{status}", "eventBasedGateway", status, parent=sp, col=4 + 2 * i)
        allowed = meeting_rules.allowed_commands(status)
        sign = 1 if i % 2 == 0 else -1
        # The command that leads on to the next open status stays on the main row.
        ahead = [c for c in allowed if _MEETING_COMMAND_STATUS[c] in open_[i + 1 :]]
        order = ahead + [c for c in allowed if c not in ahead]
        for j, command in enumerate(order):
            to = _MEETING_COMMAND_STATUS[command]
            catch = b.message_catch(
                f"{status}_{command}",
                f"{command} ({_MEETING_COMMAND_EVENT[command].__name__})",
                command,
                parent=sp,
                col=5 + 2 * i,
                row=sign * j,
            )
            needs = not is_allowed(meeting_rules.check_cancel, status, None) if command == "cancel" else False
            b.flow(gw, catch, f"{command} ({REASON})" if needs else command, emphasis=needs)
            b.flow(catch, f"status_{to}" if to in open_ else f"end_{to}")
    b.due_timer("overdue", "hold_by passeret", sp, ("timeDate", "midnight after hold_by (Europe/Copenhagen)"))
    overdue = mev.MeetingOverdue.__name__
    b.escalation("end_overdue", f"{overdue} (Overdue)", overdue, band=1, col=5)
    b.flow("overdue", "end_overdue")
    gw_out = b.add("gw_outcome", "exclusiveGateway", "Holdt eller aflyst?", col=end_col + 1)
    b.flow(sp, gw_out)
    for i, status in enumerate(closed):
        row = i - (len(closed) - 1) / 2
        target = b.add(f"done_{status}", "endEvent", status, col=end_col + 3, row=row)
        if status == "held":
            told = b.add(
                "tell_pathway",
                "intermediateThrowEvent",
                f"{meeting_messages.MEETING_HELD_SIGNAL} til forløbet, eller til indlæggelsen ved udskrivelse "
                "(lukker opgaven)",
                event="signal",
                ref=meeting_messages.MEETING_HELD_SIGNAL,
                col=end_col + 2,
                row=row,
            )
            b.flow(gw_out, told, status, condition=f"status == '{status}'")
            b.flow(told, target)
        else:
            b.flow(gw_out, target, status, condition=f"status == '{status}'")
    return b.build()


# -- the cross-sector transition (spec §5) --------------------------------------------
