"""The cross-sector transition (spec §5): its states are explored from the domain rules, not listed here."""

from __future__ import annotations

from collections import defaultdict
from typing import Literal, TypeAlias, get_args

from pydantic import BaseModel

from dualpath.diagrams.model import Builder, Process, has_members, is_allowed, require_field
from dualpath.domain import events as ev
from dualpath.domain import transition as transition_rules
from dualpath.domain import transition_events as tev
from dualpath.domain import transition_records as records
from dualpath.workflows import pathway, transition_messages
from dualpath.workflows import transition as transition_wf

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


def _literal(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The values a Literal field of a command model takes."""
    values = get_args(model.model_fields[name].annotation)
    if not values:
        raise ValueError(f"{model.__name__}.{name} is not a Literal: the transition diagram needs updating")
    return values


# Where a step leads: the next Situation, or the transition's completion.
Next: TypeAlias = transition_rules.Situation | Literal["complete"]
Edge: TypeAlias = tuple[transition_rules.Situation, str, str, Next]


def _step_of(s: transition_rules.Situation) -> transition_rules.Step:
    step = transition_rules.current_step(s)
    if step is None:
        raise ValueError(f"transition state {s.state!r} waits for no step: the transition diagram needs updating")
    return step


def _transition_next(s: transition_rules.Situation, command: str) -> list[tuple[str, Next]]:
    """What a step leads to, as the workflow's update applies it: (label, next Situation or 'complete')."""
    same: list[tuple[str, Next]] = [(command, s)]
    at = lambda state, **kw: s.model_copy(update={"state": state, **kw})  # noqa: E731
    if command == "assess":
        return [(command, at("assessed" if s.branch == "dialogue" else "assessed_alone"))]
    if command == "record_agreement":
        return [(f"{command}(on={on})", at("agreed", settled=on)) for on in _literal(records.Agreement, "on")]
    if command == "record_disagreement":
        return [(command, at("disagreed"))]
    if command == "record_collaboration_meeting":
        out: list[tuple[str, Next]] = []
        for outcome in _literal(records.CollaborationMeeting, "outcome"):
            if outcome == "agree":
                out += [
                    (f"{command}({outcome}, {on})", at("agreed", settled=on))
                    for on in _literal(records.CollaborationMeeting, "agreed_on")
                ]
            else:
                out.append((f"{command}({outcome})", at("collaboration_meeting_held")))
        return out
    if command == "psychiatry_decides":
        return [
            (f"{command}({d})", at("psychiatry_decided", settled=d))
            for d in _literal(records.PsychiatryDecision, "decision")
        ]
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


def transition_graph(
    direction: transition_rules.Direction = "to_integrated",
) -> tuple[dict[str, list[transition_rules.Situation]], dict[str, list[Edge]], list[str]]:
    """Per branch: the states reached from `reported` and the steps `allowed_commands` allows in each,
    with where each leads. Returns ({branch: [Situation]}, {branch: [(Situation, command, label, next)]},
    the commands allowed in every open state)."""
    T = transition_rules
    situations: dict[str, list[transition_rules.Situation]] = {}
    edges: dict[str, list[Edge]] = {}
    open_sets = []
    for branch in get_args(T.Branch):
        first = T.Situation(direction=direction, branch=branch, state="reported")
        seen, queue = [first], [first]
        out: list[Edge] = []
        while queue:
            s = queue.pop(0)
            allowed = T.allowed_commands(s)
            open_sets.append(set(allowed))
            for command in allowed:
                for label, nxt in _transition_next(s, command):
                    out.append((s, command, label, nxt))
                    if isinstance(nxt, T.Situation) and nxt not in seen and nxt.state not in TRANSITION_FINAL_STATES:
                        seen.append(nxt)
                        queue.append(nxt)
        situations[branch], edges[branch] = seen, out
    always = [c for c in get_args(T.Command) if all(c in a for a in open_sets)]
    return situations, edges, always


def build_transition() -> Process:
    T = transition_rules
    b = Builder(
        "transition",
        "Overgang (transition): fra koordineret til integreret behandling og tilbage",
        "The cross-sector transition (spec §5): a reported worsening (or a proposed move back), the branch "
        "on the patient's consent to dialogue between the sectors, the region's immediate assessment, "
        "enighed/uenighed, the samarbejdsmøde without the patient, psychiatry's decision, who says what "
        "to the patient, the netværksmøde, and completion that starts an ambulatory pathway or awaits the "
        "integrated pathway's closure. Every state is the task of its step with the step's due date "
        f"(working days; escalated when passed); steps marked '{PATIENT_FACING_MARK}' reach the patient and "
        f"are refused before the parties agree ('{NOT_BEFORE_AGREEMENT}').",
        (
            "dualpath/domain/transition.py: State, Branch, Command, allowed_commands(Situation), check_command, "
            "current_step, step_owner, DEFAULT_STEP_DUE_DAYS, STEP_TITLES, PATIENT_FACING, patient_may_be_involved, "
            "branch_for, outcome_at_completion",
            "dualpath/workflows/transition.py: TransitionWorkflow (updates, the state each leads to, completion)",
        ),
    )
    commands = get_args(T.Command)
    states = get_args(T.State)
    has_members(transition_wf.TransitionWorkflow, commands)
    for state in ("reported", *TRANSITION_FINAL_STATES):
        if state not in states:
            raise ValueError(f"transition State has no {state!r}: the transition diagram needs updating")
    situations, edges, always = transition_graph()
    for direction in get_args(T.Direction):
        other = transition_graph(direction)
        if [[(s.state, s.settled) for s in ss] for ss in other[0].values()] != [
            [(s.state, s.settled) for s in ss] for ss in situations.values()
        ]:
            raise ValueError(f"the steps depend on the direction ({direction}): the transition diagram needs updating")
    due_days = T.DEFAULT_STEP_DUE_DAYS

    def owner(step: transition_rules.Step) -> str:
        owners = {d: "/".join(T.step_owner(step, d)) for d in get_args(T.Direction)}
        if len(set(owners.values())) == 1:
            return next(iter(owners.values()))
        return ", ".join(f"{o} ({d})" for d, o in owners.items())

    def step_overdue(tid: str, step: transition_rules.Step, parent: str | None = None, **place: float) -> None:
        """The step's due timer on its task `tid`, escalating to the overdue end event placed at `place`."""
        days = due_days[step]
        when = ("timeDate", f"midnight after {days} working days (Europe/Copenhagen)")
        timer = b.due_timer(f"{tid}_timer", f"{step} forfalden efter {days} hverdage", tid, when, parent=parent)
        overdue = tev.TransitionStepOverdue.__name__
        name = f"{overdue}, {ev.TaskOverdue.__name__} (Overdue)"
        b.flow(timer, b.escalation(f"{tid}_overdue", name, overdue, parent=parent, **place))

    b.add(
        "start",
        "startEvent",
        f"Forværring meldt, eller tilbageføring foreslået ({tev.TransitionReported.__name__})",
        detail=(f"retning: {', '.join(get_args(T.Direction))}",),
    )
    b.add("gw_branch", "exclusiveGateway", "Samtykke til dialog mellem kommune og region?", col=1)
    b.flow("start", "gw_branch")
    consents = {br: [c for c in get_args(T.DialogueConsent) if T.branch_for(c) == br] for br in get_args(T.Branch)}
    branch_names = {
        "dialogue": "Dialog mellem sektorerne (samtykke givet)",
        "no_consent": "Uden samtykke: psykiatrien vurderer alene og taler med patienten",
    }
    col0 = 2
    start_col = col0 + 0.5

    def col_of(d: int) -> float:  # a state's column from its depth
        return start_col + 1 + 2 * d

    last_cols = []
    split = {br: {s.state for s in ss if sum(1 for o in ss if o.state == s.state) > 1} for br, ss in situations.items()}

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
                if isinstance(nxt, T.Situation) and sid(nxt) != sid(s) and nxt.state not in TRANSITION_FINAL_STATES:
                    depth[sid(nxt)] = max(depth.get(sid(nxt), 0), depth[sid(s)] + 1)
        by_depth: dict[int, list] = defaultdict(list)
        for s in ss:
            by_depth[depth[sid(s)]].append(s)
        b.add(f"{branch}_start", "startEvent", "", parent=sp, col=start_col)
        b.flow(f"{branch}_start", sid(ss[0]))
        for d, group in sorted(by_depth.items()):
            for i, s in enumerate(group):
                row = 1.6 * (i - (len(group) - 1) / 2)
                step = _step_of(s)
                detail = [f"trin {step}: frist {due_days[step]} hverdage · {owner(step)}", f"{T.STEP_TITLES[step]}"]
                if not T.patient_may_be_involved(s):
                    refused = [c for c in commands if c in T.PATIENT_FACING and not is_allowed(T.check_command, s, c)]
                    if refused:
                        rule = NOT_BEFORE_ASSESSMENT if branch == "no_consent" else NOT_BEFORE_AGREEMENT
                        detail.append(f"⛔ {rule}: {', '.join(refused)} afvises")
                name = s.state + (f" ({s.settled})" if s.state in split[branch] else "")
                tid = b.add(sid(s), "userTask", name, parent=sp, col=col_of(d), row=row, detail=tuple(detail))
                step_overdue(tid, step, parent=sp, col=col_of(d) + 0.6, row=row + 0.7)
        end_col = col_of(max(by_depth) + 1)
        last_cols.append(end_col)
        done = b.add(
            f"{branch}_complete",
            "endEvent",
            "complete: til udfaldet",
            parent=sp,
            col=end_col,
            detail=(tev.TransitionCompleted.__name__,),
        )
        for s in ss:
            exits = [(c, label, nxt) for s2, c, label, nxt in es if s2 == s and c not in always]
            source = sid(s)
            if len(exits) > 1:
                source = b.add(
                    f"gw_{sid(s)}",
                    "exclusiveGateway",
                    "",
                    parent=sp,
                    col=col_of(depth[sid(s)]) + 1,
                    row=b.nodes[sid(s)].row,
                )
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
    outcomes = get_args(records.Outcome)
    if set(outcomes) != {"transition", "no_transition"}:
        raise ValueError("the transition outcomes changed: the transition diagram needs updating")
    pw = pathway.PathwayWorkflow.__name__
    b.add(
        "start_pathway",
        "callActivity",
        f"Ambulant forløb startes ({pw}, lever videre)",
        col=col + 1,
        row=-1,
        called="Process_ambulatory",
        detail=("closure=started", "fælles plan flyttes til forløbet"),
    )
    b.add("end_started", "endEvent", f"completed ({tev.TransitionCompleted.__name__})", col=col + 3, row=-1)
    b.flow(
        gw,
        "start_pathway",
        "transition, to_integrated",
        condition="outcome == 'transition' and direction == 'to_integrated'",
    )
    b.flow("start_pathway", "end_started")
    # A target group not yet open in the region: held until it opens, as a referral is (TransitionInput.opens_on).
    b.add(
        "held",
        "intermediateCatchEvent",
        f"closure=held: målgruppen åbner ({tev.TransitionReleased.__name__})",
        event="timer",
        timer=("timeDate", require_field(transition_messages.TransitionInput.model_fields, "opens_on")),
        col=col + 0.5,
        row=-2.2,
    )
    b.flow(
        gw,
        "held",
        "transition, to_integrated, målgruppen ikke åbnet",
        condition="outcome == 'transition' and today < opens_on",
    )
    b.flow("held", "start_pathway")
    step = _step_of(T.Situation(direction="to_coordinated", branch="dialogue", state="closure_awaited"))
    b.add(
        "closure_awaited",
        "receiveTask",
        f"closure_awaited: {T.STEP_TITLES[step]}",
        col=col + 1,
        row=0.3,
        detail=(
            f"trin {step}: frist {due_days[step]} hverdage · {owner(step)}",
            "pathway_ended: det integrerede forløbs end_pathway",
        ),
    )
    step_overdue("closure_awaited", step, col=col + 2, row=1.3)
    b.add("end_closed", "endEvent", f"completed ({tev.TransitionPathwayClosed.__name__})", col=col + 3, row=0.3)
    b.flow(
        gw,
        "closure_awaited",
        "transition, to_coordinated",
        condition="outcome == 'transition' and direction == 'to_coordinated'",
    )
    b.flow("closure_awaited", "end_closed")
    b.add(
        "end_no_transition",
        "endEvent",
        f"completed: ingen overgang ({tev.TransitionCompleted.__name__})",
        col=col + 3,
        row=-2,
    )
    b.flow(gw, "end_no_transition", "no_transition", condition="outcome == 'no_transition'")

    if always:
        band = len(get_args(T.Branch))
        ev_sp = b.add(
            "tasks",
            "subProcess",
            f"Opgaver i enhver åben tilstand ({', '.join(always)})",
            band=band,
            triggered_by_event=True,
            col=col0,
        )
        first, *rest = always
        b.add(
            "tasks_start",
            "startEvent",
            f"{first}: en ekstra opgave",
            parent=ev_sp,
            event="message",
            ref=first,
            interrupting=False,
            col=col0 + 0.5,
        )
        b.add(
            "tasks_task",
            "userTask",
            "Ekstra opgave",
            parent=ev_sp,
            col=col0 + 1.5,
            detail=(f"involves_patient: {NOT_BEFORE_AGREEMENT}", "ingen opgave til kommunen uden samtykke"),
        )
        b.add("tasks_end", "endEvent", f"{', '.join(rest)} ({ev.TaskCompleted.__name__})", parent=ev_sp, col=col0 + 2.5)
        b.flow("tasks_start", "tasks_task")
        b.flow("tasks_task", "tasks_end")
    return b.build()
