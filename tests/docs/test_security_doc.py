"""docs/security.md says what the code does: its disclosure table is the policy's, its tests exist."""

from __future__ import annotations

import re
from pathlib import Path

from dualpath.api.auth import Role
from dualpath.api.disclosure import READS
from dualpath.domain.disclosure import Audience

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _disclosure_table() -> dict[str, list[str]]:
    """mark → the cells for region staff, municipality, ops (✓ or —, or words)."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[A-Z]+`", cells[0]):
            rows[cells[0].strip("`").lower()] = cells[2:]
    return rows


def test_the_disclosure_table_is_the_policy():
    table = _disclosure_table()
    assert set(table) == {a.value for a in Audience}, "every mark has a row in docs/security.md, and no other"
    for audience, (region, municipality, ops) in table.items():
        assert READS[Role.clinician] == READS[Role.visitation]
        assert (region == "✓") == (Audience(audience) in READS[Role.clinician]), audience
        # OWNER: the municipality reads its own rows' fields, which the table says in words.
        assert (municipality == "✓") == (Audience(audience) in READS[Role.municipality]), audience
        assert (ops == "✓") == (Audience(audience) in READS[Role.ops]), audience


def test_the_tests_it_names_exist():
    named = set(re.findall(r"`(tests/[\w/]+(?:\.py)?/?)`", DOC.read_text()))
    assert named
    root = DOC.parents[1]
    assert [n for n in named if not (root / n).exists()] == []
