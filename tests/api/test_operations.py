"""The ops console: list filters find exactly the expected pathways; `dualpath status` counts them."""

import asyncio
import os
import subprocess
import sys

from dualpath import status
from dualpath.workflows import pathway as pathway_wf
from tests.poll import eventually

from .helpers import accepted_pathway, close_open_tasks


async def _visible(client, query, expected):
    async def found():  # visibility is eventually consistent
        return {w.id async for w in client.list_workflows(query)}

    return await eventually(found, lambda ids: ids >= expected, what=f"{sorted(expected)} listed by {query}")


async def test_list_filters_find_exactly_the_expected_pathways(http, client, settings):
    made = {}
    for region, municipality, phase in [("1081", "851", 1), ("1081", "851", 2), ("1083", "461", 2)]:
        pid = await accepted_pathway(http, f"region:{region}", municipality=municipality)
        if phase == 2:
            async with http.as_("clinician", f"region:{region}") as c:
                await close_open_tasks(c, pid)
                assert (await c.post(f"/pathways/{pid}/ambulatory/phase", json={"to": 2})).status_code == 200
        made[pathway_wf.workflow_id(pid, region)] = (region, phase)
    ours = " OR ".join(f'WorkflowId = "{w}"' for w in made)
    for region, phase in [("1081", 1), ("1081", 2), ("1083", 2)]:
        query = f'PathwayKind = "ambulatory" AND Region = "{region}" AND Phase = "{phase}" AND ({ours})'
        expected = {w for w, rp in made.items() if rp == (region, phase)}
        assert await _visible(client, query, expected) == expected

    # The status table's queries are the same filters, counted.
    rows = {(k, v): q for k, v, q in status.queries("1081")}
    assert 'Region = "1081"' in rows[("ambulatory", "2")]
    env = {**os.environ, "DUALPATH_TEMPORAL_ADDRESS": settings.temporal_address}
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "dualpath.cli", "status", "--region", "1081"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("ambulatory") and x.split()[1] == "2")
    assert int(line.split()[2]) >= 1
