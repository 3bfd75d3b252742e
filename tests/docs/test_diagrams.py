"""The process diagrams under docs/diagrams/ are generated from the tables the workflows
execute, and fail here when they no longer match the code (regenerate: `dualpath diagram --write`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import get_args

import pytest
from temporalio.exceptions import ApplicationError

from dualpath import diagrams
from dualpath.domain import ambulatory, inpatient
from dualpath.domain import catalogue as catalogue_module
from dualpath.domain import meetings as meeting_rules
from dualpath.domain.catalogue import load_catalogue
from dualpath.workflows import referral
from dualpath.workflows.inpatient_stay import InpatientStayWorkflow

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
        self.flow_nodes = [el for c in [self.process, *self.process.iter(f"{M}subProcess")] for el in c
                           if _local(el.tag) not in NOT_FLOW_NODES]

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
        f"{path.relative_to(ROOT)} no longer matches the code: {REGENERATE}")


def test_no_stale_files_in_docs_diagrams():
    assert {p.name for p in DOCS.iterdir()} == set(diagrams.files()), REGENERATE


def test_readme_embeds_each_mermaid_diagram_and_names_what_is_to_come():
    text = (DOCS / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.S | re.M)
    assert blocks == [diagrams.mermaid(p) for p in diagrams.PROCESSES]
    for process in diagrams.PROCESSES:
        assert f"[{process}.bpmn]({process}.bpmn)" in text
    assert "Still to come" in text and "spec §5" in text and "spec §6" in text
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
    raw["ambulatory"][1]["activities"].append({
        "key": "extra_check", "name_da": "Ekstra kontrol af behandlingsplanen", "mandatory": True,
        "owner_role": "clinician", "due_days": 5, "condition": None,
    })
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
    drawn_bpmn = {(owner[f.get("sourceRef")], phases[f.get("targetRef")]) for f in doc.flows
                  if f.get("sourceRef") in owner and f.get("targetRef") in phases}
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
        stand_in = SimpleNamespace(_phase=number, _require_admitted=lambda: None, _check_date=lambda d, what: None)
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
        "end_accepted", "end_declined"}
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
                f"{el.get('id')} can never be reached")
        if not outgoing:
            assert kind == "endEvent" or el.get("triggeredByEvent") == "true" or implicit, (
                f"{el.get('id')} leads nowhere")
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
    with pytest.raises(ValueError, match="referral, ambulatory, inpatient, meeting"):
        diagrams.mermaid("transition")


# -- the command ---------------------------------------------------------------------


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run([sys.executable, "-m", "dualpath.cli", "diagram", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_a_diagram():
    done = _cli("ambulatory")
    assert done.returncode == 0, done.stderr
    assert done.stdout == diagrams.mermaid("ambulatory")
    done = _cli("meeting", "--format", "bpmn")
    assert done.returncode == 0, done.stderr
    assert done.stdout == diagrams.bpmn("meeting")


def test_cli_refuses_an_unknown_process():
    done = _cli("transition")
    assert done.returncode == 2 and "choose one of" in done.stderr


def test_cli_write_regenerates_docs_under_the_git_root(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "sub").mkdir()
    done = _cli("--write", cwd=tmp_path / "sub")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "docs" / "diagrams"
    assert {p.name: p.read_text(encoding="utf-8") for p in written.iterdir()} == diagrams.files()
