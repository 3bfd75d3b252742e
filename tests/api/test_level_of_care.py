"""A clinician decides the level of care on the patient's needs (issue #18, item 5), over real HTTP.

Derived changes (a phase move, an admission) go on as before; a decision is recorded as
LevelOfCareChanged with `decided` and the clinician as its actor.
"""

from .helpers import accepted_pathway, close_open_tasks

REGION = "region:1082"
LEVEL = "/pathways/{}/level-of-care"


async def test_a_clinician_decides_the_level_with_a_reason_and_a_phase_move_still_derives_it(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            LEVEL.format(pathway_id), json={"level": "integrated_stable", "reason": "stable for three weeks"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["phase"] == 1 and r.json()["level_of_care"] == "integrated_stable"
        decided = [h for h in r.json()["history"] if h["type"] == "LevelOfCareChanged"]
        assert [(h["data"]["to_level"], h["data"]["decided"], h["by"]["role"]) for h in decided] == [
            ("integrated_stable", True, "clinician")
        ]
        assert decided[0]["data"]["reason"] == "stable for three weeks"

        await close_open_tasks(c, pathway_id)
        moved = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2})
        assert moved.status_code == 200, moved.text
        assert moved.json()["level_of_care"] == "integrated_unstable"
        changes = [h["data"] for h in moved.json()["history"] if h["type"] == "LevelOfCareChanged"]
        assert [(d["to_level"], d["decided"]) for d in changes] == [
            ("integrated_stable", True),
            ("integrated_unstable", False),
        ]


async def test_a_level_decision_is_refused_with_what_is_allowed(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        for body, says in [
            ({"level": "integrated_unstable", "reason": "x"}, "integrated_unstable already"),
            ({"level": "inpatient", "reason": "x"}, "inpatient comes with an admission"),
            ({"level": "primary", "reason": "x"}, "with the pathway's end"),
            ({"level": "integrated_stable", "reason": "   "}, "needs the reason"),
        ]:
            r = await c.post(LEVEL.format(pathway_id), json=body)
            assert r.status_code == 409, (body, r.text)
            assert says in r.json()["message"], r.json()
            assert r.json()["allowed"] == ["integrated_stable", "integrated_unstable"]
        nonsense = await c.post(LEVEL.format(pathway_id), json={"level": "somewhere", "reason": "x"})
        assert nonsense.status_code == 422, nonsense.text

        admitted = await c.post(
            f"/pathways/{pathway_id}/admissions", json={"via": "acute_function", "ward": "Afsnit P3"}
        )
        assert admitted.status_code == 201, admitted.text
        r = await c.post(LEVEL.format(pathway_id), json={"level": "integrated_stable", "reason": "better"})
        assert r.status_code == 409 and "admitted" in r.json()["message"], r.text

        after = (await c.get(f"/pathways/{pathway_id}")).json()
        assert after["level_of_care"] == "inpatient"
        assert not [h for h in after["history"] if h["type"] == "LevelOfCareChanged" and h["data"]["decided"]]

    body = {"level": "integrated_stable", "reason": "x"}
    async with http.as_("municipality", "municipality:751") as m, http.as_("ops", "ops:national") as ops:
        assert (await m.post(LEVEL.format(pathway_id), json=body)).status_code == 403
        assert (await ops.post(LEVEL.format(pathway_id), json=body)).status_code == 403
    # Another region's clinician does not find the pathway at all.
    async with http.as_("clinician", "region:1084") as other:
        r = await other.post(LEVEL.format(pathway_id), json=body)
    assert r.status_code == 404, r.text
