"""The picture of the phases: the generated process diagram, current phase highlighted.

Drawn server-side as SVG from the same model and layout the docs' diagrams
come from (`dualpath.diagrams.process("ambulatory")` and its BPMN DI layout,
which `docs/diagrams/ambulatory.{mmd,bpmn}` render), so the page, the docs and
the workflow's tables cannot disagree; no JavaScript is needed to see it. If
the diagram module cannot draw (it is being changed), the page shows the
plain phase strip alone.
"""

from __future__ import annotations

import itertools
import textwrap
from functools import lru_cache
from typing import Any

import structlog
from markupsafe import Markup, escape

log = structlog.get_logger("dualpath.web")


def _icon(kind: str | None, cx: float, cy: float) -> str:
    """Small BPMN event markers drawn as shapes (no emoji: fonts differ between machines)."""
    if kind == "timer":
        return (
            f'<circle class="icon" cx="{cx:.0f}" cy="{cy:.0f}" r="9"/>'
            f'<path class="icon" d="M{cx:.0f},{cy - 6:.0f} L{cx:.0f},{cy:.0f} L{cx + 5:.0f},{cy + 2:.0f}"/>'
        )
    if kind == "message":
        return (
            f'<rect class="icon" x="{cx - 8:.0f}" y="{cy - 6:.0f}" width="16" height="12" rx="1"/>'
            f'<path class="icon" d="M{cx - 8:.0f},{cy - 6:.0f} L{cx:.0f},{cy + 1:.0f} '
            f'L{cx + 8:.0f},{cy - 6:.0f}"/>'
        )
    if kind == "escalation":
        return (
            f'<path class="icon warn" d="M{cx:.0f},{cy - 9:.0f} L{cx + 8:.0f},{cy + 7:.0f} '
            f'L{cx - 8:.0f},{cy + 7:.0f} Z M{cx:.0f},{cy - 3:.0f} L{cx:.0f},{cy + 2:.0f}"/>'
        )
    if kind == "signal":
        return (
            f'<path class="icon" d="M{cx:.0f},{cy - 8:.0f} L{cx + 8:.0f},{cy + 6:.0f} L{cx - 8:.0f},{cy + 6:.0f} Z"/>'
        )
    return ""


def _lines(text: str, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, width - 1)].rstrip() + "…"
    return lines


def _text(x: float, y: float, lines: list[str], cls: str, line_height: float, anchor: str = "middle") -> str:
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if i == 0 else line_height:.0f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}" x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}">{spans}</text>'


@lru_cache(maxsize=16)
def ambulatory_svg(current: int | None) -> Markup | None:
    """The ambulatory pathway's diagram with phase `current` highlighted (None: none)."""
    try:
        from dualpath import diagrams

        proc = diagrams.process("ambulatory")
        lay = diagrams.layout(proc)
        highlight = diagrams.phase_id(current) if current else None
        gateway = diagrams.move_gateway_id(current) if current else None
        return Markup(_draw(proc, lay, highlight, gateway, current))
    except Exception:  # the diagram module is someone else's moving part: never break the page
        log.warning("process diagram unavailable; showing the phase strip only", exc_info=True)
        return None


def _draw(proc: Any, lay: Any, highlight: str | None, gateway: str | None, current: int | None) -> str:
    nodes = {n.id: n for n in proc.nodes}

    def depth(node: Any) -> int:
        d = 0
        while node.parent:
            node = nodes[node.parent]
            d += 1
        return d

    # Containers first (sub-processes, outermost first), then the flows, then everything inside them.
    ordered = sorted(proc.nodes, key=lambda n: (0 if n.kind == "subProcess" else 1, depth(n)))
    out = [_frame(proc, lay, current)]
    out += [_container(n, lay.boxes[n.id], highlight) for n in ordered if n.kind == "subProcess"]
    out += [_flow(f, pts, nodes, highlight, gateway) for f in proc.flows if (pts := lay.waypoints.get(f.id))]
    out += [_node(n, lay.boxes[n.id], highlight) for n in ordered if n.kind != "subProcess"]
    out.append("</svg>")
    return "".join(out)


def _frame(proc: Any, lay: Any, current: int | None) -> str:
    """The <svg> element, sized to hold every box and every flow, with its title and arrowheads."""
    boxes = lay.boxes
    right = max(b.right for b in boxes.values())
    bottom = max(b.bottom for b in boxes.values())
    for pts in lay.waypoints.values():
        right = max([right] + [x for x, _ in pts])
        bottom = max([bottom] + [y for _, y in pts])
    width, height = right + 40, bottom + 60
    return (
        f'<svg class="process" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-labelledby="diagram-title"><title id="diagram-title">{escape(proc.title)}'
        f"{escape(f' – nuværende fase {current}') if current else ''}</title>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker>'
        '<marker id="arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead-hl"/></marker></defs>'
    )


def _container(n: Any, b: Any, highlight: str | None) -> str:
    """A phase (or another sub-process) as a titled frame; the current phase says so."""
    current_phase = n.id == highlight
    cls = "phase current" if current_phase else ("phase" if n.id.startswith("fase_") else "group")
    title = n.name + ("  ◀ nuværende fase" if current_phase else "")
    return (
        f'<g class="{cls}" data-node="{escape(n.id)}"><rect x="{b.x:.0f}" y="{b.y:.0f}" '
        f'width="{b.w:.0f}" height="{b.h:.0f}" rx="12"/>'
        + _text(b.x + 14, b.y + 21, [title], "phase-title", 18, anchor="start")
        + "</g>"
    )


def _flow(
    f: Any, pts: list[tuple[float, float]], nodes: dict[str, Any], highlight: str | None, gateway: str | None
) -> str:
    """A sequence flow; the ways out of the current phase are highlighted."""
    hl = (
        highlight is not None
        and (f.source in (highlight, gateway))
        and nodes[f.target].kind != "endEvent"
        and not nodes[f.source].attached_to
    )
    cls = "flow" + (" emphasis" if f.emphasis else "") + (" hl" if hl else "")
    if nodes[f.source].attached_to or nodes[f.source].kind == "boundaryEvent":
        cls += " dotted"
    d = " ".join(f"{x:.0f},{y:.0f}" for x, y in pts)
    marker = "arrow-hl" if hl else "arrow"
    out = f'<polyline class="{cls}" points="{d}" marker-end="url(#{marker})"/>'
    if f.name:
        # Label the longest segment, just above it.
        segs = list(itertools.pairwise(pts))
        (x1, y1), (x2, y2) = max(segs, key=lambda s: abs(s[0][0] - s[1][0]) + abs(s[0][1] - s[1][1]))
        out += _text(
            (x1 + x2) / 2, (y1 + y2) / 2 - 6, _lines(f.name, 34, 2)[:1], "flow-label" + (" hl" if hl else ""), 13
        )
    return out


TASK_KINDS = ("userTask", "callActivity", "task", "serviceTask", "sendTask", "receiveTask")


def _node(n: Any, b: Any, highlight: str | None) -> str:
    """A task, a gateway or an event, each in its BPMN shape."""
    if n.kind in TASK_KINDS:
        inside_current = n.parent == highlight and highlight is not None
        cls = "task" + (" current" if inside_current else "") + (" call" if n.kind == "callActivity" else "")
        lines = _lines(n.name, 17, 5)
        y0 = b.cy - (len(lines) - 1) * 7.5
        return (
            f'<g class="{cls}"><title>{escape(n.name)}</title><rect x="{b.x:.0f}" y="{b.y:.0f}" '
            f'width="{b.w:.0f}" height="{b.h:.0f}" rx="8"/>' + _text(b.cx, y0 + 4, lines, "task-label", 15) + "</g>"
        )
    if n.kind.endswith("Gateway"):
        cx, cy, r = b.cx, b.cy, b.w / 2
        return (
            f'<g class="gateway"><title>{escape(n.name)}</title>'
            f'<polygon points="{cx:.0f},{cy - r:.0f} {cx + r:.0f},{cy:.0f} {cx:.0f},{cy + r:.0f} '
            f'{cx - r:.0f},{cy:.0f}"/><text class="gateway-mark" x="{cx:.0f}" y="{cy + 6:.0f}" '
            f'text-anchor="middle">×</text></g>'
        )
    kind = "end" if n.kind == "endEvent" else ("start" if n.kind == "startEvent" else "mid")
    dashed = " dashed" if n.attached_to and not n.interrupting else ""
    out = (
        f'<g class="event {kind}{dashed}"><title>{escape(n.name)}</title>'
        f'<circle cx="{b.cx:.0f}" cy="{b.cy:.0f}" r="{b.w / 2:.0f}"/>' + _icon(n.event, b.cx, b.cy)
    )
    if not n.attached_to and n.parent is None:
        out += _text(b.cx, b.bottom + 17, _lines(n.name, 26, 3), "event-label", 14)
    return out + "</g>"
