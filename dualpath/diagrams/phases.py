"""The ambulatory pathway and the inpatient stay: both are phases of mandatory tasks with moves between them."""

from __future__ import annotations

import inspect

from dualpath.diagrams.model import (
    REASON,
    Builder,
    Process,
    days_text,
    has_member,
    is_allowed,
    move_gateway_id,
    moved,
    phase_id,
    task_id,
)
from dualpath.domain import ambulatory, first_contact, inpatient, leave, referral_rules
from dualpath.domain import catalogue as catalogue_module
from dualpath.domain import events as ev
from dualpath.workflows import (
    coordinated_course_messages,
    inpatient_stay,
    inpatient_stay_meeting,
    meeting_messages,
    pathway,
    pathway_admission,
    pathway_messages,
)
from dualpath.workflows import inpatient_stay_messages as stay_messages

# Discharge happens from the last phase of the stay (InpatientStayWorkflow._check_discharge;
# tests/docs checks that the workflow agrees).
DISCHARGE_PHASE = max(inpatient.PHASE_NAMES)
TASK_OVERDUE = f"Opgave forfalden: {ev.TaskOverdue.__name__} (Overdue)"
# A planned end that starts a process following the patient: the coordinated course (issue #18 item 9).
_FOLLOWED = {
    ambulatory.EndReason.transition_coordinated: (
        f"det koordinerede forløb følges ({coordinated_course_messages.WORKFLOW_TYPE})",
    )
}


def _phase_blocks(
    b: Builder, kind: catalogue_module.PathwayKind, names: dict[int, str], col0: float
) -> dict[int, float]:
    """One subProcess per phase holding a userTask per mandatory activity, each with its
    non-interrupting overdue timer. Returns the column of each phase."""
    catalogue = catalogue_module.load_catalogue()
    cols: dict[int, float] = {}
    col = col0
    for number in sorted(names):
        sid = b.add(
            phase_id(number),
            "subProcess",
            f"{number} {names[number]}",
            col=col,
            row=0,
            detail=(f"katalog {catalogue.version}",),
        )
        cols[number] = col
        activities = catalogue.mandatory(kind, number)
        k = len(activities)
        overdue = f"{sid}_overdue"
        for i, a in enumerate(activities):
            detail = [f"frist {days_text(a.due_days)} · {a.owner_role}"]
            if a.condition:
                detail.append(f"kun når: {a.condition}")
            if kind == "inpatient" and a.key in inpatient_stay_meeting.MEETING_TASKS:
                # The discharge plan judges the length of stay; the discharge meeting closes the task.
                detail.append(f"udskrivelsesplanen afgør; lukkes af {meeting_messages.MEETING_HELD_SIGNAL}")
            tid = b.add(
                task_id(number, a.key),
                "userTask",
                a.name_da,
                parent=sid,
                col=col,
                row=i - (k - 1) / 2,
                detail=tuple(detail),
            )
            boundary = b.due_timer(
                f"{tid}_timer",
                f"forfalden efter {days_text(a.due_days)}",
                tid,
                ("timeDuration", f"P{a.due_days + 1}D"),
                parent=sid,
                side="right",
            )
            b.flow(boundary, overdue)
        if activities:
            b.escalation(overdue, TASK_OVERDUE, ev.TaskOverdue.__name__, parent=sid, col=col + 1, row=(k - 1) / 2 + 0.5)
        col += 3
    return cols


def _phase_exits(b: Builder, number: int, col: float, exits: list[tuple[str, str, str | None, bool]]) -> None:
    """The way out of a phase once its mandatory tasks are closed: straight on, or an
    exclusive gateway when there is a choice. `exits`: (target, name, condition, reason)."""
    source = phase_id(number)
    if len(exits) > 1:
        source = b.add(move_gateway_id(number), "exclusiveGateway", f"Ud af fase {number}?", col=col + 2)
        b.flow(phase_id(number), source)
    for target, name, condition, reason in exits:
        b.flow(
            source,
            target,
            f"{name} ({REASON})" if reason else name,
            condition=condition if len(exits) > 1 else None,
            emphasis=reason,
        )


def _move_exits(moves: list[ambulatory.AllowedMove]) -> list[tuple[str, str, str | None, bool]]:
    return [
        (
            phase_id(m.to),
            f"→ {m.to} {m.name}",
            f"move_phase(to={m.to}{', reason' if m.reason_required else ''})",
            m.reason_required,
        )
        for m in moves
    ]


# -- the processes -----------------------------------------------------------------


def build_ambulatory() -> Process:
    b = Builder(
        "ambulatory",
        "Ambulant forløb (ambulatory pathway), fase 1–4",
        "The ambulatory pathway (spec §3): each phase with the mandatory activities (skal-aktiviteter) "
        "that become staff tasks and gate leaving it, each task's overdue timer, the allowed moves "
        f"(those marked '{REASON}' need a reason), the planned closure, the unplanned end from any phase, "
        "and admission to an inpatient stay in any phase.",
        (
            "dualpath/domain/ambulatory.py: PHASE_NAMES, ALLOWED_MOVES, allowed_moves, check_end, EndReason, "
            "PLANNED_ENDS, LEVEL_AFTER_END",
            "dualpath/domain/catalogue.py: load_catalogue().mandatory('ambulatory', phase)",
            "dualpath/workflows/pathway.py: PathwayWorkflow (updates, first phase, the §82c clock)",
            "dualpath/domain/first_contact.py: TASK, PHASE, warn_on, passed_on",
        ),
    )
    wf = pathway.PathwayWorkflow
    first = pathway_messages.PathwayState.model_fields["phase"].default
    b.add(
        "start",
        "startEvent",
        f"Henvisning accepteret: forløbet starter i fase {first}",
        detail=(ev.PathwayStarted.__name__,),
    )
    cols = _phase_blocks(b, "ambulatory", ambulatory.PHASE_NAMES, col0=1)
    b.flow("start", phase_id(first))
    _first_contact(b, wf, cols[first_contact.PHASE])
    last_col = max(cols.values()) + 3

    end_update = has_member(wf, "end_pathway")
    unplanned: dict[int, list[str]] = {}
    planned_ends: list[ambulatory.EndReason] = []
    for number in sorted(ambulatory.PHASE_NAMES):
        exits = _move_exits(ambulatory.allowed_moves(number))
        for reason in ambulatory.EndReason:
            if not is_allowed(ambulatory.check_end, number, reason, "a reason"):
                continue
            if reason in ambulatory.PLANNED_ENDS:
                level = ambulatory.LEVEL_AFTER_END.get(reason)
                end = f"end_{reason.value}"
                if end not in b.nodes:
                    planned_ends.append(reason)
                    b.add(
                        end,
                        "endEvent",
                        f"Planlagt afslutning: {reason.value}" + (f" (→ {level.value})" if level else ""),
                        col=last_col,
                        detail=(ev.PathwayEnded.__name__, *_FOLLOWED.get(reason, ())),
                    )
                needs = not is_allowed(ambulatory.check_end, number, reason, None)
                exits.append((end, reason.value, f"{end_update}({reason.value})", needs))
            else:
                unplanned.setdefault(number, []).append(reason.value)
        _phase_exits(b, number, cols[number], exits)
    for i, reason in enumerate(planned_ends):
        b.nodes[f"end_{reason.value}"] = moved(b.nodes[f"end_{reason.value}"], row=i - (len(planned_ends) - 1) / 2)

    if unplanned:
        reasons = [r.value for r in ambulatory.EndReason if any(r.value in rs for rs in unplanned.values())]
        needs = any(
            not is_allowed(ambulatory.check_end, n, ambulatory.EndReason(r), None)
            for n, rs in unplanned.items()
            for r in rs
        )
        b.add(
            "end_unplanned",
            "endEvent",
            f"Uplanlagt afslutning: {', '.join(reasons)}",
            band=1,
            col=last_col,
            detail=(ev.PathwayEnded.__name__, "åbne opgaver annulleres"),
        )
        for number in sorted(unplanned):
            boundary = b.add(
                f"{phase_id(number)}_unplanned",
                "boundaryEvent",
                f"{end_update}: uplanlagt" + (f" ({REASON})" if needs else ""),
                attached_to=phase_id(number),
                event="message",
                ref=end_update,
            )
            b.flow(boundary, "end_unplanned")

    admit = has_member(wf, "admit")
    discharged = has_member(wf, "stay_discharged")
    b.add(
        "admission",
        "subProcess",
        "Indlæggelse (i enhver fase; forløbet fortsætter)",
        band=2,
        triggered_by_event=True,
        col=1,
    )
    b.add(
        "admission_start",
        "startEvent",
        f"{admit}: indlæggelse",
        parent="admission",
        event="message",
        ref=admit,
        interrupting=False,
        col=1,
    )
    b.add(
        "admission_stay",
        "callActivity",
        f"Indlæggelse ({inpatient_stay.InpatientStayWorkflow.__name__})",
        parent="admission",
        col=2,
        called="Process_inpatient",
        detail=(f"niveau: {ambulatory.LevelOfCare.inpatient.value}",),
    )
    b.add("admission_end", "endEvent", f"{discharged}: niveauet vender tilbage", parent="admission", col=3)
    b.flow("admission_start", "admission_stay")
    b.flow("admission_stay", "admission_end")
    # A contact at the acute function without admission (issue #18 item 4): recorded, nothing else changes.
    acute_contact = has_member(wf, "record_acute_contact")
    b.add(
        "acute_contact",
        "subProcess",
        "Kontakt i akutfunktionen uden indlæggelse (i enhver fase)",
        band=2,
        triggered_by_event=True,
        col=5,
    )
    b.add(
        "acute_contact_start",
        "startEvent",
        f"{acute_contact}: kontakt i akutfunktionen",
        parent="acute_contact",
        event="message",
        ref=acute_contact,
        interrupting=False,
        col=5,
    )
    b.add(
        "acute_contact_end",
        "endEvent",
        f"{ev.AcuteContactRecorded.__name__}: sendt hjem, henvist videre eller indlagt",
        parent="acute_contact",
        col=6,
    )
    b.flow("acute_contact_start", "acute_contact_end")
    return b.build()


def _first_contact(b: Builder, wf: type, col: float) -> None:
    """The §82c clock in the phase the first treatment contact is recorded in: the contact ends it; before
    the start deadline a task opens for the pathway's clinicians; when it passes, the pathway escalates."""
    record = has_member(wf, "record_first_contact")
    days = inspect.signature(referral_rules.start_deadline).parameters["days"].default
    warn_days = referral_rules.WARN_DAYS_BEFORE_DEADLINE
    sid = phase_id(first_contact.PHASE)
    tid = b.add(
        f"{sid}_first_contact",
        "userTask",
        f"Første behandlingskontakt ({record})",
        parent=sid,
        col=col,
        row=-2.5,
        detail=(
            ev.FirstTreatmentContact.__name__,
            f"§82c: senest {days} dage efter modtagelsen (henvisningens start_deadline)",
        ),
    )
    warn = b.due_timer(
        f"{tid}_warn",
        f"{warn_days} dage før fristen uden kontakt",
        tid,
        ("timeDate", f"midnight of start_deadline - {warn_days} days (Europe/Copenhagen)"),
        parent=sid,
        side="right",
    )
    passed = b.due_timer(
        f"{tid}_deadline",
        f"§82c-fristen ({days} dage) overskredet",
        tid,
        ("timeDate", "midnight after start_deadline (Europe/Copenhagen)"),
        parent=sid,
    )
    b.add(
        f"{tid}_task",
        "endEvent",
        f"{ev.FirstContactDeadlineApproaching.__name__}: opgave {first_contact.TASK} til behandlerne",
        parent=sid,
        col=col + 1,
        row=-3,
    )
    b.escalation(
        f"{tid}_escalated",
        f"{ev.FirstContactDeadlinePassed.__name__}: opgaven forfalden (Overdue)",
        ev.FirstContactDeadlinePassed.__name__,
        parent=sid,
        col=col + 1,
        row=-2,
    )
    b.flow(warn, f"{tid}_task")
    b.flow(passed, f"{tid}_escalated")


def build_inpatient() -> Process:
    b = Builder(
        "inpatient",
        "Indlæggelse (inpatient stay), fase 1–4",
        "The inpatient stay (spec §4): each phase with its mandatory activities (some only when a "
        "condition holds), each task's overdue timer, the allowed moves, discharge from phase "
        f"{DISCHARGE_PHASE}, and the follow-up tasks after discharge; the stay ends when they are closed.",
        (
            "dualpath/domain/inpatient.py: PHASE_NAMES, ALLOWED_MOVES, allowed_moves, FOLLOW_UP_TITLES",
            "dualpath/domain/catalogue.py: load_catalogue().mandatory('inpatient', phase)",
            "dualpath/workflows/inpatient_stay.py: InpatientStayWorkflow (updates, signals)",
        ),
    )
    wf = inpatient_stay.InpatientStayWorkflow
    first = min(inpatient.PHASE_NAMES)
    admit = has_member(pathway.PathwayWorkflow, "admit")
    b.add(
        "start",
        "startEvent",
        f"{admit}: indlagt fra det ambulante forløb",
        event="message",
        ref=admit,
        detail=(ev.AdmissionStarted.__name__,),
    )
    # Entry through the acute function (issue #18 item 4): a pathway that starts with its stay.
    b.add(
        "start_with_pathway",
        "startEvent",
        "Forløbet starter med indlæggelsen: accept til indlæggelsesforløb eller akut indlæggelse "
        "(POST /acute-admissions)",
        event="message",
        ref=pathway_admission.ADMIT_AT_START,
        row=1,
        detail=(ev.AdmissionStarted.__name__,),
    )
    cols = _phase_blocks(b, "inpatient", inpatient.PHASE_NAMES, col0=1)
    b.flow("start", phase_id(first))
    b.flow("start_with_pathway", phase_id(first))
    # Leave before discharge (orlov): granted, and how it went, beside the phase's mandatory tasks.
    grant, went = has_member(wf, "grant_leave"), has_member(wf, "record_leave_outcome")
    k = len(catalogue_module.load_catalogue().mandatory("inpatient", DISCHARGE_PHASE))
    b.add(
        "leave",
        "userTask",
        f"Orlov før udskrivelsen: {grant} ({ev.LeaveGranted.__name__}), {went} ({ev.LeaveEnded.__name__})",
        parent=phase_id(DISCHARGE_PHASE),
        col=cols[DISCHARGE_PHASE],
        row=(k + 1) / 2,
        detail=(f"planen åbner {leave.OFFER_TASK}; {leave.OUTCOME_TASK} forfalder dagen efter orloven",),
    )
    discharge = has_member(wf, "discharge")
    col = max(cols.values()) + 3
    b.add(
        "discharged",
        "intermediateThrowEvent",
        f"Udskrevet ({ev.PatientDischarged.__name__}); {stay_messages.STAY_DISCHARGED_SIGNAL} til forløbet",
        event="signal",
        ref=stay_messages.STAY_DISCHARGED_SIGNAL,
        col=col,
    )
    for number in sorted(inpatient.PHASE_NAMES):
        exits = _move_exits(inpatient.allowed_moves(number))
        if number == DISCHARGE_PHASE:
            # Before non-working days, or without the meeting the stay called for: only with the reason.
            exits.append(("discharged", f"{discharge} (før fridage / uden mødet)", f"{discharge}(discharged_on)", True))
        _phase_exits(b, number, cols[number], exits)

    fu = b.add("follow_up", "subProcess", "Opfølgning efter udskrivelse", col=col + 1)
    b.add("follow_up_start", "startEvent", "", parent=fu, col=col + 1)
    b.add("follow_up_split", "inclusiveGateway", "Efter udskrivelsesdag og ambulant forløb", parent=fu, col=col + 2)
    b.add("follow_up_join", "inclusiveGateway", "", parent=fu, col=col + 5)
    b.add("follow_up_done", "endEvent", "Opfølgning lukket", parent=fu, col=col + 6)
    b.flow("follow_up_start", "follow_up_split")
    k = len(inpatient.FOLLOW_UP_TITLES)
    for i, (kind, title) in enumerate(inpatient.FOLLOW_UP_TITLES.items()):
        tid = b.add(f"follow_up_{kind}", "userTask", title, parent=fu, col=col + 3, row=i - (k - 1) / 2, detail=(kind,))
        boundary = b.due_timer(
            f"{tid}_timer",
            "forfalden",
            tid,
            ("timeDate", "midnight after due (Europe/Copenhagen)"),
            parent=fu,
            side="right",
        )
        b.flow("follow_up_split", tid)
        b.flow(tid, "follow_up_join")
        b.flow(boundary, "follow_up_overdue")
    b.escalation(
        "follow_up_overdue", TASK_OVERDUE, ev.TaskOverdue.__name__, parent=fu, col=col + 4, row=(k - 1) / 2 + 0.5
    )
    b.flow("follow_up_join", "follow_up_done")
    b.add("stay_end", "endEvent", f"Opholdet afsluttet ({ev.StayEnded.__name__})", col=col + 7)
    b.flow("discharged", fu)
    b.flow(fu, "stay_end")
    return b.build()
