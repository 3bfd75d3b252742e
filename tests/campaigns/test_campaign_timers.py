"""The campaign's timers on the time-skipping server: decided starts happen on their dates (not before),
and both sides are reminded when the lists are not shared in time."""

import contextlib
import uuid
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from dualpath import search_attributes as sa
from dualpath.activities.events import EventActivities
from dualpath.activities.meetings import MeetingActivities
from dualpath.domain import copenhagen
from dualpath.domain.campaign import ListedRow
from dualpath.domain.events import Actor
from dualpath.readmodels import queries
from dualpath.workflows import campaign as wf
from dualpath.workflows import pathway
from dualpath.workflows.pathway import PathwayWorkflow
from tests.api.helpers import cpr
from tests.poll import eventually

CLINIC = Actor(subject="c", role="clinician", organisation="region:1084")
KOMMUNE = Actor(subject="m", role="municipality", organisation="municipality:101")


def _claims(store):
    from dualpath.activities.pathway_claims import PathwayClaims

    claims = PathwayClaims(store._pool)
    return [claims.claim_pathway, claims.release_pathway]


@contextlib.asynccontextmanager
async def _worker(env, store):
    queue = f"campaign-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[wf.CampaignWorkflow, PathwayWorkflow],
        activities=[EventActivities(store).append_events, MeetingActivities().working_day_deadline, *_claims(store)],
    ):
        started: list = []
        try:
            yield queue, started
        finally:
            # Terminate what we started (a workflow left on timers would stall later time-skipping tests).
            for handle in started:
                with contextlib.suppress(Exception):
                    await handle.terminate("test over")


async def _campaign(env, queue, started, today: date, meeting_in_days: int = 30):
    inp = wf.CampaignInput(
        campaign_id=str(uuid.uuid4()),
        centre="Psykiatrisk Center København",
        region="1084",
        municipality="101",
        collaboration_meeting_on=today + timedelta(days=meeting_in_days),
        share_days=14,
        group2_opens_on=date(2025, 7, 1),
        catalogue_version="v1",
        actor=CLINIC,
    )
    handle = await env.client.start_workflow(
        wf.CampaignWorkflow.run, inp, id=wf.workflow_id(inp.campaign_id, inp.region), task_queue=queue
    )
    started.append(handle)
    return inp, handle


async def _lists(handle, ids: list[str]) -> None:
    rows = [
        ListedRow(patient_id=p, row=i + 2, psychiatric_contact="current", municipal_substance_treatment=True)
        for i, p in enumerate(ids)
    ]
    await handle.execute_update(
        wf.CampaignWorkflow.upload_list, wf.UploadListCommand(side="clinic", rows=rows, actor=CLINIC)
    )
    await handle.execute_update(
        wf.CampaignWorkflow.upload_list, wf.UploadListCommand(side="municipality", rows=rows, actor=KOMMUNE)
    )


async def _consent(handle, pid: str, *sides: str) -> None:
    for side in sides:
        await handle.execute_update(
            wf.CampaignWorkflow.record_consent,
            wf.ConsentCommand(
                patient_id=pid, side=side, state="given", form="written", actor=CLINIC if side == "clinic" else KOMMUNE
            ),
        )


async def _sleep_until(env, at) -> None:
    await env.sleep(at - await env.get_current_time())


def _person(view, pid):
    return next(p for p in view.people if p.patient_id == pid)


async def test_decisions_start_the_pathway_and_the_coordination_on_their_dates(time_env, store, pool, http):
    env = time_env
    today = copenhagen.today(await env.get_current_time())
    p1, p2, p3 = [await queries.register_patient(pool, cpr()) for _ in range(3)]
    async with _worker(env, store) as (queue, started):
        inp, handle = await _campaign(env, queue, started, today)
        await _lists(handle, [p1, p2, p3])
        await _consent(handle, p1, "clinic", "municipality")
        await _consent(handle, p2, "clinic", "municipality")
        await _consent(handle, p3, "clinic")
        await handle.execute_update(wf.CampaignWorkflow.share_lists, wf.ShareCommand(actor=KOMMUNE))
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await handle.execute_update(
                wf.CampaignWorkflow.hold_collaboration_meeting, wf.MeetingCommand(held_on=today, actor=CLINIC)
            )
        assert f"on {today + timedelta(days=14)} at the earliest" in early.value.cause.message

        meeting = today + timedelta(days=14)
        await _sleep_until(env, copenhagen.midnight(meeting) + timedelta(hours=9))
        await handle.execute_update(
            wf.CampaignWorkflow.hold_collaboration_meeting, wf.MeetingCommand(held_on=meeting, actor=CLINIC)
        )
        integrated_from, coordinated_from = meeting + timedelta(days=7), meeting + timedelta(days=10)
        await handle.execute_update(
            wf.CampaignWorkflow.decide,
            wf.DecideCommand(patient_id=p1, decision="integrated", from_date=integrated_from, actor=CLINIC),
        )
        await handle.execute_update(
            wf.CampaignWorkflow.decide,
            wf.DecideCommand(patient_id=p2, decision="coordinated", from_date=coordinated_from, actor=CLINIC),
        )
        with pytest.raises(WorkflowUpdateFailedError) as no_consent:
            await handle.execute_update(
                wf.CampaignWorkflow.decide,
                wf.DecideCommand(patient_id=p3, decision="integrated", from_date=integrated_from, actor=CLINIC),
            )
        assert "not discussed without consent" in no_consent.value.cause.message
        await handle.execute_update(
            wf.CampaignWorkflow.plan_network_meeting,
            wf.NetworkMeetingCommand(
                patient_id=p1,
                plan={"on": integrated_from - timedelta(days=2), "accompaniment": True, "outreach": True},
                actor=KOMMUNE,
            ),
        )
        view = await handle.query(wf.CampaignWorkflow.view)
        assert view.phase == "starting" and [p.patient_id for p in view.timetable] == [p1, p2]

        # Not before the date.
        await _sleep_until(env, copenhagen.midnight(integrated_from) - timedelta(hours=1))
        view = await handle.query(wf.CampaignWorkflow.view)
        assert _person(view, p1).status == "scheduled" and _person(view, p1).pathway_id is None
        # On the date: the pathway starts by itself.
        await _sleep_until(env, copenhagen.midnight(integrated_from) + timedelta(hours=1))

        async def _started(pid):
            p = _person(await handle.query(wf.CampaignWorkflow.view), pid)
            return p if p.status == "started" else None

        first = await eventually(lambda: _started(p1), what="the first patient's pathway started")
        assert first and first.pathway_id and first.started_on == integrated_from
        child = env.client.get_workflow_handle(pathway.workflow_id(first.pathway_id, "1084"))
        started.append(child)
        assert (await child.describe()).typed_search_attributes.get(sa.TARGET_GROUP) == 2
        assert _person(await handle.query(wf.CampaignWorkflow.view), p2).status == "scheduled"
        # (Read while NextDue is set: this test server cannot decode an unset datetime attribute.)
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.PATHWAY_KIND) == "campaign" and attrs.get(sa.PHASE) == "starting"
        assert attrs.get(sa.REGION) == "1084" and attrs.get(sa.MUNICIPALITY) == "101"
        assert attrs.get(sa.NEXT_DUE) == copenhagen.midnight(coordinated_from)

        await _sleep_until(env, copenhagen.midnight(coordinated_from) + timedelta(hours=1))
        second = await eventually(lambda: _started(p2), what="the second patient's coordination started")
        assert second and second.pathway_id is None and second.started_on == coordinated_from

    events = await store.read_stream(wf.stream_id(inp.campaign_id))
    types = [e.type for e in events]
    assert types.count("CampaignPathwayStarted") == 1 and types.count("CoordinationStarted") == 1
    assert types.index("CampaignPathwayStarted") < types.index("CoordinationStarted")
    began = next(e for e in events if e.type == "CampaignPathwayStarted")
    assert began.data["patient_id"] == p1 and began.metadata["actor"]["role"] == "engine"
    task = next(e for e in events if e.type == "TaskOpened")
    assert task.data["owner_org"] == "municipality:101" and task.data["kind"] == "campaign_coordination_start"
    pathway_stream = await store.read_stream(f"pathway-{first.pathway_id}")
    assert pathway_stream and pathway_stream[0].data["patient_id"] == p1 and pathway_stream[0].data["group"] == 2

    # The state in the GET route (the API's projections read the same event store).
    async with http.as_("clinician", "region:1084") as c:

        async def _shown():
            r = await c.get(f"/campaigns/{inp.campaign_id}")
            body = r.json() if r.status_code == 200 else {}
            return body if [t["status"] for t in body.get("timetable", [])] == ["started", "started"] else None

        shown = await eventually(_shown, what="both starts shown by GET /campaigns/{id}")
    assert shown and shown["phase"] == "starting" and shown["meeting_held_on"] == str(meeting)
    assert [t["patient_id"] for t in shown["timetable"]] == [p1, p2]
    people = {p["patient_id"]: p for p in shown["people"]}
    assert people[p1]["pathway_id"] == first.pathway_id and people[p1]["network_meeting"]["accompaniment"] is True
    assert not people[p3]["discussed"] and people[p3]["status"] == "listed"


async def test_both_sides_are_reminded_when_the_lists_are_not_shared_in_time(time_env, store):
    env = time_env
    today = copenhagen.today(await env.get_current_time())
    async with _worker(env, store) as (queue, started):
        late, late_handle = await _campaign(env, queue, started, today)
        prompt, prompt_handle = await _campaign(env, queue, started, today)
        await _lists(late_handle, [str(uuid.uuid4())])
        await _lists(prompt_handle, [str(uuid.uuid4())])
        await prompt_handle.execute_update(wf.CampaignWorkflow.share_lists, wf.ShareCommand(actor=CLINIC))
        remind_on = today + timedelta(days=30 - 14 - 2)
        await _sleep_until(env, copenhagen.midnight(remind_on) - timedelta(hours=1))
        assert not (await late_handle.query(wf.CampaignWorkflow.view)).reminder_sent
        await _sleep_until(env, copenhagen.midnight(remind_on) + timedelta(hours=1))

        async def _reminded():
            return (await late_handle.query(wf.CampaignWorkflow.view)).reminder_sent

        await eventually(_reminded, what="the late campaign reminded")
        # Shared late, the reminders close.
        await late_handle.execute_update(wf.CampaignWorkflow.share_lists, wf.ShareCommand(actor=KOMMUNE))
        assert not (await prompt_handle.query(wf.CampaignWorkflow.view)).reminder_sent

    events = await store.read_stream(wf.stream_id(late.campaign_id))
    reminded = next(e for e in events if e.type == "CampaignShareReminded")
    assert reminded.data["share_by"] == str(today + timedelta(days=16))
    assert reminded.data["reminded_on"] == str(remind_on)
    opened = [e.data for e in events if e.type == "TaskOpened"]
    assert {t["owner_org"] for t in opened} == {"region:1084", "municipality:101"}
    assert all(t["due"] == str(today + timedelta(days=16)) and t["referral_id"] == late.campaign_id for t in opened)
    closed = {e.data["task_id"] for e in events if e.type == "TaskCompleted"}
    assert closed == {t["task_id"] for t in opened}
    assert not any(e.type == "CampaignShareReminded" for e in await store.read_stream(wf.stream_id(prompt.campaign_id)))
