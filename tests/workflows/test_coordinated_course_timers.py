"""The coordinated course's follow-up periods, on the time-skipping server (issue #18, item 9).

A course opens its follow-up task at the start; on the check-in date a check-in task; at the end of the
period it ends (its open tasks cancelled). A relapse before then ends it and stops the timers: no end
is recorded later. The periods come from the settings through an activity (in the history: they replay).
"""

import uuid
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer, Worker

from dualpath import temporal_client, workflow_ids
from dualpath.activities.coordinated_course import CoordinatedCourseActivities
from dualpath.activities.events import EventActivities
from dualpath.domain import coordinated_course as course
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.worker import WORKFLOWS
from dualpath.workflows import coordinated_course as wf
from dualpath.workflows.coordinated_course_messages import CourseInput, RelapseCommand
from dualpath.workflows.kit import CompleteTaskCommand
from tests.poll import eventually

ACTOR = Actor(subject="t", role="visitation", organisation="region:1082")
MUNICIPAL = Actor(subject="m", role="municipality", organisation="municipality:751")
PERIODS = course.Periods(follow_up_days=30, check_in_days=10, task_days=3)


async def _today(env) -> date:
    return copenhagen.today(await env.get_current_time())


async def _at(env, day: date, hours: int = 1) -> None:
    """Skip time to `hours` past the Copenhagen midnight that begins `day`."""
    await env.sleep(copenhagen.midnight(day) + timedelta(hours=hours) - await env.get_current_time())


def _worker(env, store, queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[wf.CoordinatedCourseWorkflow],
        activities=[
            EventActivities(store).append_events,
            CoordinatedCourseActivities(PERIODS).coordinated_course_periods,
        ],
    )


async def _start(env, queue: str, *, shared: bool = True):
    inp = CourseInput(
        course_id=str(uuid.uuid4()),
        origin="declined_referral",
        origin_id=str(uuid.uuid4()),
        patient_id=str(uuid.uuid4()),
        region="1082",
        municipality="751",
        shared_with_municipality=shared,
        actor=ACTOR,
    )
    handle = await env.client.start_workflow(
        wf.CoordinatedCourseWorkflow.run, inp, id=wf.workflow_id(inp.course_id, inp.region), task_queue=queue
    )
    # The region in the id: the codec seals the course's payloads with the region's key (dualpath/codec.py).
    assert handle.id == f"coordinated-1082-{inp.course_id}" and workflow_ids.region_of(handle.id) == "1082"
    # Its opening (the periods asked, the start and the first task recorded) runs in real time.
    await eventually(lambda: _view(handle), lambda v: v.started_on is not None, what="the course's opening")
    return inp, handle


async def _view(handle):
    return await handle.query(wf.CoordinatedCourseWorkflow.view)


async def test_the_course_opens_its_tasks_checks_in_and_ends_after_the_period(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    async with _worker(time_env, store, queue):
        inp, handle = await _start(time_env, queue)
        today = await _today(time_env)
        view = await _view(handle)
        assert (view.started_on, view.check_in_on, view.ends_on) == (
            today,
            today + timedelta(days=10),
            today + timedelta(days=30),
        )
        [first] = view.open_tasks
        assert (first.kind, first.owner_role, first.owner_org, first.due) == (
            course.FOLLOW_UP_TASK,
            "municipality",
            "municipality:751",
            today + timedelta(days=3),
        )
        await handle.execute_update(
            wf.CoordinatedCourseWorkflow.complete_task,
            CompleteTaskCommand(
                task_id=first.task_id, outcome="done", note="seen at the substance treatment centre", actor=MUNICIPAL
            ),
        )

        await _at(time_env, today + timedelta(days=9))  # the day before the check-in: nothing yet
        view = await _view(handle)
        assert not view.open_tasks and not view.check_in_opened
        await _at(time_env, today + timedelta(days=10))  # the check-in date: its task
        [check_in] = (await _view(handle)).open_tasks
        assert (check_in.kind, check_in.due, check_in.owner_org) == (
            course.CHECK_IN_TASK,
            today + timedelta(days=13),
            "municipality:751",
        )
        await _at(time_env, today + timedelta(days=14))  # the check-in left undone: overdue
        assert (await _view(handle)).open_tasks[0].overdue

        await _at(time_env, today + timedelta(days=29))  # the period's last day: still followed
        assert (await _view(handle)).status == "active"
        await _at(time_env, today + timedelta(days=30))  # the period is over
        result = await handle.result()
        assert result.status == "ended" and not result.open_tasks
        await Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter()).replay_workflow(
            await handle.fetch_history()
        )
    events = await store.read_stream(wf.stream_id(inp.course_id))
    assert [e.type for e in events] == [
        "CoordinatedCourseStarted",
        "TaskOpened",
        "TaskCompleted",
        "CoordinatedCourseCheckInDue",
        "TaskOpened",
        "TaskOverdue",
        "CoordinatedCourseEnded",
        "TaskCancelled",
    ]
    started = events[0].data
    assert (started["origin"], started["check_in_on"], started["ends_on"]) == (
        "declined_referral",
        str(today + timedelta(days=10)),
        str(today + timedelta(days=30)),
    )
    assert events[-2].data["ended_on"] == str(today + timedelta(days=30))
    assert [e.metadata["actor"]["role"] for e in events[3:]] == ["engine"] * 5


async def test_a_relapse_ends_the_course_and_stops_its_timers(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    async with _worker(time_env, store, queue):
        inp, handle = await _start(time_env, queue, shared=False)
        today = await _today(time_env)
        [first] = (await _view(handle)).open_tasks
        # Not shared with the municipality (no consent): the region's visitation follows the course up alone.
        assert (first.owner_role, first.owner_org) == ("visitation", "region:1082")
        await _at(time_env, today + timedelta(days=12))  # after the check-in
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                wf.CoordinatedCourseWorkflow.relapse,
                RelapseCommand(referral_id=str(uuid.uuid4()), reason="   ", actor=ACTOR),
            )
        assert "needs the reason" in str(refused.value.cause)
        referral_id = str(uuid.uuid4())
        result = await handle.execute_update(
            wf.CoordinatedCourseWorkflow.relapse,
            RelapseCommand(referral_id=referral_id, reason="missed three appointments, crisis", actor=ACTOR),
        )
        assert result.course.status == "relapsed" and result.course.relapse_referral_id == referral_id
        assert not result.course.open_tasks
        done = await handle.result()
        assert done.status == "relapsed"
        await _at(time_env, today + timedelta(days=31))  # past the period: nothing more is recorded
        await Replayer(workflows=WORKFLOWS, data_converter=temporal_client.data_converter()).replay_workflow(
            await handle.fetch_history()
        )
    events = await store.read_stream(wf.stream_id(inp.course_id))
    types = [e.type for e in events]
    assert "CoordinatedCourseEnded" not in types
    assert types[-3:] == ["CoordinatedCourseRelapsed", "TaskCancelled", "TaskCancelled"]
    relapsed = events[-3].data
    assert (relapsed["referral_id"], relapsed["relapsed_on"]) == (referral_id, str(today + timedelta(days=12)))
