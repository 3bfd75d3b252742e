"""Process diagrams drawn from the tables the workflows execute.

`mermaid(process)` and `bpmn(process)` render a process in `PROCESSES`; both are
pure and deterministic, so the generated files under `docs/diagrams/` can be
compared with the code (tests/docs). Nothing here restates a table: phases,
allowed moves, which move needs a reason, the ends, the mandatory activities
of the catalogue, timers and statuses are read from the modules the workflows
use, so changing one of them changes the diagrams.

Each process is one builder function returning a `Process` (BPMN-like nodes
and sequence flows on a grid); the two renderers draw any `Process`. A new
process is one more builder in `_BUILDERS`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, get_args

from dualpath.domain import ambulatory, inpatient
from dualpath.domain import campaign as campaign_rules
from dualpath.domain import campaign_events as cev
from dualpath.domain import catalogue as catalogue_module
from dualpath.domain import events as ev
from dualpath.domain import meeting_events as mev
from dualpath.domain import meetings as meeting_rules
from dualpath.domain import referral_rules
from dualpath.domain import transition as transition_rules
from dualpath.domain import transition_events as tev
from dualpath.workflows import campaign as campaign_wf
from dualpath.workflows import inpatient_stay, meeting_messages, pathway, referral
from dualpath.workflows import transition as transition_wf

# The processes of the spec not built yet (a later issue); listed in docs/diagrams/README.md.
STILL_TO_COME: dict[str, str] = {}

# Discharge happens from the last phase of the stay (InpatientStayWorkflow._check_discharge;
# tests/docs checks that the workflow agrees).
DISCHARGE_PHASE = max(inpatient.PHASE_NAMES)

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
REASON = "begrundelse kræves"


def phase_id(number: int) -> str:
    """The id of a phase (a BPMN subProcess, a Mermaid subgraph)."""
    return f"fase_{number}"


def move_gateway_id(number: int) -> str:
    """The id of the gateway that chooses the way out of a phase (when there is more than one)."""
    return f"gw_fase_{number}"


def task_id(number: int, activity_key: str) -> str:
    return f"{phase_id(number)}_{activity_key}"


# -- the model ---------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A BPMN flow node; `kind` is its BPMN element name (userTask, exclusiveGateway, …)."""

    id: str
    kind: str
    name: str
    col: float = 0
    row: float = 0
    band: int = 0  # top-level nodes: bands are laid out one below the other
    parent: str | None = None  # the subProcess it is in
    event: str | None = None  # timer | message | signal | escalation
    attached_to: str | None = None  # boundary events
    interrupting: bool = True
    timer: tuple[str, str] | None = None  # (timeDate | timeDuration, expression)
    side: str = "bottom"  # where a boundary event sits on its host: bottom | right
    detail: tuple[str, ...] = ()  # extra lines (due days, owner, condition)
    triggered_by_event: bool = False  # an event subProcess
    called: str | None = None  # callActivity: the process it starts
    ref: str | None = None  # the message, signal or escalation an event names


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None
    emphasis: bool = False  # a move that needs a reason


@dataclass(frozen=True)
class Process:
    key: str
    title: str
    summary: str
    sources: tuple[str, ...]
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]

    @property
    def process_id(self) -> str:
        return f"Process_{self.key}"

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)


class _Builder:
    def __init__(self, key: str, title: str, summary: str, sources: tuple[str, ...]):
        self.key, self.title, self.summary, self.sources = key, title, summary, sources
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []

    def add(self, node_id: str, kind: str, name: str, **kw) -> str:
        if not _NCNAME.match(node_id):
            raise ValueError(f"{node_id!r} is not a valid id (NCName)")
        if node_id in self.nodes:
            raise ValueError(f"duplicate node id {node_id!r} in {self.key}")
        self.nodes[node_id] = Node(id=node_id, kind=kind, name=name, **kw)
        return node_id

    def flow(self, source: str, target: str, name: str = "", **kw) -> str:
        base = f"flow_{source}_to_{target}"
        flow_id, n = base, 1
        while any(f.id == flow_id for f in self.flows):
            n += 1
            flow_id = f"{base}_{n}"
        self.flows.append(Flow(id=flow_id, source=source, target=target, name=name, **kw))
        return flow_id

    def build(self) -> Process:
        for f in self.flows:
            for end in (f.source, f.target):
                if end not in self.nodes:
                    raise ValueError(f"flow {f.id} names unknown node {end!r}")
        return Process(self.key, self.title, self.summary, self.sources, tuple(self.nodes.values()),
                       tuple(self.flows))


def _has(cls: type, member: str) -> str:
    """A workflow's update or signal handler by name; fails loudly when the code renames it."""
    if not hasattr(cls, member):
        raise AttributeError(f"{cls.__name__} has no {member!r}: the diagram builder needs updating")
    return member


# -- phases (shared by the ambulatory pathway and the inpatient stay) ------------------


def _phase_blocks(b: _Builder, kind: str, names: dict[int, str], col0: float) -> dict[int, float]:
    """One subProcess per phase holding a userTask per mandatory activity, each with its
    non-interrupting overdue timer. Returns the column of each phase."""
    catalogue = catalogue_module.load_catalogue()
    cols: dict[int, float] = {}
    col = col0
    for number in sorted(names):
        sid = b.add(phase_id(number), "subProcess", f"{number} {names[number]}", col=col, row=0,
                    detail=(f"katalog {catalogue.version}",))
        cols[number] = col
        activities = catalogue.mandatory(kind, number)
        k = len(activities)
        overdue = f"{sid}_overdue"
        for i, a in enumerate(activities):
            detail = [f"frist {_days(a.due_days)} · {a.owner_role}"]
            if a.condition:
                detail.append(f"kun når: {a.condition}")
            tid = b.add(task_id(number, a.key), "userTask", a.name_da, parent=sid, col=col, row=i - (k - 1) / 2,
                        detail=tuple(detail))
            boundary = b.add(f"{tid}_timer", "boundaryEvent", f"forfalden efter {_days(a.due_days)}",
                             parent=sid, attached_to=tid, event="timer", interrupting=False, side="right",
                             timer=("timeDuration", f"P{a.due_days + 1}D"))
            b.flow(boundary, overdue)
        if activities:
            b.add(overdue, "endEvent", f"Opgave forfalden: {ev.TaskOverdue.__name__} (Overdue)", parent=sid,
                  event="escalation", ref=ev.TaskOverdue.__name__, col=col + 1, row=(k - 1) / 2 + 0.5)
        col += 3
    return cols


def _phase_exits(b: _Builder, number: int, col: float, exits: list[tuple[str, str, str | None, bool]]) -> None:
    """The way out of a phase once its mandatory tasks are closed: straight on, or an
    exclusive gateway when there is a choice. `exits`: (target, name, condition, reason)."""
    source = phase_id(number)
    if len(exits) > 1:
        source = b.add(move_gateway_id(number), "exclusiveGateway", f"Ud af fase {number}?", col=col + 2)
        b.flow(phase_id(number), source)
    for target, name, condition, reason in exits:
        b.flow(source, target, f"{name} ({REASON})" if reason else name,
               condition=condition if len(exits) > 1 else None, emphasis=reason)


def _move_exits(moves: list[ambulatory.AllowedMove]) -> list[tuple[str, str, str | None, bool]]:
    return [
        (phase_id(m.to), f"→ {m.to} {m.name}", f"move_phase(to={m.to}{', reason' if m.reason_required else ''})",
         m.reason_required)
        for m in moves
    ]


# -- the processes -----------------------------------------------------------------


def _ambulatory() -> Process:
    b = _Builder(
        "ambulatory",
        "Ambulant forløb (ambulatory pathway), fase 1–4",
        "The ambulatory pathway (spec §3): each phase with the mandatory activities (skal-aktiviteter) "
        "that become staff tasks and gate leaving it, each task's overdue timer, the allowed moves "
        f"(those marked '{REASON}' need a reason), the planned closure, the unplanned end from any phase, "
        "and admission to an inpatient stay in any phase.",
        ("dualpath/domain/ambulatory.py: PHASE_NAMES, ALLOWED_MOVES, allowed_moves, check_end, EndReason, "
         "PLANNED_ENDS, LEVEL_AFTER_END",
         "dualpath/domain/catalogue.py: load_catalogue().mandatory('ambulatory', phase)",
         "dualpath/workflows/pathway.py: PathwayWorkflow (updates, first phase)"),
    )
    wf = pathway.PathwayWorkflow
    first = pathway.PathwayState.model_fields["phase"].default
    b.add("start", "startEvent", f"Henvisning accepteret: forløbet starter i fase {first}",
          detail=(ev.PathwayStarted.__name__,))
    cols = _phase_blocks(b, "ambulatory", ambulatory.PHASE_NAMES, col0=1)
    b.flow("start", phase_id(first))
    last_col = max(cols.values()) + 3

    end_update = _has(wf, "end_pathway")
    unplanned: dict[int, list[str]] = {}
    planned_ends: list[ambulatory.EndReason] = []
    for number in sorted(ambulatory.PHASE_NAMES):
        exits = _move_exits(ambulatory.allowed_moves(number))
        for reason in ambulatory.EndReason:
            if not _allowed(ambulatory.check_end, number, reason, "a reason"):
                continue
            if reason in ambulatory.PLANNED_ENDS:
                level = ambulatory.LEVEL_AFTER_END.get(reason)
                end = f"end_{reason.value}"
                if end not in b.nodes:
                    planned_ends.append(reason)
                    b.add(end, "endEvent", f"Planlagt afslutning: {reason.value}"
                          + (f" (→ {level.value})" if level else ""), col=last_col,
                          detail=(ev.PathwayEnded.__name__,))
                needs = not _allowed(ambulatory.check_end, number, reason, None)
                exits.append((end, reason.value, f"{end_update}({reason.value})", needs))
            else:
                unplanned.setdefault(number, []).append(reason.value)
        _phase_exits(b, number, cols[number], exits)
    for i, reason in enumerate(planned_ends):
        b.nodes[f"end_{reason.value}"] = _moved(b.nodes[f"end_{reason.value}"], row=i - (len(planned_ends) - 1) / 2)

    if unplanned:
        reasons = [r.value for r in ambulatory.EndReason if any(r.value in rs for rs in unplanned.values())]
        needs = any(not _allowed(ambulatory.check_end, n, ambulatory.EndReason(r), None)
                    for n, rs in unplanned.items() for r in rs)
        b.add("end_unplanned", "endEvent", f"Uplanlagt afslutning: {', '.join(reasons)}", band=1, col=last_col,
              detail=(ev.PathwayEnded.__name__, "åbne opgaver annulleres"))
        for number in sorted(unplanned):
            boundary = b.add(f"{phase_id(number)}_unplanned", "boundaryEvent",
                             f"{end_update}: uplanlagt" + (f" ({REASON})" if needs else ""),
                             attached_to=phase_id(number), event="message", ref=end_update)
            b.flow(boundary, "end_unplanned")

    admit = _has(wf, "admit")
    discharged = _has(wf, "stay_discharged")
    b.add("admission", "subProcess", "Indlæggelse (i enhver fase; forløbet fortsætter)", band=2,
          triggered_by_event=True, col=1)
    b.add("admission_start", "startEvent", f"{admit}: indlæggelse", parent="admission", event="message", ref=admit,
          interrupting=False, col=1)
    b.add("admission_stay", "callActivity", f"Indlæggelse ({inpatient_stay.InpatientStayWorkflow.__name__})",
          parent="admission", col=2, called="Process_inpatient",
          detail=(f"niveau: {ambulatory.LevelOfCare.inpatient.value}",))
    b.add("admission_end", "endEvent", f"{discharged}: niveauet vender tilbage", parent="admission", col=3)
    b.flow("admission_start", "admission_stay")
    b.flow("admission_stay", "admission_end")
    return b.build()


def _inpatient() -> Process:
    b = _Builder(
        "inpatient",
        "Indlæggelse (inpatient stay), fase 1–4",
        "The inpatient stay (spec §4): each phase with its mandatory activities (some only when a "
        "condition holds), each task's overdue timer, the allowed moves, discharge from phase "
        f"{DISCHARGE_PHASE}, and the follow-up tasks after discharge; the stay ends when they are closed.",
        ("dualpath/domain/inpatient.py: PHASE_NAMES, ALLOWED_MOVES, allowed_moves, FOLLOW_UP_TITLES",
         "dualpath/domain/catalogue.py: load_catalogue().mandatory('inpatient', phase)",
         "dualpath/workflows/inpatient_stay.py: InpatientStayWorkflow (updates, signals)"),
    )
    wf = inpatient_stay.InpatientStayWorkflow
    first = min(inpatient.PHASE_NAMES)
    admit = _has(pathway.PathwayWorkflow, "admit")
    b.add("start", "startEvent", f"{admit}: indlagt fra det ambulante forløb", event="message", ref=admit,
          detail=(ev.AdmissionStarted.__name__,))
    cols = _phase_blocks(b, "inpatient", inpatient.PHASE_NAMES, col0=1)
    b.flow("start", phase_id(first))
    discharge = _has(wf, "discharge")
    col = max(cols.values()) + 3
    b.add("discharged", "intermediateThrowEvent",
          f"Udskrevet ({ev.PatientDischarged.__name__}); {inpatient_stay.STAY_DISCHARGED_SIGNAL} til forløbet",
          event="signal", ref=inpatient_stay.STAY_DISCHARGED_SIGNAL, col=col)
    for number in sorted(inpatient.PHASE_NAMES):
        exits = _move_exits(inpatient.allowed_moves(number))
        if number == DISCHARGE_PHASE:
            exits.append(("discharged", discharge, f"{discharge}(discharged_on)", False))
        _phase_exits(b, number, cols[number], exits)

    fu = b.add("follow_up", "subProcess", "Opfølgning efter udskrivelse", col=col + 1)
    b.add("follow_up_start", "startEvent", "", parent=fu, col=col + 1)
    b.add("follow_up_split", "inclusiveGateway", "Efter udskrivelsesdag og ambulant forløb", parent=fu,
          col=col + 2)
    b.add("follow_up_join", "inclusiveGateway", "", parent=fu, col=col + 5)
    b.add("follow_up_done", "endEvent", "Opfølgning lukket", parent=fu, col=col + 6)
    b.flow("follow_up_start", "follow_up_split")
    k = len(inpatient.FOLLOW_UP_TITLES)
    for i, (kind, title) in enumerate(inpatient.FOLLOW_UP_TITLES.items()):
        tid = b.add(f"follow_up_{kind}", "userTask", title, parent=fu, col=col + 3, row=i - (k - 1) / 2,
                    detail=(kind,))
        boundary = b.add(f"{tid}_timer", "boundaryEvent", "forfalden", parent=fu, attached_to=tid, event="timer",
                         interrupting=False, side="right", timer=("timeDate", "midnight after due (Europe/Copenhagen)"))
        b.flow("follow_up_split", tid)
        b.flow(tid, "follow_up_join")
        b.flow(boundary, "follow_up_overdue")
    b.add("follow_up_overdue", "endEvent", f"Opgave forfalden: {ev.TaskOverdue.__name__} (Overdue)", parent=fu,
          event="escalation", ref=ev.TaskOverdue.__name__, col=col + 4, row=(k - 1) / 2 + 0.5)
    b.flow("follow_up_join", "follow_up_done")
    b.add("stay_end", "endEvent", f"Opholdet afsluttet ({ev.StayEnded.__name__})", col=col + 7)
    b.flow("discharged", fu)
    b.flow(fu, "stay_end")
    return b.build()


_REFERRAL_INITIAL = ("not_eligible", "attached", "held_until_phase_in", "awaiting_visitation")


def _referral() -> Process:
    b = _Builder(
        "referral",
        "Henvisning (referral) til visitation",
        "A referral from receipt to psychiatry's decision (spec §1): the assessment on receipt (not eligible, "
        "attached to an open pathway, held until the target group is phased in, or awaiting visitation), the "
        "timer that releases a held referral on the opening date, the §82c timers that warn before the start "
        "deadline and escalate when it passes, and the decision gateway.",
        ("dualpath/workflows/referral.py: ReferralWorkflow, ReferralStatus, ReferralInput (timer fields)",
         "dualpath/domain/referral_rules.py: start_deadline, WARN_DAYS_BEFORE_DEADLINE"),
    )
    from dualpath.domain.referral_rules import WARN_DAYS_BEFORE_DEADLINE

    statuses = get_args(referral.ReferralStatus)
    for status in (*_REFERRAL_INITIAL, "accepted", "declined"):
        if status not in statuses:
            raise ValueError(f"ReferralStatus has no {status!r}: the referral diagram needs updating")
    fields = referral.ReferralInput.model_fields
    timer_field = {name: _field(fields, name) for name in ("release_at", "warn_at", "deadline_at")}
    days = inspect.signature(referral_rules.start_deadline).parameters["days"].default
    wf = referral.ReferralWorkflow
    decide = _has(wf, "decide")

    b.add("start", "startEvent", f"Henvisning modtaget ({ev.ReferralReceived.__name__})")
    b.add("gw_assess", "exclusiveGateway", "Vurdering ved modtagelse", col=1)
    b.flow("start", "gw_assess")
    b.add("end_not_eligible", "endEvent", "not_eligible: ikke visiteret (årsagerne nævnes)", col=2.5, row=1)
    b.add("end_attached", "endEvent", f"attached ({ev.ReferralAttached.__name__}): knyttet til åbent forløb",
          col=2.5, row=2)
    b.add("held", "intermediateCatchEvent", f"held_until_phase_in: målgruppen åbner ({ev.ReferralReleased.__name__})",
          event="timer", timer=("timeDate", timer_field["release_at"]), col=2.5, row=-1)
    b.add("decide", "userTask", f"awaiting_visitation: visitationens beslutning ({decide})", col=4,
          detail=(f"start senest {days} dage efter modtagelsen (sundhedslovens §82c)",))
    b.flow("gw_assess", "end_not_eligible", "not_eligible", condition="status == 'not_eligible'")
    b.flow("gw_assess", "end_attached", "attached", condition="status == 'attached'")
    b.flow("gw_assess", "held", "held_until_phase_in", condition="status == 'held_until_phase_in'")
    b.flow("gw_assess", "decide", "awaiting_visitation", condition="status == 'awaiting_visitation'")
    b.flow("held", "decide", "frigivet")
    # The deadline boundary is first (leftmost) and its end lowest, so the two routes do not cross.
    b.add("deadline", "boundaryEvent", f"§82c-fristen ({days} dage) overskredet", attached_to="decide",
          event="timer", interrupting=False, timer=("timeDate", timer_field["deadline_at"]))
    b.add("warn", "boundaryEvent", f"{WARN_DAYS_BEFORE_DEADLINE} dage før fristen", attached_to="decide",
          event="timer", interrupting=False, timer=("timeDate", timer_field["warn_at"]))
    b.add("end_deadline", "endEvent",
          f"{ev.ReferralDeadlinePassed.__name__}: opgave til visitationen (Overdue)", event="escalation",
          ref=ev.ReferralDeadlinePassed.__name__, col=5, row=2.2)
    b.add("end_warned", "endEvent", f"{ev.ReferralDeadlineApproaching.__name__}: advarsel", col=5, row=1.2)
    b.flow("deadline", "end_deadline")
    b.flow("warn", "end_warned")
    b.add("gw_decision", "exclusiveGateway", "Beslutning", col=5)
    b.flow("decide", "gw_decision")
    b.add("end_accepted", "endEvent",
          f"accepted ({ev.ReferralAccepted.__name__}): ambulant forløb startes ({pathway.PathwayWorkflow.__name__})",
          event="message", ref=pathway.PathwayWorkflow.__name__, col=6, row=-0.5)
    b.add("end_declined", "endEvent",
          f"declined ({ev.ReferralDeclined.__name__}): {ambulatory.LevelOfCare.coordinated.value} behandling",
          col=6, row=0.5)
    b.flow("gw_decision", "end_accepted", "accept", condition=f"{decide}(accept=true)")
    b.flow("gw_decision", "end_declined", f"decline ({REASON})", condition=f"{decide}(accept=false, reason)",
           emphasis=True)
    return b.build()


# The meeting workflow's commands and the status each leads to (MeetingWorkflow's updates).
_MEETING_COMMAND_STATUS = {"schedule": "scheduled", "record_held": "held", "cancel": "cancelled"}
_MEETING_COMMAND_EVENT = {"schedule": mev.MeetingScheduled, "record_held": mev.MeetingHeld,
                          "cancel": mev.MeetingCancelled}


def _meeting() -> Process:
    b = _Builder(
        "meeting",
        "Møde (meeting): netværksmøde, samarbejdsmøde, opstartsmøde",
        "A meeting on a pathway (spec §3 phase 4, §4 discharge, §5): called (its hold-by date worked out in "
        "working days, invitations sent), scheduled and re-scheduled, then held or cancelled; the overdue timer "
        "fires when the hold-by date has passed. A held meeting tells the pathway, which closes the task it "
        "fulfils.",
        ("dualpath/domain/meetings.py: MeetingStatus, OPEN, allowed_commands, check_cancel, "
         "HOLD_WITHIN_WORKING_DAYS, DANISH_NAMES",
         "dualpath/workflows/meeting.py: MeetingWorkflow (updates, timer)"),
    )
    from dualpath.workflows import meeting as meeting_wf

    wf = meeting_wf.MeetingWorkflow
    commands = get_args(meeting_rules.Command)
    statuses = get_args(meeting_rules.MeetingStatus)
    if set(commands) != set(_MEETING_COMMAND_STATUS) or not set(_MEETING_COMMAND_STATUS.values()) <= set(statuses):
        raise ValueError("the meeting commands or statuses changed: the meeting diagram needs updating")
    for command in commands:
        _has(wf, command)
    open_ = [s for s in statuses if s in meeting_rules.OPEN]
    closed = [s for s in statuses if s not in meeting_rules.OPEN]

    kinds = ", ".join(meeting_rules.DANISH_NAMES.values())
    b.add("start", "startEvent", f"called ({mev.MeetingCalled.__name__}): {kinds}")
    b.add("hold_by", "serviceTask",
          f"working_day_deadline: hold_by = {meeting_rules.HOLD_WITHIN_WORKING_DAYS} arbejdsdage efter indkaldelsen",
          col=1)
    b.add("invite", "serviceTask", f"send_notice: invitation pr. organisation ({mev.InvitationSent.__name__})",
          col=2)
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
        ahead = [c for c in allowed if _MEETING_COMMAND_STATUS[c] in open_[i + 1:]]
        order = ahead + [c for c in allowed if c not in ahead]
        for j, command in enumerate(order):
            to = _MEETING_COMMAND_STATUS[command]
            catch = b.add(f"{status}_{command}", "intermediateCatchEvent",
                          f"{command} ({_MEETING_COMMAND_EVENT[command].__name__})", parent=sp, event="message",
                          col=5 + 2 * i, row=sign * j, ref=command)
            needs = not _allowed(meeting_rules.check_cancel, status, None) if command == "cancel" else False
            b.flow(gw, catch, f"{command} ({REASON})" if needs else command, emphasis=needs)
            b.flow(catch, f"status_{to}" if to in open_ else f"end_{to}")
    b.add("overdue", "boundaryEvent", "hold_by passeret", attached_to=sp, event="timer", interrupting=False,
          timer=("timeDate", "midnight after hold_by (Europe/Copenhagen)"))
    b.add("end_overdue", "endEvent", f"{mev.MeetingOverdue.__name__} (Overdue)", event="escalation",
          ref=mev.MeetingOverdue.__name__, band=1, col=5)
    b.flow("overdue", "end_overdue")
    gw_out = b.add("gw_outcome", "exclusiveGateway", "Holdt eller aflyst?", col=end_col + 1)
    b.flow(sp, gw_out)
    for i, status in enumerate(closed):
        row = i - (len(closed) - 1) / 2
        target = b.add(f"done_{status}", "endEvent", status, col=end_col + 3, row=row)
        if status == "held":
            told = b.add("tell_pathway", "intermediateThrowEvent",
                         f"{meeting_messages.MEETING_HELD_SIGNAL} til forløbet (lukker opgaven)", event="signal",
                         ref=meeting_messages.MEETING_HELD_SIGNAL, col=end_col + 2, row=row)
            b.flow(gw_out, told, status, condition=f"status == '{status}'")
            b.flow(told, target)
        else:
            b.flow(gw_out, target, status, condition=f"status == '{status}'")
    return b.build()


# -- the cross-sector transition (spec §5) --------------------------------------------

# Marks on the diagrams of the transition: a step that reaches the patient, and the rule that refuses it
# before the parties agree (seed 002, principle 3).
PATIENT_FACING_MARK = "patientrettet"
NOT_BEFORE_AGREEMENT = "patienten inddrages ikke før enighed"
NOT_BEFORE_ASSESSMENT = "patienten inddrages først efter psykiatriens vurdering"  # the no-consent branch
# The steps staff take in any open state (extra tasks), drawn once in an event sub-process.
TRANSITION_FINAL_STATES = ("closure_awaited", "completed")


def transition_node_id(branch: str, state: str, settled: str | None = None) -> str:
    """The user task of a state of the transition (split by what was settled where that changes the steps)."""
    return f"{branch}_{state}" + (f"_{settled}" if settled else "")


def _literal(model: type, name: str) -> tuple[str, ...]:
    """The values a Literal field of a command model takes."""
    values = get_args(model.model_fields[name].annotation)
    if not values:
        raise ValueError(f"{model.__name__}.{name} is not a Literal: the transition diagram needs updating")
    return values


def _transition_next(s, command: str) -> list[tuple[str, object]]:
    """What a step leads to, as the workflow's update applies it: (label, next Situation or 'complete')."""
    T = transition_rules
    same = [(command, s)]
    at = lambda state, **kw: s.model_copy(update={"state": state, **kw})  # noqa: E731
    if command == "assess":
        return [(command, at("assessed" if s.branch == "dialogue" else "assessed_alone"))]
    if command == "record_agreement":
        return [(f"{command}(on={on})", at("agreed", settled=on)) for on in _literal(T.Agreement, "on")]
    if command == "record_disagreement":
        return [(command, at("disagreed"))]
    if command == "record_collaboration_meeting":
        out = []
        for outcome in _literal(T.CollaborationMeeting, "outcome"):
            if outcome == "agree":
                out += [(f"{command}({outcome}, {on})", at("agreed", settled=on))
                        for on in _literal(T.CollaborationMeeting, "agreed_on")]
            else:
                out.append((f"{command}({outcome})", at("collaboration_meeting_held")))
        return out
    if command == "psychiatry_decides":
        return [(f"{command}({d})", at("psychiatry_decided", settled=d))
                for d in _literal(T.PsychiatryDecision, "decision")]
    if command == "record_who_says_what":
        return [(command, at("who_says_what_agreed"))]
    if command == "call_network_meeting":
        return [(command, at("network_meeting_called"))]
    if command == "record_network_meeting":
        return [(command, at("network_meeting_held"))]
    if command == "record_patient_talk":
        return [(command, at("patient_talk_held"))] if s.branch == "no_consent" else same
    if command == "complete":
        return [(command, "complete")]
    return same


def transition_graph(direction: str = "to_integrated"):
    """Per branch: the states reached from `reported` and the steps `allowed_commands` allows in each,
    with where each leads. Returns ({branch: [Situation]}, {branch: [(Situation, command, label, next)]},
    the commands allowed in every open state)."""
    T = transition_rules
    situations: dict[str, list] = {}
    edges: dict[str, list] = {}
    open_sets = []
    for branch in get_args(T.Branch):
        first = T.Situation(direction=direction, branch=branch, state="reported")
        seen, queue, out = [first], [first], []
        while queue:
            s = queue.pop(0)
            allowed = T.allowed_commands(s)
            open_sets.append(set(allowed))
            for command in allowed:
                for label, nxt in _transition_next(s, command):
                    out.append((s, command, label, nxt))
                    if nxt != "complete" and nxt not in seen and nxt.state not in TRANSITION_FINAL_STATES:
                        seen.append(nxt)
                        queue.append(nxt)
        situations[branch], edges[branch] = seen, out
    always = [c for c in get_args(T.Command) if all(c in a for a in open_sets)]
    return situations, edges, always


def _transition() -> Process:
    T = transition_rules
    b = _Builder(
        "transition",
        "Overgang (transition): fra koordineret til integreret behandling og tilbage",
        "The cross-sector transition (spec §5): a reported worsening (or a proposed move back), the branch "
        "on the patient's consent to dialogue between the sectors, the region's immediate assessment, "
        "enighed/uenighed, the samarbejdsmøde without the patient, psychiatry's decision, who says what "
        "to the patient, the netværksmøde, and completion that starts an ambulatory pathway or awaits the "
        "integrated pathway's closure. Every state is the task of its step with the step's due date "
        f"(working days; escalated when passed); steps marked '{PATIENT_FACING_MARK}' reach the patient and "
        f"are refused before the parties agree ('{NOT_BEFORE_AGREEMENT}').",
        ("dualpath/domain/transition.py: State, Branch, Command, allowed_commands(Situation), check_command, "
         "current_step, step_owner, DEFAULT_STEP_DUE_DAYS, STEP_TITLES, PATIENT_FACING, patient_may_be_involved, "
         "branch_for, outcome_at_completion",
         "dualpath/workflows/transition.py: TransitionWorkflow (updates, the state each leads to, completion)"),
    )
    wf = transition_wf.TransitionWorkflow
    commands = get_args(T.Command)
    states = get_args(T.State)
    for command in commands:
        _has(wf, command)
    for state in ("reported", *TRANSITION_FINAL_STATES):
        if state not in states:
            raise ValueError(f"transition State has no {state!r}: the transition diagram needs updating")
    situations, edges, always = transition_graph()
    for direction in get_args(T.Direction):
        other = transition_graph(direction)
        if [[(s.state, s.settled) for s in ss] for ss in other[0].values()] != \
                [[(s.state, s.settled) for s in ss] for ss in situations.values()]:
            raise ValueError(f"the steps depend on the direction ({direction}): the transition diagram needs updating")
    due_days = T.DEFAULT_STEP_DUE_DAYS

    def owner(step: str) -> str:
        owners = {d: "/".join(T.step_owner(step, d)) for d in get_args(T.Direction)}
        if len(set(owners.values())) == 1:
            return next(iter(owners.values()))
        return ", ".join(f"{o} ({d})" for d, o in owners.items())

    b.add("start", "startEvent", f"Forværring meldt, eller tilbageføring foreslået ({tev.TransitionReported.__name__})",
          detail=(f"retning: {', '.join(get_args(T.Direction))}",))
    b.add("gw_branch", "exclusiveGateway", "Samtykke til dialog mellem kommune og region?", col=1)
    b.flow("start", "gw_branch")
    consents = {br: [c for c in get_args(T.DialogueConsent) if T.branch_for(c) == br] for br in get_args(T.Branch)}
    branch_names = {"dialogue": "Dialog mellem sektorerne (samtykke givet)",
                    "no_consent": "Uden samtykke: psykiatrien vurderer alene og taler med patienten"}
    col0 = 2
    last_cols = []
    split = {br: {s.state for s in ss if sum(1 for o in ss if o.state == s.state) > 1}
             for br, ss in situations.items()}

    def sid(s) -> str:
        return transition_node_id(s.branch, s.state, s.settled if s.state in split[s.branch] else None)

    for band, branch in enumerate(get_args(T.Branch)):
        sp = b.add(branch, "subProcess", f"{branch}: {branch_names.get(branch, branch)}", band=band, col=col0)
        b.flow("gw_branch", sp, branch, condition=f"dialogue_consent in ({', '.join(consents[branch])})")
        ss, es = situations[branch], edges[branch]
        # Columns: the longest way from `reported` (a state's own steps that stay are not counted).
        depth = {sid(ss[0]): 0}
        for _ in ss:
            for s, _c, _l, nxt in es:
                if nxt != "complete" and sid(nxt) != sid(s) and nxt.state not in TRANSITION_FINAL_STATES:
                    depth[sid(nxt)] = max(depth.get(sid(nxt), 0), depth[sid(s)] + 1)
        by_depth: dict[int, list] = defaultdict(list)
        for s in ss:
            by_depth[depth[sid(s)]].append(s)
        start_col = col0 + 0.5
        b.add(f"{branch}_start", "startEvent", "", parent=sp, col=start_col)
        b.flow(f"{branch}_start", sid(ss[0]))
        col_of = lambda d: start_col + 1 + 2 * d  # noqa: E731
        for d, group in sorted(by_depth.items()):
            for i, s in enumerate(group):
                row = 1.6 * (i - (len(group) - 1) / 2)
                step = T.current_step(s)
                detail = [f"trin {step}: frist {due_days[step]} hverdage · {owner(step)}",
                          f"{T.STEP_TITLES[step]}"]
                if not T.patient_may_be_involved(s):
                    refused = [c for c in commands if c in T.PATIENT_FACING and not _allowed(T.check_command, s, c)]
                    if refused:
                        rule = NOT_BEFORE_ASSESSMENT if branch == "no_consent" else NOT_BEFORE_AGREEMENT
                        detail.append(f"⛔ {rule}: {', '.join(refused)} afvises")
                name = s.state + (f" ({s.settled})" if s.state in split[branch] else "")
                tid = b.add(sid(s), "userTask", name, parent=sp, col=col_of(d), row=row, detail=tuple(detail))
                timer = b.add(f"{tid}_timer", "boundaryEvent", f"{step} forfalden efter {due_days[step]} hverdage",
                              parent=sp, attached_to=tid, event="timer", interrupting=False,
                              timer=("timeDate", f"midnight after {due_days[step]} working days (Europe/Copenhagen)"))
                overdue = b.add(f"{tid}_overdue", "endEvent",
                                f"{tev.TransitionStepOverdue.__name__}, {ev.TaskOverdue.__name__} (Overdue)",
                                parent=sp, event="escalation", ref=tev.TransitionStepOverdue.__name__,
                                col=col_of(d) + 0.6, row=row + 0.7)
                b.flow(timer, overdue)
        end_col = col_of(max(by_depth) + 1)
        last_cols.append(end_col)
        done = b.add(f"{branch}_complete", "endEvent", "complete: til udfaldet", parent=sp, col=end_col,
                     detail=(tev.TransitionCompleted.__name__,))
        for s in ss:
            exits = [(c, label, nxt) for s2, c, label, nxt in es if s2 == s and c not in always]
            source = sid(s)
            if len(exits) > 1:
                source = b.add(f"gw_{sid(s)}", "exclusiveGateway", "", parent=sp,
                               col=col_of(depth[sid(s)]) + 1, row=b.nodes[sid(s)].row)
                b.flow(sid(s), source)
            for c, label, nxt in exits:
                target = done if nxt == "complete" else sid(nxt)
                mark = c in T.PATIENT_FACING
                name = f"{label} ({PATIENT_FACING_MARK})" if mark else label
                b.flow(source, target, name, condition=c if len(exits) > 1 else None)

    col = max(last_cols) + 1
    gw = b.add("gw_outcome", "exclusiveGateway", "Udfald (outcome_at_completion)", col=col)
    for branch in get_args(T.Branch):
        b.flow(branch, gw)
    outcomes = get_args(T.Outcome)
    if set(outcomes) != {"transition", "no_transition"}:
        raise ValueError("the transition outcomes changed: the transition diagram needs updating")
    pw = pathway.PathwayWorkflow.__name__
    b.add("start_pathway", "callActivity", f"Ambulant forløb startes ({pw}, lever videre)", col=col + 1, row=-1,
          called="Process_ambulatory", detail=("closure=started", "fælles plan flyttes til forløbet"))
    b.add("end_started", "endEvent", f"completed ({tev.TransitionCompleted.__name__})", col=col + 3, row=-1)
    b.flow(gw, "start_pathway", "transition, to_integrated",
           condition="outcome == 'transition' and direction == 'to_integrated'")
    b.flow("start_pathway", "end_started")
    step = T.current_step(T.Situation(direction="to_coordinated", branch="dialogue", state="closure_awaited"))
    b.add("closure_awaited", "receiveTask",
          f"closure_awaited: {T.STEP_TITLES[step]}", col=col + 1, row=0.3,
          detail=(f"trin {step}: frist {due_days[step]} hverdage · {owner(step)}",
                  "pathway_ended: det integrerede forløbs end_pathway"))
    b.add("closure_awaited_timer", "boundaryEvent", f"{step} forfalden efter {due_days[step]} hverdage",
          attached_to="closure_awaited", event="timer", interrupting=False,
          timer=("timeDate", f"midnight after {due_days[step]} working days (Europe/Copenhagen)"))
    b.add("closure_awaited_overdue", "endEvent",
          f"{tev.TransitionStepOverdue.__name__}, {ev.TaskOverdue.__name__} (Overdue)", event="escalation",
          ref=tev.TransitionStepOverdue.__name__, col=col + 2, row=1.3)
    b.flow("closure_awaited_timer", "closure_awaited_overdue")
    b.add("end_closed", "endEvent", f"completed ({tev.TransitionPathwayClosed.__name__})", col=col + 3, row=0.3)
    b.flow(gw, "closure_awaited", "transition, to_coordinated",
           condition="outcome == 'transition' and direction == 'to_coordinated'")
    b.flow("closure_awaited", "end_closed")
    b.add("end_no_transition", "endEvent", f"completed: ingen overgang ({tev.TransitionCompleted.__name__})",
          col=col + 3, row=-2)
    b.flow(gw, "end_no_transition", "no_transition", condition="outcome == 'no_transition'")

    if always:
        band = len(get_args(T.Branch))
        ev_sp = b.add("tasks", "subProcess", f"Opgaver i enhver åben tilstand ({', '.join(always)})", band=band,
                      triggered_by_event=True, col=col0)
        first, *rest = always
        b.add("tasks_start", "startEvent", f"{first}: en ekstra opgave", parent=ev_sp, event="message", ref=first,
              interrupting=False, col=col0 + 0.5)
        b.add("tasks_task", "userTask", "Ekstra opgave", parent=ev_sp, col=col0 + 1.5,
              detail=(f"involves_patient: {NOT_BEFORE_AGREEMENT}", "ingen opgave til kommunen uden samtykke"))
        b.add("tasks_end", "endEvent", f"{', '.join(rest)} ({ev.TaskCompleted.__name__})", parent=ev_sp,
              col=col0 + 2.5)
        b.flow("tasks_start", "tasks_task")
        b.flow("tasks_task", "tasks_end")
    return b.build()


# -- the group-2 phase-in campaign (spec §6) ------------------------------------------

# The campaign's commands (CampaignWorkflow's updates), each with the rule that refuses it; a command
# with sides is drawn once per side.
CAMPAIGN_COMMANDS = ("set_kkr_contacts", "upload_list", "record_consent", "share_lists",
                     "hold_collaboration_meeting", "decide", "plan_network_meeting")
_CAMPAIGN_PER_SIDE = ("upload_list", "record_consent")


def campaign_status_id(phase: str) -> str:
    return f"status_{phase}"


def campaign_share_days() -> int:
    from dualpath.settings import Settings

    return Settings.model_fields["campaign_share_days_before_meeting"].default


def campaign_samples(share_days: int) -> dict[str, object]:
    """A campaign in each phase, built as the workflow's updates leave it: one state per Phase."""
    C = campaign_rules
    day = date(2026, 1, 5)
    both = {side: "given" for side in C.SIDES}

    def listed(pid: str, **kw):
        return C.Person(patient_id=pid, rows={side: 2 for side in C.SIDES}, psychiatric_contact="current",
                        municipal_substance_treatment=True, consent=dict(both), **kw)

    base = C.CampaignState(campaign_id="c", centre="centre", region="r", municipality="m",
                           meeting_planned_on=day + timedelta(days=share_days + 10), share_days=share_days,
                           group2_opens_on=day, catalogue_version="v", opened=True,
                           uploaded={side: day for side in C.SIDES}, people=[listed("p"), listed("q")])
    shared = base.model_copy(update={"shared_on": day})
    held = shared.model_copy(update={"meeting_held_on": C.earliest_meeting(shared)})
    starting = held.model_copy(update={"people": [
        listed("p", decision="integrated", from_date=held.meeting_held_on + timedelta(days=7), status="scheduled"),
        listed("q")]})
    samples = {"collecting_lists": base, "lists_shared": shared, "meeting_held": held, "starting": starting}
    for phase, s in samples.items():
        if C.phase(s) != phase:
            raise ValueError(f"campaign phase {phase!r} is not what phase() says: the campaign diagram needs updating")
    if set(samples) != set(get_args(C.Phase)):
        raise ValueError("the campaign phases changed: the campaign diagram needs updating")
    return samples


def _campaign_today(s) -> date:
    return (s.meeting_held_on or campaign_rules.earliest_meeting(s) or s.meeting_planned_on) + timedelta(days=1)


def campaign_steps(phase: str, s) -> list[tuple[str, str, object]]:
    """The steps the campaign's rules allow in a phase: (command, label, the campaign after it)."""
    C = campaign_rules
    today = _campaign_today(s)
    undecided = next((p for p in s.people if p.decision is None), s.people[0])
    decided = next((p for p in s.people if p.decision in ("integrated", "coordinated")), s.people[0])
    row = C.ListedRow(patient_id="new", row=2, psychiatric_contact="current", municipal_substance_treatment=True)
    out: list[tuple[str, str, object]] = []
    for command in CAMPAIGN_COMMANDS:
        if command == "set_kkr_contacts":
            out.append((command, command, s))  # no rule: the KKR list may change at any time
        elif command == "upload_list":
            out += [(command, f"{command}({side})", s) for side in C.SIDES
                    if _allowed(C.check_upload, s, side, [row])]
        elif command == "record_consent":
            out += [(command, f"{command}({side})", s) for side in C.SIDES
                    if _allowed(C.check_consent, s, side, undecided.patient_id, "refused")]
        elif command == "share_lists":
            if _allowed(C.check_share, s):
                out.append((command, command, s.model_copy(update={"shared_on": today})))
        elif command == "hold_collaboration_meeting":
            held_on = C.earliest_meeting(s) or today
            if _allowed(C.check_meeting, s, held_on, today):
                out.append((command, command, s.model_copy(update={"meeting_held_on": held_on})))
        elif command == "decide":
            for kind in get_args(C.DecisionKind):
                from_date = None if kind == "not_relevant" else max(today, s.group2_opens_on)
                if _allowed(C.check_decision, s, undecided.patient_id, kind, from_date, today):
                    people = [p.model_copy(update={"decision": kind, "from_date": from_date,
                                                   "status": "not_relevant" if kind == "not_relevant" else "scheduled"})
                              if p.patient_id == undecided.patient_id else p for p in s.people]
                    out.append((command, f"{command}({kind})", s.model_copy(update={"people": people})))
        elif command == "plan_network_meeting":
            if _allowed(C.check_network_meeting, s, decided.patient_id):
                out.append((command, command, s))
    return out


def _campaign() -> Process:
    C = campaign_rules
    share_days = campaign_share_days()
    b = _Builder(
        "campaign",
        "Indfasning af målgruppe 2 (group-2 campaign) pr. psykiatrisk center og kommune",
        "The phase-in campaign for target group 2 (spec §6): the KKR contact list, the clinic's and the "
        "municipality's lists, consent per person from each side, sharing the lists at least "
        f"{share_days} days before the samarbejdsmøde (an earlier meeting is refused) with the reminder "
        f"{C.REMINDER_DAYS} days before the share-by date, the decision per person (integrated from a date, "
        "coordinated from a date, not relevant; without consent from both sides not discussed), the start "
        "timers that start a pathway or coordination on the decided date, and network meetings with "
        "følgeskab and udgående behandling. Each phase waits for the steps its rules allow.",
        ("dualpath/domain/campaign.py: Phase, phase, SIDES, check_upload, check_consent, check_share, "
         "check_meeting, check_decision, check_network_meeting, DecisionKind, REMINDER_DAYS, share_by, "
         "earliest_meeting, not_discussed_mark, NetworkMeetingPlan",
         "dualpath/settings.py: campaign_share_days_before_meeting (default)",
         "dualpath/workflows/campaign.py: CampaignWorkflow (updates, timers, COORDINATION_TASK_WORKING_DAYS)"),
    )
    wf = campaign_wf.CampaignWorkflow
    for command in CAMPAIGN_COMMANDS:
        _has(wf, command)
    samples = campaign_samples(share_days)
    phases = list(get_args(C.Phase))
    event_of = {"set_kkr_contacts": cev.KkrContactsSet, "upload_list": cev.CampaignListUploaded,
                "record_consent": cev.CampaignConsentRecorded, "share_lists": cev.CampaignListsShared,
                "hold_collaboration_meeting": cev.CampaignMeetingHeld, "decide": cev.CampaignPersonDecided,
                "plan_network_meeting": cev.CampaignNetworkMeetingPlanned}
    plan_fields = C.NetworkMeetingPlan.model_fields
    notes = {
        "upload_list": "liste efter skabelonen (CSV), hver række valideres; hele listen erstattes",
        "record_consent": f"samtykke pr. person: {', '.join(get_args(C.ConsentState))} "
                          f"({', '.join(get_args(C.ConsentForm))}); uden samtykke fra begge sider: ikke drøftet",
        "share_lists": f"begge lister; senest {share_days} dage før samarbejdsmødet (share_by)",
        "hold_collaboration_meeting": f"tidligst {share_days} dage efter delingen (earliest_meeting); "
                                      "tidligere afvises",
        "decide": "pr. person med samtykke fra begge sider",
        "plan_network_meeting": ", ".join(f"{k}: {plan_fields[k].description}" for k in ("accompaniment", "outreach")),
        "set_kkr_contacts": "KKR's liste over kommunale kontakter",
    }
    b.add("start", "startEvent", f"Kampagnen åbnes ({cev.CampaignOpened.__name__})",
          detail=(f"share_by = mødet − {share_days} dage",))
    b.flow("start", campaign_status_id(phases[0]))
    for i, phase in enumerate(phases):
        b.add(campaign_status_id(phase), "eventBasedGateway", phase, col=1 + 2 * i)
    for i, phase in enumerate(phases):
        gw = campaign_status_id(phase)
        s = samples[phase]
        steps = campaign_steps(phase, s)
        sign = 1 if i % 2 == 0 else -1
        # The steps that move on stay on the main row.
        ahead = [st for st in steps if C.phase(st[2]) != phase]
        order = ahead + [st for st in steps if st not in ahead]
        j = 0
        decide_gw = None
        for command, label, after in order:
            nxt = C.phase(after)
            target = campaign_status_id(nxt)
            if command == "decide":
                if decide_gw is None:
                    catch = b.add(f"{phase}_decide", "intermediateCatchEvent", f"decide ({event_of[command].__name__})",
                                  event="message", ref=command, col=2 + 2 * i, row=sign * j, detail=(notes[command],))
                    b.flow(gw, catch, command)
                    decide_gw = b.add(f"gw_{phase}_decide", "exclusiveGateway", "Beslutning pr. person",
                                      col=2.5 + 2 * i, row=sign * (j + 0.5))
                    b.flow(catch, decide_gw)
                    j += 1
                b.flow(decide_gw, target, label, condition=label)
                continue
            node = f"{phase}_{_slug(label)}"
            catch = b.add(node, "intermediateCatchEvent", f"{label} ({event_of[command].__name__})", event="message",
                          ref=command, col=2 + 2 * i, row=sign * j, detail=(notes[command],))
            guarded = command == "hold_collaboration_meeting"
            b.flow(gw, catch, f"{label} (tidligst {share_days} dage efter deling)" if guarded else label,
                   condition=f"held_on >= shared_on + {share_days} dage" if guarded else None)
            b.flow(catch, target)
            j += 1
        if s.shared_on is None and not s.reminder_sent:  # the workflow's reminder timer runs in this phase
            timer = b.add(f"{phase}_reminder", "intermediateCatchEvent",
                          f"{C.REMINDER_DAYS} dage før share_by, listerne ikke delt", event="timer",
                          timer=("timeDate", "midnight of reminder_on = share_by - REMINDER_DAYS (Europe/Copenhagen)"),
                          col=2 + 2 * i, row=sign * j)
            remind = b.add(f"{phase}_remind", "intermediateThrowEvent",
                           f"{cev.CampaignShareReminded.__name__}: opgave til begge sider (frist share_by)",
                           col=2.5 + 2 * i, row=sign * (j + 0.6))
            b.flow(gw, timer, "påmindelse")
            b.flow(timer, remind)
            b.flow(remind, gw)

    # Per person: the decided start, on its date, unless consent is withdrawn before.
    sp = b.add("person", "subProcess", "Pr. person: start på den besluttede dato", band=1, triggered_by_event=True,
               col=1)
    b.add("person_start", "startEvent", f"decide ({cev.CampaignPersonDecided.__name__})", parent=sp,
          event="message", ref="decide", interrupting=False, col=1)
    b.add("person_gw", "exclusiveGateway", "Beslutning", parent=sp, col=2)
    b.flow("person_start", "person_gw")
    kinds = get_args(C.DecisionKind)
    starts = {"integrated": ("callActivity", f"Ambulant forløb startes ({pathway.PathwayWorkflow.__name__})",
                             cev.CampaignPathwayStarted, "tidligst når gruppe 2 åbner (group2_opens_on)"),
              "coordinated": ("serviceTask", "Koordineret behandling starter: opgave til kommunen",
                              cev.CoordinationStarted,
                              f"frist {campaign_wf.COORDINATION_TASK_WORKING_DAYS} hverdage efter start")}
    for k, kind in enumerate(kinds):
        row = 1.2 * (k - (len(kinds) - 1) / 2)
        if kind not in starts:
            b.add(f"person_{kind}", "endEvent", f"{kind}: ingen start", parent=sp, col=6, row=row)
            b.flow("person_gw", f"person_{kind}", kind, condition=f"decision == '{kind}'")
            continue
        kind_el, title, event, note = starts[kind]
        wait = b.add(f"person_{kind}_wait", "eventBasedGateway", "", parent=sp, col=3, row=row)
        b.flow("person_gw", wait, f"{kind} fra dato", condition=f"decision == '{kind}'")
        timer = b.add(f"person_{kind}_timer", "intermediateCatchEvent", f"from_date ({kind})", parent=sp,
                      event="timer", timer=("timeDate", "midnight of from_date (Europe/Copenhagen)"), col=4, row=row,
                      detail=(note,))
        started = b.add(f"person_{kind}_started", kind_el, title, parent=sp, col=5, row=row,
                        called="Process_ambulatory" if kind_el == "callActivity" else None,
                        detail=(event.__name__,))
        b.add(f"person_{kind}_end", "endEvent", "started", parent=sp, col=6, row=row)
        refused = b.add(f"person_{kind}_refused", "intermediateCatchEvent",
                        "record_consent(refused) før start", parent=sp, event="message", ref="record_consent",
                        col=4, row=row + 0.55)
        b.add(f"person_{kind}_cancelled", "endEvent", f"cancelled ({cev.CampaignStartCancelled.__name__})",
              parent=sp, col=6, row=row + 0.55)
        b.flow(wait, timer)
        b.flow(timer, started)
        b.flow(started, f"person_{kind}_end")
        b.flow(wait, refused)
        b.flow(refused, f"person_{kind}_cancelled")
    return b.build()


def _days(n: int) -> str:
    return f"{n} dag" if n == 1 else f"{n} dage"


def _allowed(check: Callable[..., None], *args) -> bool:
    try:
        check(*args)
    except ValueError:
        return False
    return True


def _field(fields: dict, name: str) -> str:
    if name not in fields:
        raise ValueError(f"ReferralInput has no {name!r}: the referral diagram needs updating")
    return name


def _moved(node: Node, **changes) -> Node:
    return dataclasses.replace(node, **changes)


_BUILDERS: dict[str, Callable[[], Process]] = {
    "referral": _referral,
    "ambulatory": _ambulatory,
    "inpatient": _inpatient,
    "meeting": _meeting,
    "transition": _transition,
    "campaign": _campaign,
}
PROCESSES: tuple[str, ...] = tuple(_BUILDERS)


def process(name: str) -> Process:
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown process {name!r}: choose one of {', '.join(PROCESSES)}") from None
    return builder()


# -- layout on a grid --------------------------------------------------------------

CELL_W, CELL_H = 170, 110
_SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (120, 80)}
_PAD, _TOP_PAD, _BAND_GAP, _MARGIN = 25, 30, 70, 40


def _family(kind: str) -> str:
    if kind.endswith("Event"):
        return "event"
    if kind.endswith("Gateway"):
        return "gateway"
    return "activity"


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


Point = tuple[float, float]


@dataclass
class Layout:
    boxes: dict[str, Box] = field(default_factory=dict)
    waypoints: dict[str, list[Point]] = field(default_factory=dict)


def layout(proc: Process) -> Layout:
    """Shapes on a grid of cells and orthogonal routes for the flows (the BPMN DI)."""
    return _Layouter(proc).run()


class _Layouter:
    def __init__(self, proc: Process):
        self.proc = proc
        self.nodes = {n.id: n for n in proc.nodes}
        self.members: dict[str | None, list[str]] = defaultdict(list)
        for n in proc.nodes:
            self.members[self.container(n.id)].append(n.id)
        self.out = Layout()
        self.lanes: dict[tuple[str | None, str], int] = defaultdict(int)

    def container(self, node_id: str) -> str | None:
        n = self.nodes[node_id]
        return self.nodes[n.attached_to].parent if n.attached_to else n.parent

    def top(self, node_id: str) -> str:
        n = self.nodes[node_id]
        while n.attached_to or n.parent:
            n = self.nodes[n.attached_to or n.parent]
        return n.id

    def run(self) -> Layout:
        bands = sorted({self.nodes[i].band for i in self.members[None]})
        routed: set[str] = set()
        bottom: float | None = None
        for band in bands:
            ids = [i for i in self.members[None] if self.nodes[i].band == band and not self.nodes[i].attached_to]
            placed: list[str] = []
            for node_id in ids:
                placed += self.place(node_id)
            for node_id in [i for i in self.members[None] if self.nodes[i].attached_to in ids]:
                self.place_boundary(node_id)
                placed.append(node_id)
            if bottom is not None:
                dy = bottom + _BAND_GAP - min(self.out.boxes[i].y for i in placed)
                self.shift(placed, dy)
            done = {i for i in self.out.boxes}
            for f in self.proc.flows:
                if f.id not in routed and self.container(f.source) is None and f.source in done and f.target in done:
                    self.route(f)
                    routed.add(f.id)
            bottom = max([b.bottom for b in self.out.boxes.values()]
                         + [y for pts in self.out.waypoints.values() for _, y in pts])
        xs = [b.x for b in self.out.boxes.values()] + [x for pts in self.out.waypoints.values() for x, _ in pts]
        ys = [b.y for b in self.out.boxes.values()] + [y for pts in self.out.waypoints.values() for _, y in pts]
        dx, dy = _MARGIN - min(xs), _MARGIN - min(ys)
        for b in self.out.boxes.values():
            b.x, b.y = round(b.x + dx), round(b.y + dy)
        for fid, pts in self.out.waypoints.items():
            self.out.waypoints[fid] = [(round(x + dx), round(y + dy)) for x, y in pts]
        return self.out

    def shift(self, ids: list[str], dy: float) -> None:
        moved = set()
        for node_id in ids:
            for d in self.descendants(node_id):
                if d not in moved:
                    self.out.boxes[d].y += dy
                    moved.add(d)
        for f in self.proc.flows:
            if self.top(f.source) in ids and self.container(f.source) is not None:
                self.out.waypoints[f.id] = [(x, y + dy) for x, y in self.out.waypoints[f.id]]

    def descendants(self, node_id: str) -> list[str]:
        found = [node_id]
        for m in self.members.get(node_id, []):
            found += self.descendants(m)
        return found

    def place(self, node_id: str) -> list[str]:
        """Place a node (a subProcess with its content and internal flows); returns what it placed."""
        n = self.nodes[node_id]
        if n.kind != "subProcess" or not self.members.get(node_id):
            w, h = _SIZES[_family(n.kind)]
            self.out.boxes[node_id] = Box(n.col * CELL_W + (CELL_W - w) / 2, n.row * CELL_H + (CELL_H - h) / 2, w, h)
            return [node_id]
        inner = [m for m in self.members[node_id] if not self.nodes[m].attached_to]
        placed = [node_id]
        for m in inner:
            placed += self.place(m)
        for m in self.members[node_id]:
            if self.nodes[m].attached_to:
                self.place_boundary(m)
                placed.append(m)
        for f in self.proc.flows:
            if self.container(f.source) == node_id:
                self.route(f)
        content = [self.out.boxes[m] for m in self.members[node_id]]
        pts = [p for f in self.proc.flows if self.container(f.source) == node_id for p in self.out.waypoints[f.id]]
        x0 = min([b.x for b in content] + [x for x, _ in pts]) - _PAD
        x1 = max([b.right for b in content] + [x for x, _ in pts]) + _PAD
        y0 = min([b.y for b in content] + [y for _, y in pts]) - _TOP_PAD
        y1 = max([b.bottom for b in content] + [y for _, y in pts]) + _PAD
        self.out.boxes[node_id] = Box(x0, y0, x1 - x0, y1 - y0)
        return placed

    def place_boundary(self, node_id: str) -> None:
        n = self.nodes[node_id]
        host = self.out.boxes[n.attached_to]
        siblings = [m for m in self.members[self.container(node_id)]
                    if self.nodes[m].attached_to == n.attached_to and self.nodes[m].side == n.side]
        i = siblings.index(node_id)
        if n.side == "right":
            cx, cy = host.right, host.cy + 20 + i * 40
        else:
            cx, cy = host.x + 30 + i * 45, host.bottom
        self.out.boxes[node_id] = Box(cx - 18, cy - 18, 36, 36)

    def route(self, f: Flow) -> None:
        s, t = self.out.boxes[f.source], self.out.boxes[f.target]
        src, tgt = self.nodes[f.source], self.nodes[f.target]
        if src.attached_to:
            self.out.waypoints[f.id] = _boundary_route(src, s, t)
            return
        container = self.container(f.source)
        skip = {f.source, f.target} | {m for m in self.members[container]
                                       if self.nodes[m].attached_to in (f.source, f.target)}
        obstacles = [self.out.boxes[m] for m in self.members[container] if m not in skip and m in self.out.boxes]
        if t.x >= s.right - 1:
            pts = _forward(s, t, _family(src.kind), _family(tgt.kind))
            if not any(_hits(pts, o) for o in obstacles):
                self.out.waypoints[f.id] = pts
                return
            over = [o for o in obstacles if o.right > s.cx and o.x < t.cx] + [s, t]
            lane = self.lanes[(container, "top")]
            self.lanes[(container, "top")] += 1
            y = min(o.y for o in over) - 20 - 12 * lane
            self.out.waypoints[f.id] = [(s.cx, s.y), (s.cx, y), (t.cx, y), (t.cx, t.y)]
            return
        under = [o for o in obstacles if o.right > t.cx and o.x < s.cx] + [s, t]
        lane = self.lanes[(container, "bottom")]
        self.lanes[(container, "bottom")] += 1
        y = max(o.bottom for o in under) + 35 + 12 * lane
        self.out.waypoints[f.id] = [(s.cx, s.bottom), (s.cx, y), (t.cx, y), (t.cx, t.bottom)]


def _forward(s: Box, t: Box, source: str, target: str) -> list[Point]:
    """A route left to right: straight where it fits, out of a gateway's corner, into a gateway's or
    an event's top or bottom, else with one step half-way."""
    if abs(s.cy - t.cy) < 1:
        return [(s.right, s.cy), (t.x, t.cy)]
    if source == "activity" and s.y + 10 <= t.cy <= s.bottom - 10:  # e.g. out of a tall sub-process
        return [(s.right, t.cy), (t.x, t.cy)]
    if target == "activity" and t.y + 10 <= s.cy <= t.bottom - 10:
        return [(s.right, s.cy), (t.x, s.cy)]
    if source == "gateway":
        return [(s.cx, s.y if t.cy < s.cy else s.bottom), (s.cx, t.cy), (t.x, t.cy)]
    if target != "activity":
        return [(s.right, s.cy), (t.cx, s.cy), (t.cx, t.y if s.cy < t.cy else t.bottom)]
    mid = (s.right + t.x) / 2
    return [(s.right, s.cy), (mid, s.cy), (mid, t.cy), (t.x, t.cy)]


def _boundary_route(b: Node, s: Box, t: Box) -> list[Point]:
    if b.side == "right":
        start = (s.right, s.cy)
        if abs(t.cy - s.cy) < 1:
            return [start, (t.x, t.cy)]
        return [start, (t.cx, s.cy), (t.cx, t.y if t.cy > s.cy else t.bottom)]
    start = (s.cx, s.bottom)
    if abs(t.cx - s.cx) < 1:
        return [start, (s.cx, t.y)]
    return [start, (s.cx, t.cy), (t.x if t.cx > s.cx else t.right, t.cy)]


def _hits(pts: list[Point], box: Box) -> bool:
    for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
        lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        if lo_x < box.right + 2 and hi_x > box.x - 2 and lo_y < box.bottom + 2 and hi_y > box.y - 2:
            return True
    return False


# -- BPMN 2.0 XML ------------------------------------------------------------------

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for _prefix, _uri in (("", MODEL), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)


def _m(tag: str) -> str:
    return f"{{{MODEL}}}{tag}"


def bpmn(name: str) -> str:
    """The process as a BPMN 2.0 document with its diagram (DI), for bpmn.io or Camunda Modeler."""
    proc = process(name)
    geo = layout(proc)
    root = ET.Element(_m("definitions"), {
        "id": f"Definitions_{proc.key}",
        "targetNamespace": f"https://dualpath.invalid/processes/{proc.key}",
        "exporter": "dualpath.diagrams",
        "exporterVersion": "1",
    })
    refs: dict[tuple[str, str], str] = {}
    for n in proc.nodes:
        if n.event in ("message", "signal", "escalation"):
            ref_name = _ref_name(n)
            key = (n.event, ref_name)
            if key not in refs:
                refs[key] = f"{n.event.capitalize()}_{_slug(ref_name)}"
                attrs = {"id": refs[key], "name": ref_name}
                if n.event == "escalation":
                    attrs["escalationCode"] = ref_name
                ET.SubElement(root, _m(n.event), attrs)
    proc_el = ET.SubElement(root, _m("process"), {"id": proc.process_id, "name": proc.title, "isExecutable": "false"})
    # tDefinitions takes no documentation (it is not a tBaseElement in the XSD): the process carries it.
    ET.SubElement(proc_el, _m("documentation")).text = f"{proc.summary} Generated from: " + "; ".join(proc.sources)
    elements: dict[str | None, ET.Element] = {None: proc_el}
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    for f in proc.flows:
        outgoing[f.source].append(f.id)
        incoming[f.target].append(f.id)
    parent_of = {n.id: (proc.node(n.attached_to).parent if n.attached_to else n.parent) for n in proc.nodes}
    for n in proc.nodes:
        attrs = {"id": n.id}
        if n.name:
            attrs["name"] = n.name
        if n.kind == "boundaryEvent":
            attrs["attachedToRef"] = n.attached_to
            if not n.interrupting:
                attrs["cancelActivity"] = "false"
        if n.kind == "startEvent" and not n.interrupting:
            attrs["isInterrupting"] = "false"
        if n.triggered_by_event:
            attrs["triggeredByEvent"] = "true"
        if n.called:
            attrs["calledElement"] = n.called
        el = ET.SubElement(elements[parent_of[n.id]], _m(n.kind), attrs)
        if n.detail:
            ET.SubElement(el, _m("documentation")).text = "; ".join(n.detail)
        for fid in incoming[n.id]:
            ET.SubElement(el, _m("incoming")).text = fid
        for fid in outgoing[n.id]:
            ET.SubElement(el, _m("outgoing")).text = fid
        if n.event == "timer":
            definition = ET.SubElement(el, _m("timerEventDefinition"), {"id": f"{n.id}_def"})
            assert n.timer is not None
            ET.SubElement(definition, _m(n.timer[0]), {f"{{{XSI}}}type": "tFormalExpression"}).text = n.timer[1]
        elif n.event:
            ref_attr = {"message": "messageRef", "signal": "signalRef", "escalation": "escalationRef"}[n.event]
            ET.SubElement(el, _m(f"{n.event}EventDefinition"),
                          {"id": f"{n.id}_def", ref_attr: refs[(n.event, _ref_name(n))]})
        if n.kind == "subProcess":
            elements[n.id] = el
    for f in proc.flows:
        attrs = {"id": f.id, "sourceRef": f.source, "targetRef": f.target}
        if f.name:
            attrs["name"] = f.name
        el = ET.SubElement(elements[parent_of[f.source]], _m("sequenceFlow"), attrs)
        if f.condition:
            ET.SubElement(el, _m("conditionExpression"), {f"{{{XSI}}}type": "tFormalExpression"}).text = f.condition
    diagram = ET.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", {"id": f"Diagram_{proc.key}", "name": proc.title})
    plane = ET.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane",
                          {"id": f"Plane_{proc.key}", "bpmnElement": proc.process_id})
    for n in proc.nodes:
        box = geo.boxes[n.id]
        attrs = {"id": f"{n.id}_di", "bpmnElement": n.id}
        if n.kind == "subProcess":
            attrs["isExpanded"] = "true"
        if n.kind == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", attrs)
        ET.SubElement(shape, f"{{{DC}}}Bounds", {k: _num(v) for k, v in
                                                  (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h))})
    for f in proc.flows:
        edge = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", {"id": f"{f.id}_di", "bpmnElement": f.id})
        for x, y in geo.waypoints[f.id]:
            ET.SubElement(edge, f"{{{DI}}}waypoint", {"x": _num(x), "y": _num(y)})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _ref_name(n: Node) -> str:
    """The message, signal or escalation an event refers to."""
    return n.ref or n.id


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return slug or "x"


def _num(v: float) -> str:
    return str(int(round(v)))


# -- Mermaid -------------------------------------------------------------------------

_ICONS = {"timer": "⏱", "message": "✉", "signal": "△", "escalation": "⚠"}


def mermaid(name: str) -> str:
    """The process as a Mermaid flowchart (GitHub renders it in a ```mermaid block)."""
    proc = process(name)
    members: dict[str | None, list[Node]] = defaultdict(list)
    for n in proc.nodes:
        if not n.attached_to:
            members[n.parent].append(n)
    lines = ["flowchart LR",
             f"  %% {proc.title}: generated by dualpath.diagrams; regenerate with `dualpath diagram --write`"]

    def emit(container: str | None, indent: str) -> None:
        for n in members[container]:
            if n.kind == "subProcess" and members[n.id]:
                prefix = "⚡ " if n.triggered_by_event else ""
                lines.append(f'{indent}subgraph {n.id}["{_text(prefix + n.name)}"]')
                emit(n.id, indent + "  ")
                lines.append(f"{indent}end")
            else:
                lines.append(f"{indent}{n.id}{_shape(n)}")

    emit(None, "  ")
    for f in proc.flows:
        src = proc.node(f.source)
        label = f.name
        if src.attached_to:
            label = " ".join(x for x in (_ICONS.get(src.event or "", ""), src.name, label) if x)
            arrow, source = "-.->", src.attached_to
        else:
            arrow, source = ("==>" if f.emphasis else "-->"), f.source
        text = f'|"{_text(label)}"|' if label else ""
        lines.append(f"  {source} {arrow}{text} {f.target}")
    for n in proc.nodes:
        if n.attached_to and not any(f.source == n.id for f in proc.flows):
            lines.append(f'  {n.id}(["{_text(_ICONS.get(n.event or "", "") + " " + n.name)}"])')
            lines.append(f"  {n.attached_to} -.- {n.id}")
    return "\n".join(lines) + "\n"


def _shape(n: Node) -> str:
    icon = _ICONS.get(n.event or "", "")
    label = " ".join(x for x in (icon, n.name) if x)
    body = "<br/>".join(_wrap(label) + [f"<i>{_text(d)}</i>" for d in n.detail if n.kind != "subProcess"])
    if n.kind == "startEvent":
        return f'(("{body or "start"}"))'
    if n.kind == "endEvent":
        return f'((("{body or "slut"}")))'
    if n.kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        return f'(["{body}"])'
    if n.kind.endswith("Gateway"):
        mark = {"parallelGateway": "+", "inclusiveGateway": "○", "eventBasedGateway": "⬠"}.get(n.kind, "×")
        return '{"' + (f"{mark} {body}" if body else mark) + '"}'
    if n.kind == "callActivity":
        return f'[["{body}"]]'
    return f'("{body}")'


def _wrap(text: str, width: int = 44) -> list[str]:
    return [_text(line) for line in textwrap.wrap(text, width)] if text else []


def _text(text: str) -> str:
    """Escape for a quoted Mermaid label (entity codes instead of the characters Mermaid parses)."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


# -- docs/diagrams -------------------------------------------------------------------


def readme() -> str:
    """docs/diagrams/README.md: what each diagram shows, how to regenerate and open them, and each
    Mermaid diagram inline."""
    procs = [process(p) for p in PROCESSES]
    out = [
        "# Process diagrams",
        "",
        "<!-- Generated by `dualpath diagram --write` (dualpath/diagrams.py): do not edit by hand. -->",
        "",
        "Each process is drawn from the same tables the workflows execute: the phases and allowed moves,",
        "the mandatory activities of the phase catalogue (the skal-aktiviteter that become staff tasks),",
        "the gateways, timers and statuses. `tests/docs` fails when a file here no longer matches the code:",
        "change a table, then regenerate.",
        "",
        "| process | diagram | Mermaid | BPMN 2.0 |",
        "|---|---|---|---|",
        *[f"| `{p.key}` | {p.title} | [{p.key}.mmd]({p.key}.mmd) | [{p.key}.bpmn]({p.key}.bpmn) |" for p in procs],
        "",
        "## Regenerate",
        "",
        "```sh",
        "dualpath diagram --write                 # rewrites every file under docs/diagrams/",
        "dualpath diagram ambulatory              # prints one Mermaid diagram",
        "dualpath diagram meeting --format bpmn   # prints one BPMN document",
        "```",
        "",
        "`--write` writes to `docs/diagrams/` under the current directory's git root (or beside the",
        "installed package when not in a git checkout).",
        "",
        "## Open",
        "",
        "- Mermaid (`.mmd`): GitHub renders the ```` ```mermaid ```` blocks below; or paste a `.mmd` file into",
        "  any Mermaid viewer (the Mermaid Live Editor, an IDE's Mermaid preview).",
        "- BPMN (`.bpmn`): open in bpmn.io (the online modeller: drag the file in) or Camunda Modeler",
        "  (File → Open). Each file carries its diagram layout (BPMN DI), laid out on a simple grid.",
        "  They document the processes (`isExecutable=\"false\"`): Temporal runs the workflows, not a BPMN engine.",
        "",
        "Reading them: a phase is a sub-process (Mermaid: a box) holding one user task per mandatory",
        "activity, with its due days and owner; a task past its due date is escalated (the ⏱ dotted edge),",
        "and the phase is left only when its tasks are closed. Thick edges are moves that need a reason;",
        "✉ marks a staff command or message, △ a signal to another workflow, ⚠ an escalation.",
        "In the transition each state is the task of its step, with the step's due date in working days; a step",
        f"labelled '{PATIENT_FACING_MARK}' reaches the patient, and a state marked ⛔ refuses those steps",
        f"({NOT_BEFORE_AGREEMENT}). In the campaign each phase waits for the steps its rules allow.",
        "",
        *(["## Still to come", "",
            *[f"- `{key}`: {text}: not built yet; its diagram comes with it." for key, text in STILL_TO_COME.items()],
            ""] if STILL_TO_COME else []),
    ]
    for p in procs:
        out += [f"## {p.title} (`{p.key}`)", "", p.summary, "", "Drawn from:", "",
                *[f"- {s}" for s in p.sources], "", "```mermaid", mermaid(p.key).rstrip("\n"), "```", ""]
    return "\n".join(out)


def files() -> dict[str, str]:
    """Every generated file under docs/diagrams/, by name."""
    generated = {}
    for p in PROCESSES:
        generated[f"{p}.mmd"] = mermaid(p)
        generated[f"{p}.bpmn"] = bpmn(p)
    generated["README.md"] = readme()
    return generated


def default_directory(cwd: Path | None = None) -> Path:
    """docs/diagrams under the git root of `cwd`, else beside the package."""
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True,
                             check=True).stdout.strip()
        root = Path(top)
    except (OSError, subprocess.CalledProcessError):
        root = Path(__file__).resolve().parent.parent
    return root / "docs" / "diagrams"


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in files().items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
