"""The ambulatory diagram shows the §82c clock of phase 1 (issue #18, item 3): the first treatment contact,
the warning that opens a task for the clinicians and the escalation when the start deadline passes, named
as the workflow and the domain name them."""

from dualpath import diagrams
from dualpath.domain import first_contact, referral_rules
from dualpath.workflows.pathway import PathwayWorkflow

from .test_diagrams import Bpmn, M, Mermaid, _local

NODE = f"{diagrams.phase_id(first_contact.PHASE)}_first_contact"


def test_phase_1_shows_the_first_contact_with_its_warning_and_escalation():
    mmd, doc = Mermaid(diagrams.mermaid("ambulatory")), Bpmn(diagrams.bpmn("ambulatory"))
    assert hasattr(PathwayWorkflow, "record_first_contact")
    task = doc.by_id[NODE]
    assert _local(task.tag) == "userTask" and "record_first_contact" in task.get("name")
    assert doc.parent[NODE].get("id") == diagrams.phase_id(first_contact.PHASE)
    assert mmd.nodes[NODE][1] == diagrams.phase_id(first_contact.PHASE)
    assert "FirstTreatmentContact" in mmd.plain(NODE) and "14 dage" in mmd.plain(NODE)

    timers = {b.get("id"): b for b in doc.process.iter(f"{M}boundaryEvent") if b.get("attachedToRef") == NODE}
    assert set(timers) == {f"{NODE}_warn", f"{NODE}_deadline"}
    assert all(
        t.get("cancelActivity") == "false" and t.find(f"{M}timerEventDefinition") is not None for t in timers.values()
    )
    assert f"{referral_rules.WARN_DAYS_BEFORE_DEADLINE} dage før" in timers[f"{NODE}_warn"].get("name")
    assert doc.flow({f"{NODE}_warn"}, f"{NODE}_task") is not None
    assert first_contact.TASK in doc.by_id[f"{NODE}_task"].get("name")
    escalated = doc.by_id[f"{NODE}_escalated"]
    assert doc.flow({f"{NODE}_deadline"}, f"{NODE}_escalated") is not None
    assert escalated.find(f"{M}escalationEventDefinition") is not None
    assert "FirstContactDeadlinePassed" in escalated.get("name")
