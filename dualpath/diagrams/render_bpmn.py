"""BPMN 2.0 XML with its diagram interchange, for bpmn.io or Camunda Modeler."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from dualpath.diagrams.grid import layout
from dualpath.diagrams.model import Node, slug
from dualpath.diagrams.registry import process

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
    root = ET.Element(
        _m("definitions"),
        {
            "id": f"Definitions_{proc.key}",
            "targetNamespace": f"https://dualpath.invalid/processes/{proc.key}",
            "exporter": "dualpath.diagrams",
            "exporterVersion": "1",
        },
    )
    refs: dict[tuple[str, str], str] = {}
    for n in proc.nodes:
        if n.event in ("message", "signal", "escalation"):
            ref_name = _ref_name(n)
            key = (n.event, ref_name)
            if key not in refs:
                refs[key] = f"{n.event.capitalize()}_{slug(ref_name)}"
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
            assert n.attached_to, f"boundary event {n.id} is attached to nothing"
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
            ET.SubElement(
                el, _m(f"{n.event}EventDefinition"), {"id": f"{n.id}_def", ref_attr: refs[(n.event, _ref_name(n))]}
            )
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
    plane = ET.SubElement(
        diagram, f"{{{BPMNDI}}}BPMNPlane", {"id": f"Plane_{proc.key}", "bpmnElement": proc.process_id}
    )
    for n in proc.nodes:
        box = geo.boxes[n.id]
        attrs = {"id": f"{n.id}_di", "bpmnElement": n.id}
        if n.kind == "subProcess":
            attrs["isExpanded"] = "true"
        if n.kind == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", attrs)
        ET.SubElement(
            shape,
            f"{{{DC}}}Bounds",
            {k: _num(v) for k, v in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h))},
        )
    for f in proc.flows:
        edge = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", {"id": f"{f.id}_di", "bpmnElement": f.id})
        for x, y in geo.waypoints[f.id]:
            ET.SubElement(edge, f"{{{DI}}}waypoint", {"x": _num(x), "y": _num(y)})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _ref_name(n: Node) -> str:
    """The message, signal or escalation an event refers to."""
    return n.ref or n.id


def _num(v: float) -> str:
    return str(round(v))
