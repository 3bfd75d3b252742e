"""The staff register and the named contact person (issue #15 items 1 and 2), over real HTTP on the real servers.

- `POST /staff`: a clinician registers a colleague of their own region; the name lives in the register table
  only (never in Temporal nor an event); listed and read back by `GET /staff` and `GET /staff/{subject}`.
- Role rules: another organisation is 403 to register into and 404 to read; ops never register, and read
  counts, never names.
- `POST /pathways/{id}/contact-person`: naming closes the phase-1 task `contact_person`; a change without a
  reason is refused (409, saying so); an unknown subject, one of another region or an inactive one is refused
  (422); the history is kept, and the pathway shows the current contact person's name.
"""

from __future__ import annotations

import uuid

from dualpath import workflow_ids
from dualpath.workflows.staff_member_messages import StaffMemberInput
from tests.web.helpers import csrf, signed_in, text

from .helpers import accepted_pathway

REGION, OTHER_REGION, MUNICIPALITY = "region:1082", "region:1084", "municipality:751"


def _subject() -> str:
    return f"{uuid.uuid4().hex[:8]}@rm.dk"


async def _register(c, subject: str, name: str, team: str = "ambulant_team", role: str = "nurse") -> dict:
    r = await c.post("/staff", json={"subject": subject, "display_name": name, "team": team, "role": role})
    assert r.status_code == 201, r.text
    return r.json()


async def test_register_list_and_read_a_colleague(http, client):
    subject, name = _subject(), "Karen Kontaktperson"
    async with http.as_("clinician", REGION) as c:
        row = await _register(c, subject, name)
        assert (row["subject"], row["organisation"], row["team"], row["role"], row["display_name"], row["active"]) == (
            subject,
            REGION,
            "ambulant_team",
            "nurse",
            name,
            True,
        )
        r = await c.get(f"/staff/{subject}")
        assert r.status_code == 200 and r.json()["display_name"] == name, r.text
        listed = (await c.get("/staff", params={"team": "ambulant_team", "limit": 500})).json()
        assert listed["organisation"] == REGION and listed["count"] >= 1
        assert subject in [m["subject"] for m in listed["members"]]
        # Registered once: a second registration is refused.
        r = await c.post("/staff", json={"subject": subject, "display_name": "X", "team": "ward", "role": "doctor"})
        assert r.status_code == 409 and "registered already" in r.json()["message"], r.text
        # A change: the team and role by the workflow (StaffMemberChanged), the name in the register only.
        r = await c.post(f"/staff/{subject}", json={"team": "acute_team", "display_name": "Karen K. Hansen"})
        assert r.status_code == 200, r.text
        assert (r.json()["team"], r.json()["display_name"]) == ("acute_team", "Karen K. Hansen")
        # A team of a municipality is no team of a region.
        r = await c.post(
            "/staff", json={"subject": _subject(), "display_name": "Y", "team": "job_centre", "role": "mentor"}
        )
        assert r.status_code == 422 and "not a team of a region" in r.json()["message"], r.text

    # The name is nowhere in Temporal: neither in the workflow's history nor in the event store's stream.
    history = await client.get_workflow_handle(workflow_ids.staff_member(subject)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [start] = await client.data_converter.decode(started.input.payloads, [StaffMemberInput])
    assert (start.subject, start.organisation, start.team) == (subject, REGION, "ambulant_team")
    assert "Karen" not in str(start.model_dump()) and "Karen" not in history.to_json()
    assert subject not in workflow_ids.staff_member(subject)
    async with http.as_("clinician", REGION) as c:
        r = await c.get(f"/staff/{subject}")
        assert r.status_code == 200


async def test_role_rules_other_organisations_and_ops(http):
    subject = _subject()
    async with http.as_("clinician", REGION) as c:
        await _register(c, subject, "Ole Organisation")
        # Not into another organisation's register.
        r = await c.post(
            "/staff",
            json={
                "subject": _subject(),
                "display_name": "Z",
                "team": "ward",
                "role": "nurse",
                "organisation": OTHER_REGION,
            },
        )
        assert r.status_code == 403, r.text
        assert (await c.get("/staff", params={"org": OTHER_REGION})).status_code == 403
    async with http.as_("clinician", OTHER_REGION) as other:
        assert (await other.get(f"/staff/{subject}")).status_code == 404
        assert (await other.post(f"/staff/{subject}", json={"team": "ward"})).status_code == 404
        assert subject not in (await other.get("/staff")).text
    async with http.as_("municipality", MUNICIPALITY) as mun:
        assert (await mun.get(f"/staff/{subject}")).status_code == 404
        # A municipality keeps its own register, with its own teams.
        own = _subject()
        row = await _register(mun, own, "Mette Misbrug", team="substance_treatment_unit", role="addiction_counsellor")
        assert row["organisation"] == MUNICIPALITY
    async with http.as_("ops", "ops:national") as ops:
        r = await ops.post("/staff", json={"subject": _subject(), "display_name": "O", "team": "ward", "role": "nurse"})
        assert r.status_code == 403, r.text
        listed = await ops.get("/staff", params={"org": REGION})
        assert listed.status_code == 200 and listed.json()["count"] >= 1 and listed.json()["members"] == []
        assert "Ole Organisation" not in listed.text
        one = await ops.get(f"/staff/{subject}")
        assert one.status_code == 200 and one.json()["display_name"] is None and "Ole" not in one.text


async def test_naming_the_contact_person_closes_the_task_and_keeps_the_history(http):
    pathway_id = await accepted_pathway(http)
    first, second, elsewhere, inactive = _subject(), _subject(), _subject(), _subject()
    url = f"/pathways/{pathway_id}/contact-person"
    async with http.as_("clinician", REGION) as c:
        await _register(c, first, "Anna Ambulant")
        await _register(c, second, "Bo Behandler", role="psychologist")
        await _register(c, inactive, "Ivan Inaktiv")
        assert (await c.post(f"/staff/{inactive}", json={"active": False})).status_code == 200
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        task = next(t for t in p["tasks"] if t["kind"] == "contact_person")
        assert task["state"] == "open" and p["contact_person"] is None

        # Unknown, of another region, inactive: refused before any command, nothing recorded.
        r = await c.post(url, json={"subject": "nobody@rm.dk"})
        assert r.status_code == 422 and "not in the staff register of region:1082" in r.json()["message"], r.text
    async with http.as_("clinician", OTHER_REGION) as other:
        await _register(other, elsewhere, "Eva Andetsteds")
    async with http.as_("clinician", REGION) as c:
        r = await c.post(url, json={"subject": elsewhere})
        assert r.status_code == 422, r.text
        r = await c.post(url, json={"subject": inactive})
        assert r.status_code == 422 and "no longer active" in r.json()["message"], r.text

        # Named: the task is closed, the pathway shows the name.
        r = await c.post(url, json={"subject": first})
        assert r.status_code == 200, r.text
        p = r.json()
        assert p["contact_person"]["subject"] == first and p["contact_person"]["display_name"] == "Anna Ambulant"
        assert next(t for t in p["tasks"] if t["task_id"] == task["task_id"])["state"] == "done"

        # A change without a reason is refused, saying why; with one it is recorded.
        r = await c.post(url, json={"subject": second})
        assert r.status_code == 409 and "needs a reason" in r.json()["message"], r.text
        r = await c.post(url, json={"subject": second, "reason": "   "})
        assert r.status_code == 409, r.text
        r = await c.post(url, json={"subject": first, "reason": "the same"})
        assert r.status_code == 409 and "already" in r.json()["message"], r.text
        r = await c.post(url, json={"subject": second, "reason": "Anna goes on leave"})
        assert r.status_code == 200, r.text
        p = r.json()
        assert p["contact_person"]["display_name"] == "Bo Behandler"
        assert [(h["subject"], h["previous"], h["reason"]) for h in p["contact_person_history"]] == [
            (second, first, "Anna goes on leave"),
            (first, None, None),
        ]
        named = [h for h in p["history"] if h["type"] == "ContactPersonNamed"]
        assert len(named) == 2 and all("display_name" not in h["data"] for h in named)

        # Only clinicians name contact persons.
    async with http.as_("visitation", REGION) as v:
        assert (await v.post(url, json={"subject": first, "reason": "x"})).status_code == 403
    async with http.as_("ops", "ops:national") as ops:
        p = (await ops.get(f"/pathways/{pathway_id}")).json()
        assert "Bo Behandler" not in str(p) and "Anna" not in str(p)
        assert p["contact_person"]["display_name"] is None and p["contact_person"]["subject"] is None


async def test_the_pathway_page_names_the_contact_person(api, http):
    """The page's card "Kontaktperson": the form offers the region's active staff; without a reason a change is
    refused beside the form; the current name shows, the earlier ones under "Tidligere kontaktpersoner"."""
    pathway_id = await accepted_pathway(http)
    first, second = _subject(), _subject()
    async with http.as_("clinician", REGION) as c:
        await _register(c, first, "Freja Først")
        await _register(c, second, "Sune Skift", team="acute_team")
    url = f"/forloeb/{pathway_id}"
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(url)
        assert "Forløbet har endnu ingen fast, navngiven kontaktperson." in text(page)
        assert f'action="{url}/kontaktperson#kontaktperson"' in page.text and "Freja Først" in page.text
        token = await csrf(c, url)
        r = await c.post(f"{url}/kontaktperson", data={"csrf": token, "idem": "k1", "subject": first})
        assert r.status_code == 303, r.text
        page = await c.get(r.headers["location"])
        assert "Kontaktpersonen er navngivet." in text(page) and "Freja Først · Ambulant team" in text(page)
        r = await c.post(f"{url}/kontaktperson", data={"csrf": token, "idem": "k2", "subject": second})
        assert r.status_code == 409 and "needs a reason" in text(r) and 'id="form-contact-person"' in r.text
        data = {"csrf": token, "idem": "k3", "subject": second, "reason": "Freja skifter team"}
        assert (await c.post(f"{url}/kontaktperson", data=data)).status_code == 303
        page = text(await c.get(url))
        assert "Sune Skift · Akutteam" in page and "Tidligere kontaktpersoner" in page and "Freja skifter team" in page
    async with signed_in(api, "ops", "ops:national") as c:
        page = await c.get(url)
        assert page.status_code == 200 and "Sune" not in page.text and "(navnet vises ikke)" in text(page)


async def test_a_task_given_to_a_named_person_is_on_their_worklist_as_mine(api, http):
    pathway_id = await accepted_pathway(http)
    me, colleague, other_team = _subject(), _subject(), _subject()
    async with http.as_("clinician", REGION) as c:
        await _register(c, me, "Mads Mig")
        await _register(c, colleague, "Kim Kollega")
        await _register(c, other_team, "Aske Akut", team="acute_team")
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        open_tasks = [t for t in p["tasks"] if t["state"] == "open"]
        mine, theirs, elsewhere = open_tasks[0], open_tasks[1], open_tasks[2]
        url = f"/pathways/{pathway_id}/tasks/{{}}/assign"
        r = await c.post(url.format(mine["task_id"]), json={"subject": me})
        assert r.status_code == 200, r.text
        assert (await c.post(url.format(theirs["task_id"]), json={"subject": colleague})).status_code == 200
        r = await c.post(url.format(elsewhere["task_id"]), json={"subject": other_team})
        assert r.status_code == 200, r.text
        assigned = {a["task_id"]: (a["subject"], a["display_name"]) for a in r.json()["task_assignments"]}
        assert assigned[mine["task_id"]] == (me, "Mads Mig") and len(assigned) == 3
        # Unknown person, or a task that is not open on the pathway: refused.
        r = await c.post(url.format(mine["task_id"]), json={"subject": "nobody@rm.dk"})
        assert r.status_code == 422, r.text
        r = await c.post(url.format(str(uuid.uuid4())), json={"subject": me})
        assert r.status_code == 409 and "not an open task" in r.json()["message"], r.text
    async with http.as_("clinician", REGION, subject=me) as c:
        listed = (await c.get("/worklist", params={"scope": "mine", "limit": 500})).json()
        assert [t["task_id"] for t in listed] == [mine["task_id"]]
        team = {t["task_id"] for t in (await c.get("/worklist", params={"scope": "team", "limit": 500})).json()}
        assert {mine["task_id"], theirs["task_id"]} <= team and elsewhere["task_id"] not in team
        everything = {t["task_id"] for t in (await c.get("/worklist", params={"limit": 500})).json()}
        assert {mine["task_id"], theirs["task_id"], elsewhere["task_id"]} <= everything
    async with signed_in(api, "clinician", REGION, subject=me) as c:
        page = await c.get("/arbejdsliste", params={"vis": "mine"})
        assert page.status_code == 200 and f"/forloeb/{pathway_id}" in page.text
        assert "Opgaver 1 af" in text(page) and 'value="mine" selected' in page.text
    async with http.as_("clinician", REGION, subject="not-registered@rm.dk") as c:
        r = await c.get("/worklist", params={"scope": "team"})
        assert r.status_code == 422 and "staff register" in r.json()["message"], r.text
