"""Shared request bodies for API tests."""

import random

from dualpath.domain import copenhagen


def cpr() -> str:
    """A CPR number of valid form, different each call (tests share one database)."""
    day, month, year = random.randint(1, 28), random.randint(1, 12), random.randint(40, 99)
    return f"{day:02d}{month:02d}{year:02d}{random.randint(0, 3)}{random.randint(0, 999):03d}"


def referral(**overrides) -> dict:
    body = {
        "cpr": cpr(),
        "municipality": "751",  # Aarhus, region Midtjylland (1082)
        "source": "municipality",
        # Today: a pathway accepted from it starts well within its §82c deadline (no deadline task yet).
        "received_on": str(copenhagen.today()),
        "facts": {"psychiatric_contact": "current", "municipal_substance_treatment": True},
        "criteria": {
            "mental_illness": "severe",
            "substance_problem": True,
            "reduced_functioning": True,
            "parallel_treatment_insufficient": True,
        },
    }
    body.update(overrides)
    return body


async def accepted_pathway(http, region: str = "region:1082", **overrides) -> str:
    async with http.as_("clinician", region) as c, http.as_("visitation", region) as v:
        r = await c.post("/referrals", json=referral(**overrides))
        assert r.status_code == 201, r.text
        d = await v.post(f"/referrals/{r.json()['referral_id']}/decision", json={"accept": True})
        assert d.status_code == 200, d.text
        return d.json()["pathway_id"]


async def close_open_tasks(c, pathway_id: str) -> None:
    """Close the current phase's tasks the way staff would: consent recorded, the rest done."""
    p = (await c.get(f"/pathways/{pathway_id}")).json()
    for t in p["tasks"]:
        if t["state"] != "open":
            continue
        if t["kind"] == "consent_dialogue":
            r = await c.post(
                f"/pathways/{pathway_id}/consents",
                json={"scope": "dialogue", "counterpart": p["municipality"], "state": "given", "form": "written"},
            )
        elif t["kind"] == "first_treatment_contact":
            r = await c.post(f"/pathways/{pathway_id}/first-contact", json={"contact_on": str(copenhagen.today())})
        elif t["kind"] in ("network_meeting", "startup_meeting_accompaniment"):
            r = await c.post(
                f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete",
                json={"outcome": "not_possible", "note": "held outside the engine (test)"},
            )
        else:
            r = await c.post(f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete", json={"outcome": "done"})
        assert r.status_code == 200, r.text
