"""The 5-working-day timer on the time-skipping server, and the signal to the pathway once held."""

import contextlib
import uuid
from datetime import timedelta

from temporalio.worker import Worker

from dualpath import search_attributes as sa
from dualpath.activities.events import EventActivities
from dualpath.activities.meetings import MeetingActivities
from dualpath.activities.notifications import LocalRecorder, NotificationActivities
from dualpath.domain import copenhagen
from dualpath.domain.calendar import WorkingDayCalendar
from dualpath.domain.events import Actor
from dualpath.workflows import meeting as wf
from dualpath.workflows.meeting_messages import MeetingHeldSignal
from tests.poll import eventually

from .pathway_stand_in import PathwayStandIn

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


@contextlib.asynccontextmanager
async def _running_meeting(env, store, pool, *, with_pathway: bool = False):
    """A worker of our own and a meeting called today; whatever the test leaves
    running is terminated before the worker stops (waiting timers would stall
    later time-skipping tests)."""
    queue = f"t-{uuid.uuid4()}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[wf.MeetingWorkflow, PathwayStandIn],
        activities=[
            EventActivities(store).append_events,
            MeetingActivities().working_day_deadline,
            NotificationActivities(LocalRecorder(pool)).send_notice,
        ],
    )
    inp = wf.MeetingInput(
        meeting_id=str(uuid.uuid4()),
        pathway_id=str(uuid.uuid4()),
        kind="network_meeting",
        region="1082",
        municipality="751",
        participants=[wf.Participant(role="nurse", organisation="region:1082")],
        called_on=copenhagen.today(await env.get_current_time()),
        actor=ACTOR,
    )
    async with worker:
        handles = []
        try:
            if with_pathway:
                handles.append(
                    await env.client.start_workflow(
                        PathwayStandIn.run, id=f"pathway-{inp.pathway_id}", task_queue=queue
                    )
                )
            handles.insert(
                0,
                await env.client.start_workflow(
                    wf.MeetingWorkflow.run, inp, id=wf.workflow_id(inp.meeting_id, inp.region), task_queue=queue
                ),
            )
            yield inp, *handles
        finally:
            for h in handles:
                with contextlib.suppress(Exception):
                    await h.terminate("test over")


async def _hold_by(handle):
    # The calendar activity runs in real time: poll without skipping time.
    view = await eventually(
        lambda: handle.query(wf.MeetingWorkflow.view),
        lambda view: view.hold_by is not None,
        what="the meeting's hold-by date set",
    )
    return view.hold_by


async def _sleep_until(env, at):
    await env.sleep(at - await env.get_current_time())


async def test_a_meeting_not_held_by_its_fifth_working_day_is_overdue(time_env, store, pool):
    async with _running_meeting(time_env, store, pool) as (inp, handle):
        hold_by = await _hold_by(handle)
        # Five working days on, by the Danish calendar: a week, or five days from a Sunday, more over holidays.
        assert hold_by == WorkingDayCalendar().add_working_days(inp.called_on, 5)
        assert (hold_by - inp.called_on).days >= 5
        # Midday on hold_by is still in time.
        await _sleep_until(time_env, copenhagen.midnight(hold_by) + timedelta(hours=12))
        assert not (await handle.query(wf.MeetingWorkflow.view)).overdue
        await _sleep_until(time_env, copenhagen.midnight(hold_by + timedelta(days=1)) + timedelta(hours=1))
        assert (await handle.query(wf.MeetingWorkflow.view)).overdue
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.OVERDUE) is True
        assert attrs.get(sa.NEXT_DUE) == copenhagen.midnight(hold_by + timedelta(days=1))
        await handle.execute_update(wf.MeetingWorkflow.cancel, wf.CancelMeeting(reason="test over", actor=ACTOR))
        assert (await handle.result()).status == "cancelled"
    events = await store.read_stream(wf.stream_id(inp.meeting_id))
    assert [e.type for e in events] == ["MeetingCalled", "InvitationSent", "MeetingOverdue", "MeetingCancelled"]
    assert events[2].data["hold_by"] == hold_by.isoformat() and events[2].metadata["actor"]["role"] == "engine"


async def test_a_meeting_held_on_its_last_day_is_not_overdue_and_tells_the_pathway(time_env, store, pool):
    async with _running_meeting(time_env, store, pool, with_pathway=True) as (inp, handle, pathway):
        hold_by = await _hold_by(handle)
        await _sleep_until(time_env, copenhagen.midnight(hold_by) + timedelta(hours=12))
        await handle.execute_update(
            wf.MeetingWorkflow.record_held, wf.RecordHeld(held_on=hold_by, outcome="agreed", actor=ACTOR)
        )
        view = await handle.result()
        told = await pathway.result()
    assert view.status == "held" and not view.overdue
    assert told == MeetingHeldSignal(meeting_id=inp.meeting_id, kind="network_meeting", held_on=hold_by)
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.meeting_id))]
    assert types == ["MeetingCalled", "InvitationSent", "MeetingHeld"]


async def test_a_held_meeting_ends_even_when_its_pathway_cannot_be_told(time_env, store, pool):
    async with _running_meeting(time_env, store, pool) as (inp, handle):
        await handle.execute_update(
            wf.MeetingWorkflow.record_held, wf.RecordHeld(held_on=inp.called_on, outcome="agreed", actor=ACTOR)
        )
        assert (await handle.result()).status == "held"
