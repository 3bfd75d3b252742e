"""No input can make a workflow retry forever: data the engine cannot take refuses the command, not the process.

Against the real Temporal dev server and PostgreSQL, bypassing the API:
- a command sent straight to Temporal with text or dates the models refuse is rejected as the
  workflow decodes it (nothing written), and the workflow takes the next command;
- a command whose events PostgreSQL refuses (a worker whose append lets such data through, standing in
  for any model that would not judge it) fails with a non-retryable `InvalidData`, leaves the
  workflow's state as it was (no half-applied command), and the workflow takes the next command;
- the activities: a data error is `InvalidData` and never retried, with no clinical text in it; a
  database that is away is retried as before; calendar arithmetic that overflows is `InvalidData`.
"""

import asyncio
import uuid
from datetime import date

import asyncpg
import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from dualpath.activities.discharge import DischargeActivities, DischargeAdviceRequest
from dualpath.activities.events import AppendEvents, EventActivities
from dualpath.activities.meetings import MeetingActivities, WorkingDayDeadline
from dualpath.domain.calendar import WorkingDayCalendar
from dualpath.domain.discharge import DischargeSettings
from dualpath.domain.events import Actor
from dualpath.eventstore import AppendResult, NewEvent
from dualpath.workflows import pathway as wf
from tests.pathways import pathway_input

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")
ACTOR_JSON = ACTOR.model_dump()
SECRET = "patient said: secret-" + uuid.uuid4().hex[:8]
CEILING = 120  # seconds; a refused command answers at once, one that retries forever never does


def _input() -> wf.PathwayInput:
    return pathway_input(ACTOR)


async def _update(handle, name: str, arg):
    return await asyncio.wait_for(handle.execute_update(name, arg, result_type=wf.CommandResult), CEILING)


async def _refused(handle, name: str, arg) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await _update(handle, name, arg)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert SECRET not in str(cause) and "\x00" not in str(cause)
    return cause


def _consent(state: str = "refused") -> dict:
    return {
        "scope": "inform_municipal_treatment",
        "counterpart": "751",
        "state": state,
        "form": "oral",
        "actor": ACTOR_JSON,
    }


async def test_a_command_sent_straight_to_temporal_with_bad_text_or_dates_is_refused(client, worker, settings, store):
    inp = _input()
    handle = await client.start_workflow(
        wf.PathwayWorkflow.run, inp, id=f"pathway-{inp.state.pathway_id}", task_queue=settings.task_queue
    )
    try:
        await _update(handle, "record_consent", _consent())  # started, and its stream opened
        task_id = (await handle.query(wf.PathwayWorkflow.view)).open_tasks[0].task_id
        before = await store.read_stream(wf.stream_id(inp.state.pathway_id))
        # Another client's JSON, not the API's models: the workflow judges it as it decodes it.
        for name, arg in [
            ("end_pathway", {"reason_kind": "other", "reason": f"{SECRET}\u0000", "actor": ACTOR_JSON}),
            (
                "complete_task",
                {"task_id": task_id, "outcome": "not_possible", "note": f"{SECRET}\u001b[2J", "actor": ACTOR_JSON},
            ),
            ("admit", {"via": "acute_function", "ward": "P3", "admitted_on": "9999-12-31", "actor": ACTOR_JSON}),
            ("admit", {"via": "acute_function", "ward": "P3", "admitted_on": "0001-01-01", "actor": ACTOR_JSON}),
            ("record_consent", {**_consent(), "actor": {**ACTOR_JSON, "subject": "t\u0000"}}),
        ]:
            cause = await _refused(handle, name, arg)
            assert cause.type == "ValidationError", (name, cause)
        assert await store.read_stream(wf.stream_id(inp.state.pathway_id)) == before
        # The workflow goes on: the next command is taken.
        result = await _update(handle, "record_consent", _consent("given"))
        assert result.pathway.status == "active" and result.pathway.consents[0].state == "given"
    finally:
        await handle.terminate("test over")


class LeakyAppend:
    """The real append activity, except that while `leak` is set it lets data PostgreSQL refuses through
    for PhaseChanged events: in the event's data (refused before the database is asked) or in its type
    (refused by PostgreSQL itself)."""

    def __init__(self, store, where: str):
        self._real, self._where, self.leak = EventActivities(store), where, True

    @activity.defn(name="append_events")
    async def append_events(self, request: AppendEvents) -> AppendResult:
        if self.leak and any(e.type == "PhaseChanged" for e in request.events):
            request = request.model_copy(update={"events": [self._spoil(e) for e in request.events]})
        return await self._real.append_events(request)

    def _spoil(self, e: NewEvent) -> NewEvent:
        if e.type != "PhaseChanged":
            return e
        if self._where == "data":
            return e.model_copy(update={"data": {**e.data, "reason": f"{SECRET}\u0000"}})
        return e.model_copy(update={"type": "Phase\u0000Changed"})


@pytest.mark.parametrize("where", ["data", "type"])
async def test_a_command_whose_events_postgresql_refuses_is_refused_and_the_workflow_goes_on(client, store, where):
    queue, inp = f"invalid-data-{uuid.uuid4().hex[:8]}", _input()
    leaky = LeakyAppend(store, where)
    async with Worker(client, task_queue=queue, workflows=[wf.PathwayWorkflow], activities=[leaky.append_events]):
        handle = await client.start_workflow(
            wf.PathwayWorkflow.run, inp, id=f"pathway-{inp.state.pathway_id}", task_queue=queue
        )
        try:
            # Phase 1's tasks closed (dialogue consent closes its own), so a move to phase 2 is legal.
            await _update(handle, "record_consent", {**_consent("given"), "scope": "dialogue"})
            for t in (await handle.query(wf.PathwayWorkflow.view)).open_tasks:
                await _update(handle, "complete_task", {"task_id": t.task_id, "outcome": "done", "actor": ACTOR_JSON})
            before = await handle.query(wf.PathwayWorkflow.view)
            stream_before = await store.read_stream(wf.stream_id(inp.state.pathway_id))
            assert before.phase == 1 and before.open_tasks == []

            cause = await _refused(handle, "move_phase", {"to": 2, "reason": "chaotic", "actor": ACTOR_JSON})
            assert cause.type == "InvalidData", cause
            assert "nothing was recorded" in cause.message
            if where == "type":
                assert "SQLSTATE 22021" in cause.message  # PostgreSQL's own refusal, named by its kind only

            # No half-applied command: the phase, the tasks and the stream are as they were.
            after = await handle.query(wf.PathwayWorkflow.view)
            assert (after.phase, after.level_of_care, after.open_tasks) == (1, before.level_of_care, [])
            assert await store.read_stream(wf.stream_id(inp.state.pathway_id)) == stream_before
            # The workflow takes the next command, and the same move once its data can be stored.
            await _update(handle, "record_consent", _consent())
            leaky.leak = False
            moved = await _update(handle, "move_phase", {"to": 2, "reason": "chaotic", "actor": ACTOR_JSON})
            assert moved.pathway.phase == 2
            kinds = [t.kind for t in moved.pathway.open_tasks]
            assert kinds and len(kinds) == len(set(kinds))  # phase 2's tasks, opened once
            events = await store.read_stream(wf.stream_id(inp.state.pathway_id))
            assert [e.type for e in events].count("PhaseChanged") == 1
            assert [e.version for e in events] == list(range(1, len(events) + 1))
        finally:
            await handle.terminate("test over")


def _append(data: dict | None = None, type_: str = "Tested", stream: str | None = None) -> AppendEvents:
    return AppendEvents(
        stream_id=stream or f"invalid-data-{uuid.uuid4()}",
        expected_version=0,
        events=[NewEvent(event_id=uuid.uuid4(), type=type_, data=data or {"text": "fine"})],
    )


async def test_the_append_activity_never_retries_data_and_always_retries_an_outage(store):
    env = ActivityEnvironment()
    acts = EventActivities(store)
    for request, kind in [
        (
            _append({"note": {"text": [f"{SECRET}\u0000"]}}),
            "Tested.data.note.text.0: text must not contain the NUL character",
        ),
        (_append(type_="Test\u0000ed"), "SQLSTATE 22021"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            await env.run(acts.append_events, request)
        assert refused.value.type == "InvalidData" and refused.value.non_retryable
        assert kind in refused.value.message and SECRET not in refused.value.message
        assert await store.read_stream(request.stream_id) == []
    assert (await env.run(acts.append_events, _append())).last_version == 1

    class Away:
        def __init__(self, exc):
            self.exc = exc

        async def append(self, *args):
            raise self.exc

    for outage in (
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
    ):
        with pytest.raises(type(outage)):  # as it was: Temporal retries it until the database is back
            await env.run(EventActivities(Away(outage)).append_events, _append())


async def test_calendar_arithmetic_that_overflows_is_invalid_data_not_retried():
    env = ActivityEnvironment()
    calendar = WorkingDayCalendar()
    discharge = DischargeActivities(calendar, DischargeSettings())
    meetings = MeetingActivities(calendar)
    for run in (
        lambda: env.run(
            discharge.discharge_advice,
            DischargeAdviceRequest(admitted_on=date(9999, 12, 1), planned_date=date(9999, 12, 31)),
        ),
        lambda: env.run(meetings.working_day_deadline, WorkingDayDeadline(start=date(9999, 12, 31), working_days=5)),
    ):
        with pytest.raises(ApplicationError) as refused:
            await run()
        assert refused.value.type == "InvalidData" and refused.value.non_retryable
    # A date before the admission stays the engine's refusal, as before.
    with pytest.raises(ApplicationError) as refused:
        await env.run(
            discharge.discharge_advice,
            DischargeAdviceRequest(admitted_on=date(2026, 3, 20), planned_date=date(2026, 3, 1)),
        )
    assert refused.value.type == "CommandRefused"
