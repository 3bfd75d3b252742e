"""No workflow module loads I/O: importing every `dualpath.workflows.*` module in a fresh interpreter
leaves asyncpg, httpx and the event store unloaded (workflows import dualpath.contracts instead)."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import importlib, json, pkgutil, sys
import dualpath.workflows as w
for m in pkgutil.iter_modules(w.__path__):
    importlib.import_module("dualpath.workflows." + m.name)
print(json.dumps(sorted(sys.modules)))
"""

FORBIDDEN = ("asyncpg", "httpx", "httpcore", "dualpath.eventstore", "dualpath.activities")


def test_workflow_modules_import_no_io() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert any(m.startswith("dualpath.workflows.") for m in loaded)
    bad = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert bad == [], f"workflow modules load I/O modules: {bad}"
