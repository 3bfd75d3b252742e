"""The pathway workflow with the HTTP FMK notice adapter, against the receiver test double.

A worker of our own on its own task queue: PathwayWorkflow, the event-store
append and `send_fmk_notice` through `HttpFmkNotifier`.
"""

import contextlib
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from dualpath.activities.events import EventActivities
from dualpath.activities.fmk import FmkActivities, FmkNotice, HttpFmkNotifier
from dualpath.domain import medication
from dualpath.domain.events import Actor
from dualpath.workflows import pathway as wf
from tests.fmk.receiver import Receiver, serve
from tests.pathways import pathway_input

pytestmark = pytest.mark.timeout(90)

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")
MUNICIPALITY = "751"
CHANGED_AT = datetime(2026, 4, 1, 7, 30, tzinfo=UTC)


class _RejectEvery(dict):
    """The receiver's `reject` map, for keys drawn inside the workflow: every key is refused."""

    def __contains__(self, key) -> bool:
        return True

    def __missing__(self, key) -> str:
        return "no NAS subscription for this municipality"


@pytest.fixture
async def receiver():
    r = Receiver()
    async with serve(r) as url:
        r.url = url
        yield r


@contextlib.asynccontextmanager
async def _pathway(client, store, receiver: Receiver):
    """A running pathway on a worker of its own, with consent to inform the municipality given."""
    queue = f"med-{uuid.uuid4()}"
    inp = pathway_input(ACTOR, municipality=MUNICIPALITY)
    async with Worker(
        client,
        task_queue=queue,
        workflows=[wf.PathwayWorkflow],
        activities=[
            EventActivities(store).append_events,
            FmkActivities(HttpFmkNotifier(receiver.url, timeout=5)).send_fmk_notice,
        ],
    ):
        handle = await client.start_workflow(
            wf.PathwayWorkflow.run, inp, id=wf.workflow_id(inp.state.pathway_id, inp.state.region), task_queue=queue
        )
        try:
            await handle.execute_update(
                wf.PathwayWorkflow.record_consent,
                wf.ConsentCommand(
                    scope="inform_municipal_treatment",
                    counterpart=MUNICIPALITY,
                    state="given",
                    form="oral",
                    actor=ACTOR,
                ),
            )
            yield handle, inp.state.pathway_id
        finally:
            with contextlib.suppress(Exception):
                await handle.terminate("test over")


def _change(drug: str) -> wf.MedicationCommand:
    return wf.MedicationCommand(action="start", drug=drug, changed_at=CHANGED_AT, private=False, actor=ACTOR)


async def test_a_rejected_notice_keeps_the_change_and_gives_the_clinician_a_task(client, store, receiver):
    receiver.reject = _RejectEvery()
    async with _pathway(client, store, receiver) as (handle, pathway_id):
        result = await handle.execute_update(wf.PathwayWorkflow.record_medication_change, _change("olanzapin"))
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        view = await handle.query(wf.PathwayWorkflow.view)
    key = result.notice.idempotency_key
    assert result.notice.sent is False and key
    assert "400" in result.notice.reason and "no NAS subscription" in result.notice.reason
    assert len(receiver.attempts_for(key)) == 1  # a 4xx is not retried
    assert receiver.notices == {}
    [failed] = [t for t in view.open_tasks if t.kind == medication.NOTICE_FAILED_TASK]
    assert failed.title == medication.NOTICE_FAILED_TITLE and failed.owner_org == "region:1082"
    assert not failed.mandatory
    assert not [t for t in view.open_tasks if t.kind == medication.SEEK_CONSENT_TASK]

    events = await store.read_stream(wf.stream_id(pathway_id))
    types = [e.type for e in events]
    assert types[-3:] == ["MedicationChangeRecorded", "FmkNoticeWithheld", "TaskOpened"]
    assert "FmkNoticeSent" not in types
    recorded, withheld, opened = events[-3:]
    assert recorded.data["drug"] == "olanzapin" and recorded.data["change_id"] == result.change_id
    assert withheld.data["reason"] == result.notice.reason and withheld.data["idempotency_key"] == key
    assert opened.data["kind"] == medication.NOTICE_FAILED_TASK


async def test_a_receiver_busy_twice_gets_one_notice_with_one_key(client, store, receiver):
    receiver.fail_next = 2
    async with _pathway(client, store, receiver) as (handle, pathway_id):
        result = await handle.execute_update(wf.PathwayWorkflow.record_medication_change, _change("aripiprazol"))
        view = await handle.query(wf.PathwayWorkflow.view)
    key = result.notice.idempotency_key
    assert result.notice.sent is True and result.notice.reason == medication.SENT
    assert len(receiver.attempts_for(key)) == 3 and receiver.duplicates == 0
    assert list(receiver.notices) == [key]
    body = receiver.notices[key]
    assert set(body) == set(FmkNotice.model_fields)  # nothing clinical travels
    assert body == FmkNotice(
        idempotency_key=key, pathway_id=pathway_id, municipality=MUNICIPALITY, changed_at=CHANGED_AT
    ).model_dump(mode="json")
    assert "aripiprazol" not in str(body)
    assert not [t for t in view.open_tasks if t.kind == medication.NOTICE_FAILED_TASK]

    events = await store.read_stream(wf.stream_id(pathway_id))
    assert [e.type for e in events][-2:] == ["MedicationChangeRecorded", "FmkNoticeSent"]
    assert events[-1].data["idempotency_key"] == key
