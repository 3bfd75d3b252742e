"""Patient identity stays in the patient register; operators can filter by search attributes."""

import asyncio
import json
import logging
import os
import subprocess
import sys

from dualpath.workflows import pathway as pathway_wf
from dualpath.workflows import referral as referral_wf
from tests.poll import eventually

from .helpers import close_open_tasks, cpr, referral

REGION = "region:1082"


async def test_the_cpr_number_is_only_in_the_patient_register(http, client, pool, caplog):
    number = cpr()
    caplog.set_level(logging.DEBUG)
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        r = await c.post("/referrals", json=referral(cpr=number))
        referral_id = r.json()["referral_id"]
        pathway_id = (await v.post(f"/referrals/{referral_id}/decision", json={"accept": True})).json()["pathway_id"]
        p = await c.get(f"/pathways/{pathway_id}")
    assert number not in r.text and number not in p.text
    assert number not in caplog.text
    for wid in (referral_wf.workflow_id(referral_id, "1082"), pathway_wf.workflow_id(pathway_id, "1082")):
        history = await client.get_workflow_handle(wid).fetch_history()
        assert number not in json.dumps(history.to_json_dict())
    assert await pool.fetchval("SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%'", number) == 0
    assert await pool.fetchval("SELECT count(*) FROM patients WHERE cpr = $1", number) == 1


async def test_pathways_are_found_by_their_search_attributes(http, client):
    async with http.as_("clinician", REGION) as c, http.as_("visitation", REGION) as v:
        r = await c.post("/referrals", json=referral())
        pathway_id = (await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})).json()[
            "pathway_id"
        ]
        await close_open_tasks(c, pathway_id)
        await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
    query = (
        f'WorkflowId = "{pathway_wf.workflow_id(pathway_id, "1082")}" AND PathwayKind = "ambulatory" '
        'AND Region = "1082" AND Phase = "2" AND LevelOfCare = "integrated_unstable" AND TargetGroup = 2'
    )

    async def found():  # visibility is eventually consistent
        return [w.id async for w in client.list_workflows(query)]

    listed = await eventually(found, what=f"the pathway listed by {query}")
    assert listed == [pathway_wf.workflow_id(pathway_id, "1082")]


async def test_projections_rebuild_gives_the_same_read_models(http, pool, pg_url):
    async with http.as_("clinician", REGION) as c:
        await c.post("/referrals", json=referral())
    tables = ["rm_referrals", "rm_pathways", "rm_tasks", "rm_consents"]

    async def snapshot():
        return {t: sorted(map(tuple, await pool.fetch(f"SELECT * FROM {t}"))) for t in tables}

    before = await snapshot()
    env = {**os.environ, "DATABASE_URL": pg_url}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "dualpath.cli", "projections", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "read models rebuilt from" in result.stdout
    after = await snapshot()
    assert after == before and before["rm_referrals"]
