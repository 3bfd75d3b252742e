"""The process diagrams under docs/diagrams/ are generated from the tables the workflows
execute, and fail here when they no longer match the code (regenerate: `dualpath diagram --write`)."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import get_args

import pytest
from temporalio.exceptions import ApplicationError

from dualpath import diagrams
from dualpath.domain import ambulatory, inpatient
from dualpath.domain import campaign as campaign_rules
from dualpath.domain import catalogue as catalogue_module
from dualpath.domain import meetings as meeting_rules
from dualpath.domain import transition as transition_rules
from dualpath.domain.catalogue import load_catalogue
from dualpath.workflows import referral
from dualpath.workflows.inpatient_stay import InpatientStayWorkflow
from dualpath.workflows.transition import TransitionWorkflow

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "diagrams"
REGENERATE = "regenerate with `dualpath diagram --write` and commit the result"

M = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
NOT_FLOW_NODES = {"sequenceFlow", "documentation", "incoming", "outgoing", "conditionExpression"}
PHASED = [("ambulatory", ambulatory), ("inpatient", inpatient)]


# -- helpers ---------------------------------------------------------------------------


class Mermaid:
    """Just enough of a flowchart parser: nodes (with the subgraph they are in), subgraphs, edges."""

    NODE = re.compile(r'^(\w+)(\(\(\(|\(\(|\(\[|\[\[|\(|\{|\[)"(.*)"(\)\)\)|\)\)|\]\)|\]\]|\)|\}|\])$')
    EDGE = re.compile(r'^(\w+) (-->|==>|-\.->|-\.-)(?:\|"([^"]*)"\|)? (\w+)$')
    SUBGRAPH = re.compile(r'^subgraph (\w+)\["([^"]*)"\]$')

    def __init__(self, text: str):
        lines = text.splitlines()
        assert lines[0] == "flowchart LR"
        self.nodes: dict[str, tuple[str, str | None]] = {}  # id -> (label, subgraph)
        self.subgraphs: dict[str, tuple[str, str | None]] = {}
        self.edges: list[tuple[str, str, str, str]] = []  # (source, arrow, label, target)
        stack: list[str] = []
        for raw in lines[1:]:
            line = raw.strip()
            if not line or line.startswith("%%"):
                continue
            if m := self.SUBGRAPH.match(line):
                self.subgraphs[m[1]] = (m[2], stack[-1] if stack else None)
                stack.append(m[1])
            elif line == "end":
                stack.pop()
            elif m := self.EDGE.match(line):
                self.edges.append((m[1], m[2], m[3] or "", m[4]))
            elif m := self.NODE.match(line):
                assert m[1] not in self.nodes, f"node {m[1]} declared twice"
                self.nodes[m[1]] = (m[3], stack[-1] if stack else None)
            else:
                raise AssertionError(f"unexpected Mermaid line: {raw!r}")
        assert not stack, "a subgraph is not closed"

    def plain(self, node_id: str) -> str:
        """A node's label as text: line breaks joined, entity codes decoded."""
        label = self.nodes[node_id][0]
        label = re.sub(r"<br/>", " ", label).replace("<i>", "").replace("</i>", "")
        return label.replace("#quot;", '"').replace("#lt;", "<").replace("#gt;", ">").replace("#35;", "#")

    def edge(self, sources: set[str], target: str) -> tuple[str, str, str, str] | None:
        return next((e for e in self.edges if e[0] in sources and e[3] == target), None)


class Bpmn:
    def __init__(self, text: str):
        self.root = ET.fromstring(text.encode("utf-8"))
        self.process = self.root.find(f"{M}process")
        self.by_id: dict[str, ET.Element] = {}
        self.parent: dict[str, ET.Element] = {}
        for el in self.root.iter():
            if el.get("id"):
                assert el.get("id") not in self.by_id, f"duplicate id {el.get('id')}"
                self.by_id[el.get("id")] = el
        for container in [self.process, *self.process.iter(f"{M}subProcess")]:
            for child in container:
                if child.get("id"):
                    self.parent[child.get("id")] = container
        self.flows = [f for f in self.process.iter(f"{M}sequenceFlow")]
        self.flow_nodes = [
            el
            for c in [self.process, *self.process.iter(f"{M}subProcess")]
            for el in c
            if _local(el.tag) not in NOT_FLOW_NODES
        ]

    def flow(self, sources: set[str], target: str) -> ET.Element | None:
        return next((f for f in self.flows if f.get("sourceRef") in sources and f.get("targetRef") == target), None)


def _local(tag: str) -> str:
    return tag.split("}")[1]


def _exits(number: int) -> set[str]:
    return {diagrams.phase_id(number), diagrams.move_gateway_id(number)}


# -- the committed files are what the code generates now ---------------------------------


@pytest.mark.parametrize("name", list(diagrams.files()))
def test_committed_file_matches_the_code(name):
    path = DOCS / name
    assert path.exists(), f"{path} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == diagrams.files()[name], (
        f"{path.relative_to(ROOT)} no longer matches the code: {REGENERATE}"
    )


def test_no_stale_files_in_docs_diagrams():
    assert {p.name for p in DOCS.iterdir()} == set(diagrams.files()), REGENERATE


def test_readme_embeds_each_mermaid_diagram_and_names_what_is_to_come():
    text = (DOCS / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.S | re.M)
    assert blocks == [diagrams.mermaid(p) for p in diagrams.PROCESSES]
    for process in diagrams.PROCESSES:
        assert f"[{process}.bpmn]({process}.bpmn)" in text
    # Every process of the spec is drawn now: nothing is listed as still to come.
    assert diagrams.STILL_TO_COME == {}
    assert "Still to come" not in text
    assert "dualpath diagram --write" in text and "bpmn.io" in text and "Camunda Modeler" in text


def test_a_changed_move_table_gives_a_different_diagram(monkeypatch):
    before_mmd, before_bpmn = diagrams.mermaid("ambulatory"), diagrams.bpmn("ambulatory")
    # A relapse straight back to start-up: not in the table today.
    assert diagrams.phase_id(1) not in {e[3] for e in Mermaid(before_mmd).edges if e[0] in _exits(2)}
    monkeypatch.setitem(ambulatory.ALLOWED_MOVES, 2, (1, 3))

    mmd, doc = Mermaid(diagrams.mermaid("ambulatory")), Bpmn(diagrams.bpmn("ambulatory"))
    assert diagrams.mermaid("ambulatory") != before_mmd
    assert diagrams.bpmn("ambulatory") != before_bpmn
    assert mmd.edge(_exits(2), diagrams.phase_id(1)) is not None
    assert doc.flow(_exits(2), diagrams.phase_id(1)) is not None
    # …which the committed files no longer match: the comparison above would fail.
    assert diagrams.files()["ambulatory.mmd"] != (DOCS / "ambulatory.mmd").read_text(encoding="utf-8")


def test_a_changed_catalogue_gives_a_different_diagram(monkeypatch):
    raw = load_catalogue().model_dump()
    raw["ambulatory"][1]["activities"].append(
        {
            "key": "extra_check",
            "name_da": "Ekstra kontrol af behandlingsplanen",
            "mandatory": True,
            "owner_role": "clinician",
            "due_days": 5,
            "condition": None,
        }
    )
    changed = catalogue_module.Catalogue.model_validate(raw)
    monkeypatch.setattr(catalogue_module, "load_catalogue", lambda version=catalogue_module.CURRENT_VERSION: changed)

    mmd, doc = Mermaid(diagrams.mermaid("ambulatory")), Bpmn(diagrams.bpmn("ambulatory"))
    node = diagrams.task_id(2, "extra_check")
    assert mmd.nodes[node][1] == diagrams.phase_id(2)
    assert "Ekstra kontrol af behandlingsplanen" in mmd.plain(node)
    assert doc.by_id[node].get("name") == "Ekstra kontrol af behandlingsplanen"
    assert doc.parent[node].get("id") == diagrams.phase_id(2)
    assert diagrams.files()["ambulatory.bpmn"] != (DOCS / "ambulatory.bpmn").read_text(encoding="utf-8")


# -- what the diagrams show ---------------------------------------------------------


@pytest.mark.parametrize("process, module", PHASED)
def test_every_phase_is_labelled_with_its_danish_name(process, module):
    mmd, doc = Mermaid(diagrams.mermaid(process)), Bpmn(diagrams.bpmn(process))
    for number, name in module.PHASE_NAMES.items():
        assert mmd.subgraphs[diagrams.phase_id(number)][0] == f"{number} {name}"
        el = doc.by_id[diagrams.phase_id(number)]
        assert _local(el.tag) == "subProcess" and el.get("name") == f"{number} {name}"


@pytest.mark.parametrize("process, module", PHASED)
def test_every_allowed_move_is_an_edge_in_both_formats(process, module):
    mmd, doc = Mermaid(diagrams.mermaid(process)), Bpmn(diagrams.bpmn(process))
    for number in module.PHASE_NAMES:
        for move in module.allowed_moves(number):
            target = diagrams.phase_id(move.to)
            edge = mmd.edge(_exits(number), target)
            assert edge is not None, f"Mermaid: no edge for the move {number}→{move.to}"
            flow = doc.flow(_exits(number), target)
            assert flow is not None, f"BPMN: no sequenceFlow for the move {number}→{move.to}"
            if move.reason_required:
                assert edge[1] == "==>" and diagrams.REASON in edge[2]
                assert diagrams.REASON in flow.get("name")
            else:
                assert edge[1] == "-->" and diagrams.REASON not in edge[2]
                assert diagrams.REASON not in (flow.get("name") or "")


@pytest.mark.parametrize("process, module", PHASED)
def test_no_move_is_drawn_that_the_table_does_not_allow(process, module):
    mmd, doc = Mermaid(diagrams.mermaid(process)), Bpmn(diagrams.bpmn(process))
    allowed = {(n, m.to) for n in module.PHASE_NAMES for m in module.allowed_moves(n)}
    owner = {i: n for n in module.PHASE_NAMES for i in _exits(n)}
    phases = {diagrams.phase_id(n): n for n in module.PHASE_NAMES}
    drawn_mmd = {(owner[s], phases[t]) for s, _, _, t in mmd.edges if s in owner and t in phases}
    drawn_bpmn = {
        (owner[f.get("sourceRef")], phases[f.get("targetRef")])
        for f in doc.flows
        if f.get("sourceRef") in owner and f.get("targetRef") in phases
    }
    assert drawn_mmd == allowed == drawn_bpmn


@pytest.mark.parametrize("process, module", PHASED)
def test_every_mandatory_activity_of_every_phase_appears(process, module):
    mmd, doc = Mermaid(diagrams.mermaid(process)), Bpmn(diagrams.bpmn(process))
    catalogue = load_catalogue()
    for number in module.PHASE_NAMES:
        activities = catalogue.mandatory(process, number)
        assert activities, f"{process} phase {number} has no mandatory activity"
        for a in activities:
            node = diagrams.task_id(number, a.key)
            assert mmd.nodes[node][1] == diagrams.phase_id(number)
            assert a.name_da in mmd.plain(node) and f"frist {a.due_days} dag" in mmd.plain(node)
            if a.condition:
                assert a.condition in mmd.plain(node)
            task = doc.by_id[node]
            assert _local(task.tag) == "userTask" and task.get("name") == a.name_da
            assert doc.parent[node].get("id") == diagrams.phase_id(number)
            timers = [b for b in doc.process.iter(f"{M}boundaryEvent") if b.get("attachedToRef") == node]
            assert len(timers) == 1 and timers[0].get("cancelActivity") == "false"
            assert timers[0].find(f"{M}timerEventDefinition") is not None
        # Optional activities (kan-aktiviteter) are not tasks.
        for a in catalogue.phase(process, number).activities:
            if not a.mandatory:
                assert diagrams.task_id(number, a.key) not in doc.by_id


def test_the_ambulatory_ends_come_from_the_end_rules():
    mmd, doc = Mermaid(diagrams.mermaid("ambulatory")), Bpmn(diagrams.bpmn("ambulatory"))
    for reason in ambulatory.PLANNED_ENDS:
        end = f"end_{reason.value}"
        assert mmd.edge(_exits(4), end) and doc.flow(_exits(4), end)
        assert not any(mmd.edge(_exits(n), end) for n in (1, 2, 3))
    unplanned = [r.value for r in ambulatory.EndReason if r not in ambulatory.PLANNED_ENDS]
    assert all(r in mmd.plain("end_unplanned") for r in unplanned)
    for number in ambulatory.PHASE_NAMES:  # an unplanned end from any phase
        assert mmd.edge({diagrams.phase_id(number)}, "end_unplanned")[1] == "-.->"
        boundary = doc.by_id[f"{diagrams.phase_id(number)}_unplanned"]
        assert boundary.get("attachedToRef") == diagrams.phase_id(number)
        assert boundary.find(f"{M}messageEventDefinition") is not None


def test_the_inpatient_stay_discharges_from_the_phase_the_workflow_allows():
    allowed = []
    for number in inpatient.PHASE_NAMES:
        state = SimpleNamespace(phase=number)
        stand_in = SimpleNamespace(state=state, _require_admitted=lambda: None, _check_date=lambda d, what: None)
        try:
            InpatientStayWorkflow._check_discharge(stand_in, SimpleNamespace(discharged_on=date(2026, 4, 1)))
            allowed.append(number)
        except ApplicationError:
            pass
    assert allowed == [diagrams.DISCHARGE_PHASE]
    mmd, doc = Mermaid(diagrams.mermaid("inpatient")), Bpmn(diagrams.bpmn("inpatient"))
    assert mmd.edge(_exits(diagrams.DISCHARGE_PHASE), "discharged")
    assert doc.flow(_exits(diagrams.DISCHARGE_PHASE), "discharged")
    for kind, title in inpatient.FOLLOW_UP_TITLES.items():
        assert title in mmd.plain(f"follow_up_{kind}")
        assert doc.by_id[f"follow_up_{kind}"].get("name") == title


def test_the_referral_shows_its_statuses_timers_and_decision():
    mmd, doc = Mermaid(diagrams.mermaid("referral")), Bpmn(diagrams.bpmn("referral"))
    text = diagrams.mermaid("referral")
    for status in get_args(referral.ReferralStatus):
        assert status in text
        assert any(status in (el.get("name") or "") for el in doc.flow_nodes + doc.flows)
    held = doc.by_id["held"]
    assert _local(held.tag) == "intermediateCatchEvent" and held.find(f"{M}timerEventDefinition") is not None
    timers = [b for b in doc.process.iter(f"{M}boundaryEvent") if b.get("attachedToRef") == "decide"]
    assert len(timers) == 2 and all(b.get("cancelActivity") == "false" for b in timers)
    assert _local(doc.by_id["gw_decision"].tag) == "exclusiveGateway"
    assert {f.get("targetRef") for f in doc.flows if f.get("sourceRef") == "gw_decision"} == {
        "end_accepted",
        "end_declined",
    }
    assert mmd.edge({"decide"}, "end_warned")[1] == "-.->" and "⏱" in mmd.edge({"decide"}, "end_warned")[2]


def test_the_meeting_shows_every_status_command_and_the_overdue_timer():
    mmd, doc = Mermaid(diagrams.mermaid("meeting")), Bpmn(diagrams.bpmn("meeting"))
    for status in get_args(meeting_rules.MeetingStatus):
        assert status in diagrams.mermaid("meeting")
        if status in meeting_rules.OPEN:
            assert _local(doc.by_id[f"status_{status}"].tag) == "eventBasedGateway"
            for command in meeting_rules.allowed_commands(status):
                catch = doc.by_id[f"{status}_{command}"]
                assert catch.find(f"{M}messageEventDefinition") is not None
                assert mmd.edge({f"status_{status}"}, f"{status}_{command}")
    overdue = doc.by_id["overdue"]
    assert overdue.get("attachedToRef") == "open" and overdue.get("cancelActivity") == "false"
    assert str(meeting_rules.HOLD_WITHIN_WORKING_DAYS) in doc.by_id["hold_by"].get("name")


# -- the cross-sector transition (spec §5) --------------------------------------------------


def _situations():
    """Every state of the transition the diagram draws, by branch, with its node id."""
    situations, _, _ = diagrams.transition_graph()
    doc = Bpmn(diagrams.bpmn("transition"))
    out = []
    for branch, ss in situations.items():
        for s in ss:
            ids = [
                diagrams.transition_node_id(branch, s.state, s.settled),
                diagrams.transition_node_id(branch, s.state),
            ]
            node = next(i for i in ids if i in doc.by_id)
            out.append((s, node))
    return out


def _out_labels(mmd: Mermaid, doc: Bpmn, node: str) -> tuple[list[str], list[str]]:
    sources = {node, f"gw_{node}"}
    # (Mermaid draws a boundary timer's flow from its host, dotted: not a step.)
    return (
        [e[2] for e in mmd.edges if e[0] in sources and e[2] and e[1] != "-.->"],
        [f.get("name") for f in doc.flows if f.get("sourceRef") in sources and f.get("name")],
    )


def _command(label: str) -> str:
    return re.split(r"[( ]", label, maxsplit=1)[0]


def test_every_transition_state_is_drawn():
    doc = Bpmn(diagrams.bpmn("transition"))
    drawn = {s.state for s, _ in _situations()}
    assert "closure_awaited" in doc.by_id and any("completed" in (el.get("name") or "") for el in doc.flow_nodes)
    assert drawn | set(diagrams.TRANSITION_FINAL_STATES) == set(get_args(transition_rules.State))
    # Both branches start where the workflow starts, and the no-consent branch has no dialogue states.
    branches = {s.branch for s, _ in _situations()}
    assert branches == set(get_args(transition_rules.Branch))
    assert {s.state for s, _ in _situations() if s.branch == "no_consent"} == {
        "reported",
        "assessed_alone",
        "patient_talk_held",
    }


def test_every_step_allowed_in_each_transition_state_is_an_edge_in_both_formats():
    mmd, doc = Mermaid(diagrams.mermaid("transition")), Bpmn(diagrams.bpmn("transition"))
    _, _, always = diagrams.transition_graph()
    assert set(always) == {"add_task", "complete_task"}
    tasks = doc.by_id["tasks"]
    assert tasks.get("triggeredByEvent") == "true" and all(c in tasks.get("name") for c in always)
    for s, node in _situations():
        allowed = transition_rules.allowed_commands(s)
        in_mmd, in_bpmn = _out_labels(mmd, doc, node)
        for command in allowed:
            if command in always:
                continue
            assert any(_command(label) == command for label in in_mmd), f"Mermaid: {node} lacks {command}"
            assert any(_command(label) == command for label in in_bpmn), f"BPMN: {node} lacks {command}"
        # …and nothing the rules refuse there.
        assert (
            {_command(label) for label in in_mmd}
            == {_command(label) for label in in_bpmn}
            == (set(allowed) - set(always))
        )


def test_the_transition_goes_where_the_workflow_sends_it():
    _, edges, _ = diagrams.transition_graph()
    for branch_edges in edges.values():
        for s, command, _, nxt in branch_edges:
            source = inspect.getsource(getattr(TransitionWorkflow, command))
            if nxt == "complete":
                assert "TransitionCompleted" in source
            elif nxt.state != s.state:
                assert f'"{nxt.state}"' in source, f"{command} does not lead to {nxt.state} in the workflow"
            if nxt != "complete" and nxt.settled != s.settled:
                assert "settled=" in source


def test_the_patient_facing_steps_are_marked_and_refused_before_agreement():
    mmd, doc = Mermaid(diagrams.mermaid("transition")), Bpmn(diagrams.bpmn("transition"))
    refused_somewhere = set()
    for s, node in _situations():
        in_mmd, in_bpmn = _out_labels(mmd, doc, node)
        for label in in_mmd + in_bpmn:
            marked = diagrams.PATIENT_FACING_MARK in label
            assert marked == (_command(label) in transition_rules.PATIENT_FACING), label
        documentation = doc.by_id[node].find(f"{M}documentation").text
        rule = diagrams.NOT_BEFORE_ASSESSMENT if s.branch == "no_consent" else diagrams.NOT_BEFORE_AGREEMENT
        if transition_rules.patient_may_be_involved(s):
            assert rule not in documentation
            continue
        assert not any(_command(label) in transition_rules.PATIENT_FACING for label in in_mmd + in_bpmn)
        refused = [c for c in transition_rules.PATIENT_FACING if c not in transition_rules.allowed_commands(s)]
        assert refused and rule in documentation
        assert all(c in documentation and c in mmd.plain(node) for c in refused)
        refused_somewhere.update(refused)
        for c in refused:
            with pytest.raises(transition_rules.TransitionRefused):
                transition_rules.check_command(s, c)
    assert refused_somewhere == set(transition_rules.PATIENT_FACING)
    # The collaboration meeting is drawn as held without the patient: its step is not marked.
    assert "record_collaboration_meeting" not in transition_rules.PATIENT_FACING


def test_each_transition_step_has_its_due_date_as_an_overdue_timer():
    doc = Bpmn(diagrams.bpmn("transition"))
    nodes = [(s, node) for s, node in _situations()]
    closure = transition_rules.Situation(direction="to_coordinated", branch="dialogue", state="closure_awaited")
    nodes.append((closure, "closure_awaited"))
    for s, node in nodes:
        step = transition_rules.current_step(s)
        days = transition_rules.DEFAULT_STEP_DUE_DAYS[step]
        timers = [b for b in doc.process.iter(f"{M}boundaryEvent") if b.get("attachedToRef") == node]
        assert len(timers) == 1 and timers[0].get("cancelActivity") == "false"
        assert timers[0].find(f"{M}timerEventDefinition") is not None
        assert timers[0].get("name") == f"{step} forfalden efter {days} hverdage"
        assert f"frist {days} hverdage" in doc.by_id[node].find(f"{M}documentation").text
        flow = doc.flow({timers[0].get("id")}, timers[0].get("id").replace("_timer", "_overdue"))
        assert flow is not None
        assert doc.by_id[flow.get("targetRef")].find(f"{M}escalationEventDefinition") is not None


def test_the_transition_branches_on_consent_and_completes_by_direction():
    doc = Bpmn(diagrams.bpmn("transition"))
    assert _local(doc.by_id["gw_branch"].tag) == "exclusiveGateway"
    for branch in get_args(transition_rules.Branch):
        flow = doc.flow({"gw_branch"}, branch)
        consents = [c for c in get_args(transition_rules.DialogueConsent) if transition_rules.branch_for(c) == branch]
        assert flow is not None and all(c in flow.find(f"{M}conditionExpression").text for c in consents)
        assert _local(doc.by_id[branch].tag) == "subProcess"
        assert doc.flow({branch}, "gw_outcome") is not None
    # The agreement / disagreement gateway after the region's assessment.
    assessed = {f.get("targetRef") for f in doc.flows if f.get("sourceRef") == "gw_dialogue_assessed"}
    assert assessed == {"dialogue_agreed_transition", "dialogue_agreed_no_transition", "dialogue_disagreed"}
    assert {f.get("targetRef") for f in doc.flows if f.get("sourceRef") == "gw_outcome"} == {
        "start_pathway",
        "held",
        "closure_awaited",
        "end_no_transition",
    }
    assert doc.by_id["start_pathway"].get("calledElement") == "Process_ambulatory"
    complete = inspect.getsource(TransitionWorkflow.complete)
    assert '"to_integrated"' in complete and '"closure_awaited"' in complete and "_start_pathway" in complete
    # Held until the target group opens (phase-in), then the pathway starts.
    assert doc.flow({"held"}, "start_pathway") is not None
    assert '"held"' in complete and "_release_when_open" in inspect.getsource(TransitionWorkflow.run)


def test_a_changed_transition_table_gives_a_different_diagram(monkeypatch):
    before_mmd, before_bpmn = diagrams.mermaid("transition"), diagrams.bpmn("transition")
    monkeypatch.setitem(transition_rules.DEFAULT_STEP_DUE_DAYS, "assessment", 7)
    rule = transition_rules.allowed_commands

    def allowed(s):  # a new step: back to disagreement after the collaboration meeting
        extra = ["record_disagreement"] if s.state == "collaboration_meeting_held" else []
        return extra + rule(s)

    monkeypatch.setattr(transition_rules, "allowed_commands", allowed)
    mmd, doc = Mermaid(diagrams.mermaid("transition")), Bpmn(diagrams.bpmn("transition"))
    assert diagrams.mermaid("transition") != before_mmd and diagrams.bpmn("transition") != before_bpmn
    assert doc.by_id["dialogue_reported_timer"].get("name") == "assessment forfalden efter 7 hverdage"
    held = {"dialogue_collaboration_meeting_held", "gw_dialogue_collaboration_meeting_held"}
    assert mmd.edge(held, "dialogue_disagreed") is not None and doc.flow(held, "dialogue_disagreed") is not None
    assert diagrams.files()["transition.bpmn"] != (DOCS / "transition.bpmn").read_text(encoding="utf-8")


# -- the group-2 campaign (spec §6) ---------------------------------------------------------


def _campaign_steps():
    share_days = diagrams.campaign_share_days()
    for phase, sample in diagrams.campaign_samples(share_days).items():
        yield phase, diagrams.campaign_steps(phase, sample)


def test_every_step_the_campaign_rules_allow_in_each_phase_is_an_edge():
    mmd, doc = Mermaid(diagrams.mermaid("campaign")), Bpmn(diagrams.bpmn("campaign"))
    drawn = {}
    for phase, steps in _campaign_steps():
        gw = diagrams.campaign_status_id(phase)
        assert _local(doc.by_id[gw].tag) == "eventBasedGateway"
        catches = {f.get("targetRef") for f in doc.flows if f.get("sourceRef") == gw}
        labels = {doc.by_id[c].get("name") for c in catches}
        decisions = {
            f.get("name") for c in catches for g in [f"gw_{phase}_decide"] for f in doc.flows if f.get("sourceRef") == g
        }
        for command, label, after in steps:
            if command == "decide":
                assert label in decisions and mmd.edge(
                    {f"gw_{phase}_decide"}, diagrams.campaign_status_id(campaign_rules.phase(after))
                )
            else:
                assert any(n.startswith(label + " ") for n in labels), f"{phase}: no step {label}"
                catch = next(c for c in catches if doc.by_id[c].get("name").startswith(label + " "))
                assert doc.flow({catch}, diagrams.campaign_status_id(campaign_rules.phase(after))) is not None
                assert mmd.edge({gw}, catch) is not None
        drawn[phase] = {c for c, _, _ in steps}
    # The rules, not the diagram, decide: lists only before sharing, the meeting only after it,
    # decisions only at or after the meeting, network meetings only once someone is decided.
    assert "upload_list" in drawn["collecting_lists"] and "upload_list" not in drawn["lists_shared"]
    assert "share_lists" in drawn["collecting_lists"] and "share_lists" not in drawn["lists_shared"]
    assert "hold_collaboration_meeting" in drawn["lists_shared"]
    assert "hold_collaboration_meeting" not in drawn["collecting_lists"] | drawn["meeting_held"]
    assert "decide" not in drawn["collecting_lists"] | drawn["lists_shared"] and "decide" in drawn["meeting_held"]
    assert "plan_network_meeting" in drawn["starting"] and "plan_network_meeting" not in drawn["meeting_held"]
    assert all("record_consent" in d and "set_kkr_contacts" in d for d in drawn.values())
    for side in campaign_rules.SIDES:
        assert f"collecting_lists_upload_list_{side}" in doc.by_id
        assert f"collecting_lists_record_consent_{side}" in doc.by_id


def test_the_campaign_shows_the_two_week_rule_and_the_reminder():
    doc, mmd = Bpmn(diagrams.bpmn("campaign")), Mermaid(diagrams.mermaid("campaign"))
    share_days = diagrams.campaign_share_days()
    assert share_days == 14
    flow = doc.flow({diagrams.campaign_status_id("lists_shared")}, "lists_shared_hold_collaboration_meeting")
    assert f"tidligst {share_days} dage efter deling" in flow.get("name")
    assert str(share_days) in flow.find(f"{M}conditionExpression").text
    # …which is what the rule refuses: a day earlier is too early.
    sample = diagrams.campaign_samples(share_days)["lists_shared"]
    earliest = campaign_rules.earliest_meeting(sample)
    with pytest.raises(campaign_rules.CampaignRefused, match="too early"):
        campaign_rules.check_meeting(sample, earliest - timedelta(days=1), earliest)
    reminder = doc.by_id["collecting_lists_reminder"]
    assert reminder.find(f"{M}timerEventDefinition") is not None
    assert reminder.get("name").startswith(f"{campaign_rules.REMINDER_DAYS} dage før share_by")
    assert doc.flow({"collecting_lists_reminder"}, "collecting_lists_remind") is not None
    assert doc.flow({"collecting_lists_remind"}, diagrams.campaign_status_id("collecting_lists")) is not None
    assert "lists_shared_reminder" not in doc.by_id
    assert "CampaignShareReminded" in mmd.plain("collecting_lists_remind")


def test_the_campaign_decides_per_person_and_starts_on_the_date():
    doc = Bpmn(diagrams.bpmn("campaign"))
    kinds = get_args(campaign_rules.DecisionKind)
    gw = "gw_meeting_held_decide"
    assert {f.get("name") for f in doc.flows if f.get("sourceRef") == gw} == {f"decide({k})" for k in kinds}
    person = doc.by_id["person"]
    assert person.get("triggeredByEvent") == "true"
    assert {f.get("targetRef") for f in doc.flows if f.get("sourceRef") == "person_gw"} == {
        "person_integrated_wait",
        "person_coordinated_wait",
        "person_not_relevant",
    }
    for kind in ("integrated", "coordinated"):
        timer = doc.by_id[f"person_{kind}_timer"]
        assert timer.find(f"{M}timerEventDefinition") is not None
        assert doc.flow({f"person_{kind}_timer"}, f"person_{kind}_started") is not None
        assert doc.flow({f"person_{kind}_refused"}, f"person_{kind}_cancelled") is not None
    assert doc.by_id["person_integrated_started"].get("calledElement") == "Process_ambulatory"
    meeting = doc.by_id["starting_plan_network_meeting"].find(f"{M}documentation").text
    assert "følgeskab" in meeting and "udgående behandling" in meeting
    consent = doc.by_id["collecting_lists_record_consent_clinic"].find(f"{M}documentation").text
    assert "ikke drøftet" in consent


def test_a_changed_campaign_rule_gives_a_different_diagram(monkeypatch):
    before_mmd, before_bpmn = diagrams.mermaid("campaign"), diagrams.bpmn("campaign")
    monkeypatch.setattr(campaign_rules, "REMINDER_DAYS", 5)
    monkeypatch.setattr(campaign_rules, "check_upload", lambda s, side, rows: None)  # lists taken after sharing
    doc = Bpmn(diagrams.bpmn("campaign"))
    assert diagrams.mermaid("campaign") != before_mmd and diagrams.bpmn("campaign") != before_bpmn
    assert doc.by_id["collecting_lists_reminder"].get("name").startswith("5 dage før share_by")
    assert "lists_shared_upload_list_clinic" in doc.by_id
    assert diagrams.files()["campaign.mmd"] != (DOCS / "campaign.mmd").read_text(encoding="utf-8")


# -- the BPMN is a document a modeller opens --------------------------------------------


@pytest.mark.parametrize("process", diagrams.PROCESSES)
def test_bpmn_is_well_formed_with_a_shape_for_every_node(process):
    doc = Bpmn(diagrams.bpmn(process))
    assert _local(doc.root.tag) == "definitions" and doc.process is not None
    # tDefinitions (a standalone type in BPMN20.xsd): root elements, then the diagram; nothing else.
    roots = [_local(c.tag) for c in doc.root]
    assert set(roots) <= {"message", "signal", "escalation", "process", "BPMNDiagram"}
    assert roots[-2:] == ["process", "BPMNDiagram"] and doc.root.get("targetNamespace")
    assert all(NCNAME.match(i) for i in doc.by_id), "every id is an NCName"
    flow_ids = {f.get("id") for f in doc.flows}
    node_ids = {el.get("id") for el in doc.flow_nodes}
    for f in doc.flows:
        source, target = f.get("sourceRef"), f.get("targetRef")
        assert source in node_ids and target in node_ids, f"{f.get('id')} names a missing element"
        # A sequence flow never crosses a sub-process boundary.
        assert doc.parent[f.get("id")] is doc.parent[source] is doc.parent[target]
    for el in doc.flow_nodes:
        incoming = {i.text for i in el.findall(f"{M}incoming")}
        outgoing = {o.text for o in el.findall(f"{M}outgoing")}
        assert incoming == {f.get("id") for f in doc.flows if f.get("targetRef") == el.get("id")}
        assert outgoing == {f.get("id") for f in doc.flows if f.get("sourceRef") == el.get("id")}
        kind = _local(el.tag)
        implicit = not any(_local(c.tag) == "startEvent" for c in doc.parent[el.get("id")])
        if not incoming:
            assert kind in ("startEvent", "boundaryEvent") or el.get("triggeredByEvent") == "true" or implicit, (
                f"{el.get('id')} can never be reached"
            )
        if not outgoing:
            assert kind == "endEvent" or el.get("triggeredByEvent") == "true" or implicit, (
                f"{el.get('id')} leads nowhere"
            )
        if kind == "boundaryEvent":
            assert el.get("attachedToRef") in node_ids
            assert doc.parent[el.get("attachedToRef")] is doc.parent[el.get("id")]
    for ref in ("messageRef", "signalRef", "escalationRef"):
        for el in doc.root.iter():
            if el.get(ref):
                assert el.get(ref) in doc.by_id and doc.by_id[el.get(ref)] in list(doc.root)
    assert doc.root.find(f".//{M}startEvent") is not None and doc.root.find(f".//{M}endEvent") is not None

    plane = doc.root.find(f"{BPMNDI}BPMNDiagram/{BPMNDI}BPMNPlane")
    assert plane.get("bpmnElement") == doc.process.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall(f"{BPMNDI}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in plane.findall(f"{BPMNDI}BPMNEdge")}
    assert set(shapes) == node_ids, "every flow node has exactly one DI shape"
    assert set(edges) == flow_ids, "every sequence flow has exactly one DI edge"
    for node_id, shape in shapes.items():
        bounds = shape.find(f"{DC}Bounds")
        assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
        assert float(bounds.get("x")) >= 0 and float(bounds.get("y")) >= 0
        if _local(doc.by_id[node_id].tag) == "subProcess":
            assert shape.get("isExpanded") == "true"
    for edge in edges.values():
        assert len(edge.findall(f"{DI}waypoint")) >= 2
    # Children are drawn inside their sub-process.
    for node_id, container in doc.parent.items():
        if container is doc.process or node_id not in shapes or _local(doc.by_id[node_id].tag) == "boundaryEvent":
            continue
        inner, outer = (shapes[i].find(f"{DC}Bounds") for i in (node_id, container.get("id")))
        assert float(outer.get("x")) <= float(inner.get("x"))
        assert float(inner.get("x")) + float(inner.get("width")) <= float(outer.get("x")) + float(outer.get("width"))


@pytest.mark.parametrize("process", diagrams.PROCESSES)
def test_mermaid_declares_every_node_it_links(process):
    mmd = Mermaid(diagrams.mermaid(process))
    declared = set(mmd.nodes) | set(mmd.subgraphs)
    for source, _, label, target in mmd.edges:
        assert source in declared and target in declared
        assert '"' not in label
    for label, _ in mmd.nodes.values():
        assert '"' not in label


@pytest.mark.parametrize("process", diagrams.PROCESSES)
def test_generation_is_deterministic(process):
    assert diagrams.mermaid(process) == diagrams.mermaid(process)
    assert diagrams.bpmn(process) == diagrams.bpmn(process)


def test_an_unknown_process_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="referral, ambulatory, inpatient, meeting, transition, campaign"):
        diagrams.mermaid("discharge")


# -- the command ---------------------------------------------------------------------


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        [sys.executable, "-m", "dualpath.cli", "diagram", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_a_diagram():
    done = _cli("ambulatory")
    assert done.returncode == 0, done.stderr
    assert done.stdout == diagrams.mermaid("ambulatory")
    done = _cli("meeting", "--format", "bpmn")
    assert done.returncode == 0, done.stderr
    assert done.stdout == diagrams.bpmn("meeting")


def test_cli_refuses_an_unknown_process():
    done = _cli("discharge")
    assert done.returncode == 2 and "choose one of" in done.stderr


def test_cli_write_regenerates_docs_under_the_git_root(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "sub").mkdir()
    done = _cli("--write", cwd=tmp_path / "sub")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "docs" / "diagrams"
    assert {p.name: p.read_text(encoding="utf-8") for p in written.iterdir()} == diagrams.files()
