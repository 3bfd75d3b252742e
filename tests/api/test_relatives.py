"""Relatives and peers around the patient (issue #15 item 4), over real HTTP on the real servers.

- `POST /pathways/{id}/relatives`: the name, relation and contact go to the register table `relatives` only; the
  pathway records RelativeAdded with the relative's id and kind of relation; the name is nowhere in Temporal (every
  payload of the pathway's history decoded) nor in the pathway's events.
- Consent scope `involve_relative` with the relative's id as counterpart: only for a relative of the pathway.
- Meetings: a relative is invited (called) or present (held) only with that consent given; refused (409, saying
  so) before it, again once it is withdrawn, and once the relative is removed.
- Peer workers and mentors take part as participants without a consent of their own.
- Disclosure: a municipality without consent sees no pathway and so no relatives; with consent it reads them; ops
  read the count, never a name.
"""

from __future__ import annotations

import uuid

from temporalio.api.common.v1 import Payload

from dualpath import codec
from dualpath.domain import copenhagen
from dualpath.workflows import pathway as pathway_wf
from tests.codec.test_encrypted_history import payloads_in
from tests.transitions.support import WHO_SAYS_WHAT, WITH_PATIENT, assessment, held, start, step
from tests.web.helpers import csrf, signed_in, text

from .helpers import accepted_pathway, close_open_tasks

REGION, MUNICIPALITY = "region:1082", "municipality:751"
CLINICIAN = {"role": "clinician", "organisation": REGION}


def _relative(relative_id: str) -> dict:
    return {"role": "relative", "organisation": f"relative:{relative_id}"}


async def _consent(c, pathway_id: str, relative_id: str, state: str) -> None:
    r = await c.post(
        f"/pathways/{pathway_id}/consents",
        json={"scope": "involve_relative", "counterpart": relative_id, "state": state, "form": "oral"},
    )
    assert r.status_code == 200, r.text


async def _call(c, pathway_id: str, *participants: dict):
    return await c.post(
        f"/pathways/{pathway_id}/meetings",
        json={"kind": "network_meeting", "occasion": "other", "participants": [CLINICIAN, *participants]},
    )


async def _decoded_history(client, pathway_id: str) -> bytes:
    """Every payload of the pathway's workflow history, decoded (those not encrypted as they are)."""
    history = await client.get_workflow_handle(pathway_wf.workflow_id(pathway_id, "1082")).fetch_history()
    found: list[bytes] = []
    for event in history.events:
        for _, p in payloads_in(event):
            if codec.KEY_ID in p.metadata:
                [plain] = await client.data_converter.payload_codec.decode([Payload(metadata=p.metadata, data=p.data)])
                found.append(plain.data)
            else:
                found.append(p.data)
    assert found, "no payloads found in the history"
    return b"\n".join(found)


async def test_a_relative_is_kept_in_the_register_and_never_in_temporal(http, client, pool):
    pathway_id = await accepted_pathway(http)
    name, contact = f"Rikke Relativ {uuid.uuid4().hex[:6]}", "+45 2012 3456"
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            f"/pathways/{pathway_id}/relatives", json={"name": name, "relation": "parent", "contact": contact}
        )
        assert r.status_code == 201, r.text
        listed = r.json()
        assert listed["count"] == 1, listed
        [rel] = listed["relatives"]
        assert (rel["name"], rel["relation"], rel["contact"], rel["consent"]) == (name, "parent", contact, None)
        relative_id = rel["relative_id"]
        assert (await c.get(f"/pathways/{pathway_id}/relatives")).json() == listed
        history = (await c.get(f"/pathways/{pathway_id}")).json()["history"]
        added = [h for h in history if h["type"] == "RelativeAdded"]
        assert [h["data"] for h in added] == [
            {"pathway_id": pathway_id, "relative_id": relative_id, "relation": "parent"}
        ], added
        # Not a relative of the pathway: no name, and the relation must be one the register knows.
        r = await c.post(f"/pathways/{pathway_id}/relatives", json={"name": "X", "relation": "pet"})
        assert r.status_code == 422, r.text

    # Nowhere in Temporal (every payload of the pathway's history decoded) nor in the pathway's events.
    plain = await _decoded_history(client, pathway_id)
    assert relative_id.encode() in plain  # the update that added the relative is there, by id
    assert name.encode() not in plain and contact.encode() not in plain
    events = await pool.fetch("SELECT data::text AS data FROM events WHERE stream_id = $1", f"pathway-{pathway_id}")
    assert events and not any(name in e["data"] or contact in e["data"] for e in events)
    assert await pool.fetchval("SELECT name FROM relatives WHERE relative_id = $1", relative_id) == name


async def test_a_relative_is_at_a_meeting_only_with_the_consent_to_involve_them(http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(f"/pathways/{pathway_id}/relatives", json={"name": "Per Partner", "relation": "partner"})
        assert r.status_code == 201, r.text
        relative_id = r.json()["relatives"][0]["relative_id"]

        # Without consent: refused, saying what is missing; an unknown relative, or one named by name, too.
        r = await _call(c, pathway_id, _relative(relative_id))
        assert r.status_code == 409 and "consent" in r.json()["message"] and "involve_relative" in r.json()["message"]
        r = await _call(c, pathway_id, {"role": "pårørende", "organisation": "family", "name_or_function": "Per"})
        assert r.status_code == 409 and "relative:<relative_id>" in r.json()["message"], r.text
        r = await _call(c, pathway_id, _relative(str(uuid.uuid4())))
        assert r.status_code == 409, r.text
        # Peer workers and mentors take part without a consent of their own.
        r = await _call(
            c,
            pathway_id,
            {"role": "peer_worker", "organisation": MUNICIPALITY},
            {"role": "mentor", "organisation": MUNICIPALITY},
        )
        assert r.status_code == 201, r.text

        # The consent's counterpart is a relative of this pathway, by id.
        for counterpart in ("751x", str(uuid.uuid4())):
            r = await c.post(
                f"/pathways/{pathway_id}/consents",
                json={"scope": "involve_relative", "counterpart": counterpart, "state": "given", "form": "oral"},
            )
            assert r.status_code == 422, r.text

        await _consent(c, pathway_id, relative_id, "given")
        assert (await c.get(f"/pathways/{pathway_id}/relatives")).json()["relatives"][0]["consent"] == "given"
        r = await _call(c, pathway_id, _relative(relative_id))
        assert r.status_code == 201, r.text
        meeting_id = r.json()["meeting_id"]
        assert _relative(relative_id) | {"name_or_function": None} in r.json()["participants"]
        # A name with the relative is refused: the name stays in the register.
        r = await _call(c, pathway_id, _relative(relative_id) | {"name_or_function": "Per Partner"})
        assert r.status_code == 409 and "register" in r.json()["message"], r.text

        # Withdrawn: neither invited nor recorded present any more.
        await _consent(c, pathway_id, relative_id, "withdrawn")
        r = await _call(c, pathway_id, _relative(relative_id))
        assert r.status_code == 409 and "withdrawn" in r.json()["message"], r.text
        held = {
            "held_on": str(copenhagen.today()),
            "outcome": "agreed",
            "attendees": [CLINICIAN, _relative(relative_id)],
        }
        r = await c.post(f"/pathways/{pathway_id}/meetings/{meeting_id}/held", json=held)
        assert r.status_code == 409, r.text
        # Given again: present.
        await _consent(c, pathway_id, relative_id, "given")
        r = await c.post(f"/pathways/{pathway_id}/meetings/{meeting_id}/held", json=held)
        assert r.status_code == 200 and _relative(relative_id) | {"name_or_function": None} in r.json()["attendees"]

        # Removed from the pathway: no longer invited, though the consent stands; removed once.
        r = await c.delete(f"/pathways/{pathway_id}/relatives/{relative_id}")
        assert r.status_code == 200 and r.json()["count"] == 0, r.text
        assert r.json()["relatives"][0]["removed_at"] is not None
        assert (await c.delete(f"/pathways/{pathway_id}/relatives/{relative_id}")).status_code == 409
        r = await _call(c, pathway_id, _relative(relative_id))
        assert r.status_code == 409, r.text
        types = [h["type"] for h in (await c.get(f"/pathways/{pathway_id}")).json()["history"]]
        assert "RelativeAdded" in types and "RelativeRemoved" in types


async def test_municipality_sees_relatives_only_with_consent_and_ops_never_a_name(http):
    with_consent, without = await accepted_pathway(http), await accepted_pathway(http)
    name = f"Sofie Søster {uuid.uuid4().hex[:6]}"
    async with http.as_("clinician", REGION) as c:
        for pathway_id in (with_consent, without):
            r = await c.post(f"/pathways/{pathway_id}/relatives", json={"name": name, "relation": "sibling"})
            assert r.status_code == 201, r.text
        r = await c.post(
            f"/pathways/{with_consent}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text
    async with http.as_("municipality", MUNICIPALITY) as mun:
        r = await mun.get(f"/pathways/{without}/relatives")
        assert r.status_code == 404 and name not in r.text, r.text
        r = await mun.get(f"/pathways/{with_consent}/relatives")
        assert r.status_code == 200 and r.json()["relatives"][0]["name"] == name, r.text
        # Municipal staff do not add relatives (clinicians of the region do).
        r = await mun.post(f"/pathways/{with_consent}/relatives", json={"name": "Y", "relation": "friend"})
        assert r.status_code == 403, r.text
    async with http.as_("ops", "ops:national") as ops:
        for pathway_id in (with_consent, without):
            r = await ops.get(f"/pathways/{pathway_id}/relatives")
            assert r.status_code == 200 and r.json()["count"] == 1 and r.json()["relatives"] == [], r.text
            assert name not in r.text


async def test_the_pathway_page_adds_a_relative_records_the_consent_and_removes_them(http, api):
    pathway_id = await accepted_pathway(http)
    url = f"/forloeb/{pathway_id}"
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(url)
        assert "Ingen pårørende registreret." in text(page) and f'action="{url}/paaroerende#paaroerende"' in page.text
        token = await csrf(c, url)
        data = {"csrf": token, "idem": "r1", "name": "Mona Mor", "relation": "parent", "contact": "mona@example.dk"}
        r = await c.post(f"{url}/paaroerende", data=data)
        assert r.status_code == 303, r.text
        page = text(await c.get(r.headers["location"]))
        assert "Den pårørende er tilføjet forløbet." in page and "Mona Mor id" in page and "forælder" in page
        assert "Intet samtykke: kan ikke inviteres til møder" in page
        async with http.as_("clinician", REGION) as api_c:
            listed = (await api_c.get(f"/pathways/{pathway_id}/relatives")).json()
        [relative_id] = [r["relative_id"] for r in listed["relatives"]]
        consent = {"csrf": token, "idem": "r2", "scope": "involve_relative", "counterpart": relative_id}
        r = await c.post(f"{url}/samtykke", data=consent | {"state": "given", "consent_form": "oral"})
        assert r.status_code == 303, r.text
        page = text(await c.get(url))
        assert "Træk samtykket tilbage" in page and "Inddragelse af en navngiven pårørende" in page
        async with http.as_("clinician", REGION) as api_c:
            r = await _call(api_c, pathway_id, _relative(relative_id), {"role": "mentor", "organisation": MUNICIPALITY})
            assert r.status_code == 201, r.text
        page = text(await c.get(url))
        assert "pårørende (Mona Mor)" in page and "mentor (municipality:751)" in page
        r = await c.post(f"{url}/paaroerende/{relative_id}/fjern", data={"csrf": token, "idem": "r3"})
        assert r.status_code == 303, r.text
        page = text(await c.get(r.headers["location"]))
        assert "Den pårørende er fjernet fra forløbet." in page and "Fjernet" in page and "Pårørende fjernet" in page
    async with signed_in(api, "ops", "ops:national") as c:
        page = await c.get(url)
        assert page.status_code == 200 and "Mona" not in page.text and "mona@" not in page.text


async def test_a_transition_network_meeting_takes_a_relative_only_with_consent(http):
    """The move back to coordinated treatment has the pathway: its network meeting is a meeting like any other."""
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as cli, http.as_("municipality", MUNICIPALITY) as mun:
        for to in (3, 4):  # the dialogue consent is given on the way (close_open_tasks)
            await close_open_tasks(cli, pathway_id)
            r = await cli.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": to, "reason": "stable"})
            assert r.status_code == 200, r.text
        r = await cli.post(f"/pathways/{pathway_id}/relatives", json={"name": "Bo Bror", "relation": "sibling"})
        relative_id = r.json()["relatives"][0]["relative_id"]
        created = await start(cli, {"direction": "to_coordinated", "pathway_id": pathway_id, "reason": "stable"})
        tid = created["transition_id"]
        await step(cli, tid, "assessment", assessment(answer="we propose coordinated treatment"))
        await step(mun, tid, "agreement", {"on": "transition"})
        await step(mun, tid, "who-says-what", WHO_SAYS_WHAT)
        call = {"participants": [*WITH_PATIENT, _relative(relative_id)], "relatives_invited": True}
        r = await cli.post(f"/transitions/{tid}/network-meeting", json=call)
        assert r.status_code == 409 and "involve_relative" in r.json()["message"], r.text
        await _consent(cli, pathway_id, relative_id, "given")
        await step(cli, tid, "network-meeting", call)
        t = await step(cli, tid, "network-meeting/held", held(attendees=[*WITH_PATIENT, _relative(relative_id)]))
        assert t["state"] == "network_meeting_held"
