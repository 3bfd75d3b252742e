"""Request bodies and steps shared by the transition API tests."""

from __future__ import annotations

from dualpath.domain import copenhagen
from tests.api.helpers import cpr

REGION = "region:1082"
MUNICIPALITY = "municipality:751"  # Aarhus, in region 1082
TODAY = copenhagen.today().isoformat()

PARTIES = [
    {"role": "psychiatrist", "organisation": REGION},
    {"role": "substance_treatment", "organisation": MUNICIPALITY},
]
WITH_PATIENT = [*PARTIES, {"role": "patient", "organisation": "patient"}]


def to_integrated(**overrides) -> dict:
    body = {
        "direction": "to_integrated",
        "cpr": cpr(),
        "municipality": "751",
        "signs": ["missed_attendance", "crisis"],
        "dialogue_consent": "given",
        "psychiatric_contact": "current",
    }
    body.update(overrides)
    return body


async def start(c, body: dict) -> dict:
    r = await c.post("/transitions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def step(c, tid: str, path: str, body: dict | None = None, status: int = 200) -> dict:
    r = await c.post(f"/transitions/{tid}/{path}", json=body if body is not None else {})
    assert r.status_code == status, r.text
    return r.json()


def assessment(recommends: bool = True, answer: str | None = "we see the same: integrated treatment") -> dict:
    body = {
        "assessment": "worsening of mental illness and functioning; cannot follow coordinated treatment",
        "recommends_transition": recommends,
    }
    if answer is not None:
        body["answer_to_municipality"] = answer
    return body


WHO_SAYS_WHAT = {
    "statements": [
        {"party": "region", "says": "the psychiatrist explains the integrated offer"},
        {"party": "municipality", "says": "the substance worker says the municipality stays in touch"},
    ]
}


def held(plan: str = "koordinationsplan", **overrides) -> dict:
    body = {
        "held_on": TODAY,
        "attendees": WITH_PATIENT,
        "relatives_present": True,
        "concrete_transition": "starts in the clinic on Monday; the substance worker comes along",
        "joint_plan": {"kind": plan, "summary": "who does what from the start", "agreed_by": WITH_PATIENT},
    }
    body.update(overrides)
    return body


async def network_meeting_and_complete(parties, region_clinician, tid: str) -> dict:
    """After agreement: who says what, call the meeting, hold it, complete."""
    assert (await step(parties, tid, "who-says-what", WHO_SAYS_WHAT))["state"] == "who_says_what_agreed"
    called = await step(parties, tid, "network-meeting", {"participants": WITH_PATIENT, "relatives_invited": True})
    assert called["state"] == "network_meeting_called"
    assert (await step(parties, tid, "network-meeting/held", held()))["state"] == "network_meeting_held"
    return await step(region_clinician, tid, "complete", {"note": "the pathway starts"})
