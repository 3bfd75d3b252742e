"""The sandbox the worker runs workflows in: the SDK's, sharing what holds no workflow state.

Temporal's sandbox imports a workflow's module afresh for every workflow run it caches, with every
module it imports that is not passed through: memory and CPU per cached pathway. Here the modules
that hold no workflow state are shared, and a workflow's own module is compiled once per process
(README, "Worker memory").
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import CodeType, ModuleType
from typing import ClassVar

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import dualpath.workflows

# dualpath's modules that workflow code imports and that hold no workflow state of their own: the
# pure rules, the activities' contracts, ids and search attributes, and every module of
# dualpath.workflows (messages, the kit, the pathway's parts, and the other workflows' modules,
# which a workflow imports only to start or signal them).
SHARED_MODULES = frozenset(
    {
        "dualpath.contracts",
        "dualpath.domain",
        "dualpath.search_attributes",
        "dualpath.workflow_ids",
        *(f"dualpath.workflows.{m.name}" for m in pkgutil.iter_modules(dualpath.workflows.__path__)),
    }
)


@dataclass(frozen=True)
class SharedModulesSandbox(SandboxedWorkflowRunner):
    """The SDK's sandbox, with `shared` modules passed through to every workflow but the one each defines.

    The sandbox imports a workflow's module afresh for every workflow run it caches, and with it
    every module the workflow imports that is not passed through. A module imported as
    `from package import module` is never passed through by `imports_passed_through()` (the
    submodule is loaded by importlib itself, past the sandbox's import hook), so
    `from dualpath.workflows import kit, pathway` re-imported pathway.py, inpatient_stay.py and
    their pydantic models for each cached pathway. Listed here they are taken from the worker's
    own imports instead. A workflow's own module is still imported afresh for each run, so its
    code keeps the sandbox's checks and its module-level state stays its own.
    """

    shared: frozenset[str] = frozenset()
    _runners: dict[str, SandboxedWorkflowRunner] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        own = det.defn.cls.__module__
        runner = self._runners.get(own)
        if runner is None:
            # One restriction set per workflow module, made once: each instance keeps a reference to it.
            restrictions = self.restrictions.with_passthrough_modules(*(self.shared - {own}))
            runner = self._runners[own] = SandboxedWorkflowRunner(restrictions, self.runner_class)
        return runner.create_instance(det)


class _CompiledOnce(importlib.machinery.SourceFileLoader):
    """A module's loader that compiles its source once per process: every later import executes the
    same code object in a fresh module. Code objects are immutable, so sharing them shares no state."""

    _code: ClassVar[dict[str, CodeType]] = {}

    def get_code(self, fullname: str) -> CodeType | None:
        code = self._code.get(self.path)
        if code is None:
            code = super().get_code(fullname)
            if code is not None:
                self._code[self.path] = code
        return code


class _CompiledOnceFinder(importlib.abc.MetaPathFinder):
    """Finds `names` as Python would, to be loaded by `_CompiledOnce`."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _CompiledOnce(spec.loader.name, spec.loader.path)
        return spec


def compile_workflow_modules_once(workflows: Sequence[type]) -> None:
    """The sandbox imports a workflow's module afresh for each workflow it caches, and each import
    compiled the module again (or unmarshalled its .pyc): new code objects, about 50 KiB for
    pathway.py, per cached pathway. From here on those imports share one code object per module."""
    if not any(isinstance(f, _CompiledOnceFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _CompiledOnceFinder(frozenset(w.__module__ for w in workflows)))


def workflow_runner(sharing: bool, workflows: Sequence[type]) -> WorkflowRunner:
    """The sandbox the worker runs `workflows` in; `sharing` (DUALPATH_WORKER_SANDBOX_SHARING) as above."""
    if not sharing:
        return SandboxedWorkflowRunner()
    compile_workflow_modules_once(workflows)
    return SharedModulesSandbox(SandboxRestrictions.default, shared=SHARED_MODULES)
