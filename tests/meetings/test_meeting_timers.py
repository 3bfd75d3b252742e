"""The 5-working-day timer on the time-skipping server, and the signal to the pathway once held."""

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.worker import Worker

from dualpath import search_attributes as sa
from dualpath.activities.events import EventActivities
from dualpath.activities.meetings import MeetingActivities
from dualpath.activities.notifications import LocalRecorder, NotificationActivities
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.workflows import meeting as wf
from dualpath.workflows.meeting_messages import MeetingHeldSignal

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


@workflow.defn(name="PathwayStandIn")
class PathwayStandIn:
    """Stands in for `pathway-<id>` until the real pathway handles `meeting_held`."""

    def __init__(self) -> None:
        self._got: MeetingHeldSignal | None = None

    @workflow.run
    async def run(self) -> MeetingHeldSignal:
        await workflow.wait_condition(lambda: self._got is not None)
        assert self._got is not None
        return self._got

    @workflow.signal
    def meeting_held(self, signal: MeetingHeldSignal) -> None:
        self._got = signal


def _worker(env, store, pool, queue):
    return Worker(
        env.client, task_queue=queue, workflows=[wf.MeetingWorkflow, PathwayStandIn],
        activities=[EventActivities(store).append_events, MeetingActivities().working_day_deadline,
                    NotificationActivities(LocalRecorder(pool)).send_notice],
    )


async def _start(env, queue):
    today = copenhagen.today(await env.get_current_time())
    inp = wf.MeetingInput(
        meeting_id=str(uuid.uuid4()), pathway_id=str(uuid.uuid4()), kind="network_meeting", region="1082",
        municipality="751", participants=[wf.Participant(role="nurse", organisation="region:1082")],
        called_on=today, actor=ACTOR,
    )
    handle = await env.client.start_workflow(
        wf.MeetingWorkflow.run, inp, id=wf.workflow_id(inp.meeting_id), task_queue=queue)
    return inp, handle


async def _sleep_until(env, at):
    await env.sleep(at - await env.get_current_time())


async def test_a_meeting_not_held_by_its_fifth_working_day_is_overdue(time_env, store, pool):
    queue = f"t-{uuid.uuid4()}"
    async with _worker(time_env, store, pool, queue):
        inp, handle = await _start(time_env, queue)
        view = await handle.query(wf.MeetingWorkflow.view)
        hold_by = view.hold_by
        assert hold_by is not None and (hold_by - inp.called_on).days >= 7  # 5 working days span a weekend
        # Midday on hold_by is still in time.
        await _sleep_until(time_env, copenhagen.midnight(hold_by) + timedelta(hours=12))
        assert not (await handle.query(wf.MeetingWorkflow.view)).overdue
        await _sleep_until(time_env, copenhagen.midnight(hold_by + timedelta(days=1)) + timedelta(hours=1))
        assert (await handle.query(wf.MeetingWorkflow.view)).overdue
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.OVERDUE) is True
        assert attrs.get(sa.NEXT_DUE) == copenhagen.midnight(hold_by + timedelta(days=1))
        # Finish it: a waiting workflow would hold up time skipping for later tests.
        await handle.execute_update(wf.MeetingWorkflow.cancel, wf.CancelMeeting(reason="test over", actor=ACTOR))
        assert (await handle.result()).status == "cancelled"
    events = await store.read_stream(wf.stream_id(inp.meeting_id))
    assert [e.type for e in events] == ["MeetingCalled", "InvitationSent", "MeetingOverdue", "MeetingCancelled"]
    assert events[2].data["hold_by"] == hold_by.isoformat() and events[2].metadata["actor"]["role"] == "engine"


async def test_a_meeting_held_on_its_last_day_is_not_overdue_and_tells_the_pathway(time_env, store, pool):
    queue = f"t-{uuid.uuid4()}"
    async with _worker(time_env, store, pool, queue):
        inp, handle = await _start(time_env, queue)
        pathway = await time_env.client.start_workflow(
            PathwayStandIn.run, id=f"pathway-{inp.pathway_id}", task_queue=queue)
        hold_by = (await handle.query(wf.MeetingWorkflow.view)).hold_by
        assert hold_by is not None
        await _sleep_until(time_env, copenhagen.midnight(hold_by) + timedelta(hours=12))
        await handle.execute_update(
            wf.MeetingWorkflow.record_held,
            wf.RecordHeld(held_on=hold_by, outcome="agreed", actor=ACTOR))
        view = await handle.result()
        told = await pathway.result()
    assert view.status == "held" and not view.overdue
    assert told == MeetingHeldSignal(meeting_id=inp.meeting_id, kind="network_meeting", held_on=hold_by)
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.meeting_id))]
    assert types == ["MeetingCalled", "InvitationSent", "MeetingHeld"]


async def test_a_held_meeting_whose_pathway_is_gone_still_ends(time_env, store, pool):
    queue = f"t-{uuid.uuid4()}"
    async with _worker(time_env, store, pool, queue):
        inp, handle = await _start(time_env, queue)
        await handle.execute_update(
            wf.MeetingWorkflow.record_held,
            wf.RecordHeld(held_on=inp.called_on, outcome="agreed", actor=ACTOR))
        assert (await handle.result()).status == "held"
