"""The pathway's consent task is answered by a consent towards the pathway's own municipality only
(issue #18, item 8), over real HTTP."""

from .helpers import accepted_pathway

REGION = "region:1082"


def _consent_task(pathway: dict) -> dict:
    return next(t for t in pathway["tasks"] if t["kind"] == "consent_dialogue")


async def test_a_dialogue_consent_towards_another_municipality_leaves_the_consent_task_open(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        own = (await c.get(f"/pathways/{pathway_id}")).json()["municipality"]
        other = "101" if own != "101" else "751"
        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": other, "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text
        assert _consent_task(r.json())["state"] == "open"
        assert {(x["counterpart"], x["state"]) for x in r.json()["consents"]} == {(other, "given")}

        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "dialogue", "counterpart": own, "state": "given", "form": "oral"},
        )
        assert r.status_code == 200, r.text
        assert _consent_task(r.json())["state"] == "done"
