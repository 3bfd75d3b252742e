"""Shapes on a grid of cells and orthogonal routes for the flows (the BPMN DI, and the web page's drawing)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from dualpath.diagrams.model import Flow, Node, Process

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
        while up := n.attached_to or n.parent:
            n = self.nodes[up]
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
            bottom = max(
                [b.bottom for b in self.out.boxes.values()] + [y for pts in self.out.waypoints.values() for _, y in pts]
            )
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
        assert n.attached_to, f"{node_id} is not a boundary event"
        host = self.out.boxes[n.attached_to]
        siblings = [
            m
            for m in self.members[self.container(node_id)]
            if self.nodes[m].attached_to == n.attached_to and self.nodes[m].side == n.side
        ]
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
        skip = {f.source, f.target} | {
            m for m in self.members[container] if self.nodes[m].attached_to in (f.source, f.target)
        }
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
    for (x1, y1), (x2, y2) in itertools.pairwise(pts):
        lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        if lo_x < box.right + 2 and hi_x > box.x - 2 and lo_y < box.bottom + 2 and hi_y > box.y - 2:
            return True
    return False
