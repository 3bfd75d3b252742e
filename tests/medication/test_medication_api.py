"""Medication changes over real HTTP (spec §4 "Medication", §7 "Consent").

The session worker has no FMK URL: notices go to the local recorder, table
`fmk_notices`.
"""

import logging
import uuid
from datetime import datetime

import structlog.testing

from dualpath.domain import medication
from dualpath.workflows import pathway as pathway_wf
from tests.api.helpers import accepted_pathway

REGION = "region:1082"
MUNICIPALITY = "751"  # Aarhus, the pathway's municipality (accepted_pathway's default)
CHANGED_AT = "2026-04-01T09:30:00+02:00"
NOTICE_COLUMNS = {"id", "idempotency_key", "pathway_id", "municipality", "changed_at", "recorded_at"}


def _drug() -> str:
    """A drug name no other row, event or log line could contain by chance."""
    return f"quetiapin-{uuid.uuid4().hex[:8]}"


def _change(drug: str, **overrides) -> dict:
    return {"action": "start", "drug": drug, "changed_at": CHANGED_AT, "private": False, **overrides}


async def _consent(c, pathway_id: str, state: str, counterpart: str = MUNICIPALITY) -> None:
    r = await c.post(
        f"/pathways/{pathway_id}/consents",
        json={"scope": "inform_municipal_treatment", "counterpart": counterpart, "state": state, "form": "written"},
    )
    assert r.status_code == 200, r.text


async def _record(c, pathway_id: str, body: dict) -> dict:
    r = await c.post(f"/pathways/{pathway_id}/medication-changes", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _notices(pool, pathway_id: str) -> list[dict]:
    return [
        dict(r) for r in await pool.fetch("SELECT * FROM fmk_notices WHERE pathway_id = $1 ORDER BY id", pathway_id)
    ]


def _open(tasks: list[dict], kind: str) -> list[dict]:
    return [t for t in tasks if t["kind"] == kind and t["state"] == "open"]


async def _worklist(c, pathway_id: str, kind: str) -> list[dict]:
    r = await c.get("/worklist", params={"kind": kind, "limit": 500})
    assert r.status_code == 200, r.text
    return [t for t in r.json() if t["pathway_id"] == pathway_id]


async def test_with_consent_one_notice_goes_out_and_it_carries_nothing_clinical(http, pool, store, caplog):
    caplog.set_level(logging.DEBUG)
    pathway_id, drug = await accepted_pathway(http), _drug()
    async with http.as_("clinician", REGION) as c:
        await _consent(c, pathway_id, "given")
        with structlog.testing.capture_logs() as logs:
            out = await _record(c, pathway_id, _change(drug))
    assert out["notice"]["sent"] is True and out["notice"]["reason"] == medication.SENT
    key = out["notice"]["idempotency_key"]
    assert key and out["change_id"]
    assert not _open(out["open_tasks"], medication.SEEK_CONSENT_TASK)

    [row] = await _notices(pool, pathway_id)
    assert set(row) == NOTICE_COLUMNS  # the four FmkNotice fields, and the table's own id and time
    assert row["idempotency_key"] == key and row["municipality"] == MUNICIPALITY
    assert row["changed_at"] == datetime.fromisoformat(CHANGED_AT)
    assert not any(drug in str(v) for v in row.values())
    assert "quetiapin" not in " ".join(str(v) for v in row.values())

    # The change, with its drug and who recorded it, is in the event store; the notice event is not clinical.
    events = await store.read_stream(pathway_wf.stream_id(pathway_id))
    [recorded] = [e for e in events if e.type == "MedicationChangeRecorded"]
    assert recorded.data["drug"] == drug and recorded.data["change_id"] == out["change_id"]
    assert recorded.data["action"] == "start" and recorded.data["private"] is False
    assert recorded.metadata["actor"]["role"] == "clinician"
    [sent] = [e for e in events if e.type == "FmkNoticeSent"]
    assert sent.data["idempotency_key"] == key and drug not in str(sent.data)
    assert not [e for e in events if e.type == "FmkNoticeWithheld"]

    # Nor in the logs: the activity did log the notice, by key only.
    delivered = [e for e in logs if e["event"] == "fmk notice delivered"]
    assert [e["idempotency_key"] for e in delivered] == [key]
    assert drug not in str(logs) and drug not in caplog.text


async def test_a_private_marked_prescription_sends_nothing_and_asks_for_no_consent(http, pool, store):
    pathway_id, drug = await accepted_pathway(http), _drug()
    async with http.as_("clinician", REGION) as c:
        await _consent(c, pathway_id, "given")
        out = await _record(c, pathway_id, _change(drug, action="change", private=True))
        assert await _worklist(c, pathway_id, medication.SEEK_CONSENT_TASK) == []
    assert out["notice"] == {"sent": False, "reason": medication.PRIVATE_MARKED, "idempotency_key": None}
    assert "privatmarkering" in out["notice"]["reason"]
    assert not _open(out["open_tasks"], medication.SEEK_CONSENT_TASK)
    assert await _notices(pool, pathway_id) == []
    events = await store.read_stream(pathway_wf.stream_id(pathway_id))
    assert [e.data["private"] for e in events if e.type == "MedicationChangeRecorded"] == [True]
    assert [e.data["reason"] for e in events if e.type == "FmkNoticeWithheld"] == [medication.PRIVATE_MARKED]


async def test_without_consent_nothing_is_sent_and_one_task_asks_the_clinician_to_seek_it(http, pool, store):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        first = await _record(c, pathway_id, _change(_drug()))
        assert first["notice"] == {"sent": False, "reason": medication.NO_CONSENT, "idempotency_key": None}
        [task] = _open(first["open_tasks"], medication.SEEK_CONSENT_TASK)
        assert task["title"] == medication.SEEK_CONSENT_TITLE
        assert task["owner_org"] == REGION and task["owner_role"] == "clinician" and task["mandatory"] is False
        assert [t["task_id"] for t in await _worklist(c, pathway_id, medication.SEEK_CONSENT_TASK)] == [task["task_id"]]

        second = await _record(c, pathway_id, _change(_drug(), action="stop"))
        assert second["notice"]["sent"] is False
        assert [t["task_id"] for t in _open(second["open_tasks"], medication.SEEK_CONSENT_TASK)] == [task["task_id"]]
        assert len(await _worklist(c, pathway_id, medication.SEEK_CONSENT_TASK)) == 1

        # Not mandatory: with phase 1's own tasks closed, the pathway moves on while it is open.
        p = (await c.get(f"/pathways/{pathway_id}")).json()
        for t in p["tasks"]:
            if t["state"] == "open" and t["phase"] == 1:
                r = await c.post(
                    f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete",
                    json={"outcome": "not_possible", "note": "not this time (test)"},
                )
                assert r.status_code == 200, r.text
        r = await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2, "reason": "chaotic"})
        assert r.status_code == 200, r.text
        assert _open(r.json()["tasks"], medication.SEEK_CONSENT_TASK)

        # Recording the consent answers the task that asked for it.
        await _consent(c, pathway_id, "given")
        assert not await _worklist(c, pathway_id, medication.SEEK_CONSENT_TASK)
    assert await _notices(pool, pathway_id) == []
    events = await store.read_stream(pathway_wf.stream_id(pathway_id))
    assert [e.type for e in events].count("MedicationChangeRecorded") == 2
    assert [e.data["kind"] for e in events if e.type == "TaskOpened"].count(medication.SEEK_CONSENT_TASK) == 1


async def test_a_withdrawal_stops_notices_at_once(http, pool):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await _consent(c, pathway_id, "given")
        before = await _record(c, pathway_id, _change(_drug()))
        assert before["notice"]["sent"] is True
        await _consent(c, pathway_id, "withdrawn")
        after = await _record(c, pathway_id, _change(_drug(), action="change"))
        assert after["notice"] == {"sent": False, "reason": medication.WITHDRAWN, "idempotency_key": None}
        assert _open(after["open_tasks"], medication.SEEK_CONSENT_TASK)
    assert [n["idempotency_key"] for n in await _notices(pool, pathway_id)] == [before["notice"]["idempotency_key"]]


async def test_consent_given_for_another_municipality_is_no_consent_for_this_one(http, pool):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await _consent(c, pathway_id, "given", counterpart="101")  # København, not the pathway's Aarhus
        out = await _record(c, pathway_id, _change(_drug()))
    assert out["notice"] == {"sent": False, "reason": medication.NO_CONSENT, "idempotency_key": None}
    assert _open(out["open_tasks"], medication.SEEK_CONSENT_TASK)
    assert await _notices(pool, pathway_id) == []


async def test_only_clinicians_of_the_pathways_region_record_and_the_input_is_checked(http, pool, store):
    pathway_id = await accepted_pathway(http)
    url = f"/pathways/{pathway_id}/medication-changes"
    async with (
        http.as_("clinician", REGION) as c,
        http.as_("visitation", REGION) as v,
        http.as_("clinician", "region:1084") as other,
        http.as_("municipality", "municipality:751") as m,
    ):
        assert (await v.post(url, json=_change(_drug()))).status_code == 403
        assert (await m.post(url, json=_change(_drug()))).status_code == 403
        assert (await other.post(url, json=_change(_drug()))).status_code == 404
        assert (await c.post(f"/pathways/{uuid.uuid4()}/medication-changes", json=_change(_drug()))).status_code == 404
        r = await c.post(url, json=_change(_drug(), changed_at="2026-04-01T09:30:00"))
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "changed_at"
        r = await c.post(url, json=_change(_drug(), action="pause"))
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "action"
    events = await store.read_stream(pathway_wf.stream_id(pathway_id))
    assert not [e for e in events if e.type == "MedicationChangeRecorded"]
    assert await _notices(pool, pathway_id) == []
