"""The worker's sandbox (dualpath/sandbox.py): a workflow's own module afresh for each run, compiled once;
the modules that hold no workflow state shared; the recorded histories replay in it."""

import sys
from pathlib import Path

import temporalio.workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from dualpath import temporal_client
from dualpath.sandbox import SharedModulesSandbox, workflow_runner
from dualpath.worker import WORKFLOWS
from dualpath.workflows.pathway import PathwayWorkflow


def _sandboxed_modules(monkeypatch, runner, workflow_class) -> dict:
    """The modules a new sandboxed instance of `workflow_class` sees (reads the SDK's sandbox internals)."""

    made = []
    create = SandboxedWorkflowRunner.create_instance

    def keep(self, det):
        made.append(create(self, det))
        return made[-1]

    monkeypatch.setattr(SandboxedWorkflowRunner, "create_instance", keep)
    runner.prepare_workflow(temporalio.workflow._Definition.must_from_class(workflow_class))
    return made[-1].importer.new_modules


async def test_the_sandbox_imports_a_workflows_own_module_afresh_and_passes_the_shared_ones_through(monkeypatch):

    runner = workflow_runner(True, WORKFLOWS)
    assert isinstance(runner, SharedModulesSandbox)
    seen = _sandboxed_modules(monkeypatch, runner, PathwayWorkflow)
    own = seen["dualpath.workflows.pathway"]
    assert own is not sys.modules["dualpath.workflows.pathway"]
    # The next instance gets a module of its own again, made from the same compiled code.
    again = _sandboxed_modules(monkeypatch, runner, PathwayWorkflow)["dualpath.workflows.pathway"]
    assert again is not own and again.PathwayWorkflow is not own.PathwayWorkflow
    assert again.start_as_child.__code__ is own.start_as_child.__code__
    for shared in (
        "dualpath.workflows.pathway_phases",  # the pathway's parts: its handlers, not made again for each run
        "dualpath.workflows.pathway_consents",
        "dualpath.workflows.pathway_messages",
        "dualpath.workflows.kit",
        "dualpath.workflow_ids",  # `from dualpath import workflow_ids`
        "dualpath.domain.events",
    ):
        assert seen[shared] is sys.modules[shared], shared
    # Off, a module imported as `from package import module` is imported afresh despite imports_passed_through().
    seen = _sandboxed_modules(monkeypatch, workflow_runner(False, WORKFLOWS), PathwayWorkflow)
    assert seen["dualpath.workflow_ids"] is not sys.modules["dualpath.workflow_ids"]


async def test_the_recorded_histories_replay_in_the_workers_sandbox():

    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=temporal_client.data_converter(),
        workflow_runner=workflow_runner(True, WORKFLOWS),
    )
    histories = sorted((Path(__file__).parent.parent / "replay" / "histories").glob("*.json"))
    assert histories
    for path in histories:
        await replayer.replay_workflow(WorkflowHistory.from_json(path.stem.split("--")[1], path.read_text()))
