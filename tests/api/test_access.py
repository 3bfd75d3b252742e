"""Who may see what: consent-gated municipal access, ops without clinical content, the access log."""

from tests.transitions.support import assessment

from .helpers import accepted_pathway

REGION = "region:1082"
AARHUS = "municipality:751"  # the pathway's municipality in accepted_pathway


async def _consent(c, pathway_id, state, counterpart="751"):
    r = await c.post(
        f"/pathways/{pathway_id}/consents",
        json={"scope": "dialogue", "counterpart": counterpart, "state": state, "form": "written"},
    )
    assert r.status_code == 200, r.text


async def test_municipality_sees_a_pathway_only_while_dialogue_consent_is_given(http):
    pathway_id = await accepted_pathway(http)
    async with (
        http.as_("clinician", REGION) as c,
        http.as_("municipality", AARHUS) as m,
        http.as_("municipality", "municipality:101") as other,
    ):
        assert (await m.get(f"/pathways/{pathway_id}")).status_code == 404
        assert pathway_id not in {p["pathway_id"] for p in (await m.get("/pathways")).json()}

        await _consent(c, pathway_id, "given")
        r = await m.get(f"/pathways/{pathway_id}")
        assert r.status_code == 200
        shared = r.json()
        assert all(h["data"] == {} and h["by"] is None for h in shared["history"])
        assert all(t["owner_org"] == AARHUS for t in shared["tasks"])
        assert pathway_id in {p["pathway_id"] for p in (await m.get("/pathways", params={"limit": 500})).json()}
        # Consent names a municipality: another one sees nothing.
        assert (await other.get(f"/pathways/{pathway_id}")).status_code == 404
        # Municipal staff read; they do not drive the region's pathway.
        r = await m.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert r.status_code == 403

        await _consent(c, pathway_id, "withdrawn")
        assert (await m.get(f"/pathways/{pathway_id}")).status_code == 404
        assert (await m.get(f"/referrals/{shared['referral_id']}")).status_code == 404


async def test_ops_see_process_state_but_no_clinical_content(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c, http.as_("ops", "ops:national") as o:
        await _consent(c, pathway_id, "given")
        clinical = (await c.get(f"/pathways/{pathway_id}")).json()
        r = await o.get(f"/pathways/{pathway_id}")
    assert r.status_code == 200
    seen = r.json()
    assert seen["phase"] == clinical["phase"] and seen["status"] == "active"
    assert [h["type"] for h in seen["history"]] == [h["type"] for h in clinical["history"]]
    assert any(h["data"] for h in clinical["history"])
    assert all(h["data"] == {} for h in seen["history"])
    assert "patient_id" not in r.text


async def test_every_look_and_change_is_in_the_access_log_for_ops(http, pool):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION, subject="nurse-42") as c, http.as_("ops", "ops:national") as o:
        await c.get(f"/pathways/{pathway_id}")
        await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "oral"},
        )
        async with http.as_("municipality", AARHUS, subject="caseworker-7") as m:
            await m.get(f"/pathways/{pathway_id}")
        r = await o.get("/access-log", params={"pathway_id": pathway_id})
        assert r.status_code == 200
        rows = r.json()
        async with http.as_("clinician", REGION) as c2:
            assert (await c2.get("/access-log")).status_code == 403
    actions = {(x["subject"], x["action"]) for x in rows}
    assert ("nurse-42", "GET /pathways/{pathway_id}") in actions
    assert ("nurse-42", "POST /pathways/{pathway_id}/consents") in actions
    muni = next(x for x in rows if x["subject"] == "caseworker-7")
    assert muni["legal_basis"].startswith("consent") and muni["organisation"] == AARHUS
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE pathway_id = $1", pathway_id) == len(rows)


async def test_a_command_is_one_row_in_the_access_log(http, pool):
    # The route looks once, before the command; its answer is read again without a second look.
    pathway_id = await accepted_pathway(http)
    subject = f"once-{pathway_id}"
    async with http.as_("clinician", REGION, subject=subject) as c:
        await _consent(c, pathway_id, "given")
        stay = await c.post(f"/pathways/{pathway_id}/admissions", json={"via": "planned", "ward": "Afsnit P1"})
        assert stay.status_code == 201, stay.text
        r = await c.post(
            "/transitions",
            json={"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "stable for a year"},
        )
        assert r.status_code == 201, r.text
        tid = r.json()["transition_id"]
        r = await c.post(f"/transitions/{tid}/assessment", json=assessment(answer="we propose coordinated"))
        assert r.status_code == 200, r.text
    rows = await pool.fetch("SELECT action FROM access_log WHERE subject = $1", subject)
    actions = [r["action"] for r in rows]
    for action in (
        "POST /pathways/{pathway_id}/consents",
        "POST /pathways/{pathway_id}/admissions",
        "POST /transitions/{transition_id}/assessment",
    ):
        assert actions.count(action) == 1, (action, actions)
