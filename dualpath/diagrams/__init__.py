"""Process diagrams drawn from the tables the workflows execute.

`mermaid(process)` and `bpmn(process)` render a process in `PROCESSES`; both are
pure and deterministic, so the generated files under `docs/diagrams/` can be
compared with the code (tests/docs). Nothing here restates a table: phases,
allowed moves, which move needs a reason, the ends, the mandatory activities
of the catalogue, timers and statuses are read from the modules the workflows
use, so changing one of them changes the diagrams.

Each process is one builder function returning a `Process` (BPMN-like nodes
and sequence flows on a grid, `model`); `grid` lays any `Process` out, and the
two renderers draw it. A new process is one more builder in `registry`.
"""

from dualpath.diagrams.campaign import (
    CAMPAIGN_COMMANDS,
    campaign_samples,
    campaign_share_days,
    campaign_status_id,
    campaign_steps,
)
from dualpath.diagrams.docs import STILL_TO_COME, default_directory, files, readme, write_all
from dualpath.diagrams.grid import Box, Layout, layout
from dualpath.diagrams.model import REASON, Flow, Node, Process, move_gateway_id, phase_id, task_id
from dualpath.diagrams.phases import DISCHARGE_PHASE
from dualpath.diagrams.registry import PROCESSES, process
from dualpath.diagrams.render_bpmn import bpmn
from dualpath.diagrams.render_mermaid import mermaid
from dualpath.diagrams.transition import (
    NOT_BEFORE_AGREEMENT,
    NOT_BEFORE_ASSESSMENT,
    PATIENT_FACING_MARK,
    TRANSITION_FINAL_STATES,
    transition_graph,
    transition_node_id,
)

__all__ = [
    "CAMPAIGN_COMMANDS",
    "DISCHARGE_PHASE",
    "NOT_BEFORE_AGREEMENT",
    "NOT_BEFORE_ASSESSMENT",
    "PATIENT_FACING_MARK",
    "PROCESSES",
    "REASON",
    "STILL_TO_COME",
    "TRANSITION_FINAL_STATES",
    "Box",
    "Flow",
    "Layout",
    "Node",
    "Process",
    "bpmn",
    "campaign_samples",
    "campaign_share_days",
    "campaign_status_id",
    "campaign_steps",
    "default_directory",
    "files",
    "layout",
    "mermaid",
    "move_gateway_id",
    "phase_id",
    "process",
    "readme",
    "task_id",
    "transition_graph",
    "transition_node_id",
    "write_all",
]
