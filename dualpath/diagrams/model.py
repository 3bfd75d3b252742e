"""The model every builder fills and every renderer draws: nodes and flows on a grid, the ids the
web page highlights, and the small checks that make a builder fail when the code it reads changes."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


class Builder:
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

    def due_timer(self, node_id: str, name: str, on: str, timer: tuple[str, str], **kw) -> str:
        """A non-interrupting timer on task or sub-process `on`: a due date passing leaves the work open."""
        return self.add(
            node_id, "boundaryEvent", name, attached_to=on, event="timer", interrupting=False, timer=timer, **kw
        )

    def escalation(self, node_id: str, name: str, ref: str, **kw) -> str:
        """An end event escalating `ref`, the event recorded when a due date or deadline passes."""
        return self.add(node_id, "endEvent", name, event="escalation", ref=ref, **kw)

    def message_catch(self, node_id: str, name: str, ref: str, **kw) -> str:
        """Waiting for the command (update or signal) `ref`."""
        return self.add(node_id, "intermediateCatchEvent", name, event="message", ref=ref, **kw)

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
        return Process(self.key, self.title, self.summary, self.sources, tuple(self.nodes.values()), tuple(self.flows))


def has_member(cls: type, member: str) -> str:
    """A workflow's update or signal handler by name; fails loudly when the code renames it."""
    if not hasattr(cls, member):
        raise AttributeError(f"{cls.__name__} has no {member!r}: the diagram builder needs updating")
    return member


def has_members(cls: type, members: Iterable[str]) -> None:
    """Every command the rules know is a handler of the workflow."""
    for member in members:
        has_member(cls, member)


def days_text(n: int) -> str:
    return f"{n} dag" if n == 1 else f"{n} dage"


def is_allowed(check: Callable[..., None], *args) -> bool:
    try:
        check(*args)
    except ValueError:
        return False
    return True


def require_field(fields: dict, name: str) -> str:
    if name not in fields:
        raise ValueError(f"ReferralInput has no {name!r}: the referral diagram needs updating")
    return name


def moved(node: Node, **changes) -> Node:
    return dataclasses.replace(node, **changes)


def slug(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return cleaned or "x"
