"""The pathway's workflow but for its start: its parts together, for `PathwayWorkflow` (workflows/pathway.py).

The worker's sandbox imports the workflow's own module afresh for every pathway it caches, and with it makes
its class again; the parts are made once, here, and shared (dualpath/sandbox.py). Overview comes first, so that
what it gives stands over the placeholders of PathwayPart (workflows/pathway_part.py), on which each part builds.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath.workflows.pathway_acute import AcuteContactCommands
    from dualpath.workflows.pathway_admission import Admissions
    from dualpath.workflows.pathway_consents import ConsentCommands
    from dualpath.workflows.pathway_contact_person import ContactPersonCommands
    from dualpath.workflows.pathway_first_contact import FirstContactClock
    from dualpath.workflows.pathway_joint_plans import JointPlanCommands
    from dualpath.workflows.pathway_medication import MedicationCommands
    from dualpath.workflows.pathway_overview import Overview
    from dualpath.workflows.pathway_phases import PhaseCommands
    from dualpath.workflows.pathway_relatives import RelativeCommands
    from dualpath.workflows.pathway_screening import ScreeningCommands
    from dualpath.workflows.pathway_tasks import TaskCommands


class PathwayParts(
    Overview,
    PhaseCommands,
    TaskCommands,
    ConsentCommands,
    Admissions,
    FirstContactClock,
    JointPlanCommands,
    MedicationCommands,
    AcuteContactCommands,
    ScreeningCommands,
    ContactPersonCommands,
    RelativeCommands,
):
    """The pathway's updates, signals and query, and what they share (`view`, the search attributes)."""
