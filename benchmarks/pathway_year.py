"""A pathway-year on the time-skipping test server: how long a year makes a pathway's history.

    .venv/bin/python -m benchmarks.pathway_year      # on its own (embedded PostgreSQL in a temp folder)

The national soak (benchmarks/national.py) runs it on its stack's PostgreSQL. One pathway workflow
(the real one, with every workflow and activity of dualpath's worker) is driven through a plausible
year: consents, the first treatment contact, task completions as staff would close them, phase
moves 1 → 2 → 3 → 2 → 3 → 4, medication changes, an acute contact, joint plans, a decision on the
level of care and an inpatient stay with its discharge. Between commands the server skips ahead,
so the due-date timers and the §82c clock fire (or are cancelled) as they would. Then the
workflow's history is read, following continue-as-new, and its events and bytes counted: the
history must stay well below Temporal's continue-as-new suggestion (4,096 events or 4 MiB) per
year, or a pathway would roll over to a new run in the middle of its commands often.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from dualpath.domain.consent import ConsentScope, ConsentState
from dualpath.domain.medication import MedicationAction
from dualpath.workflows.inpatient_stay_messages import DischargeCommand
from dualpath.workflows.kit import CompleteTaskCommand, MovePhaseCommand

YEAR_DAYS = 365
SLEEP_LIMIT_S = 120.0  # a skip that takes longer than this is reported, not waited on forever


def log(msg: str) -> None:
    print(msg, flush=True)


@contextlib.asynccontextmanager
async def _environment():
    """The time-skipping test server with the project's converter and search attributes."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.testing import WorkflowEnvironment

    from dualpath import search_attributes as sa
    from dualpath import temporal_client
    from dualpath.infra.binaries import temporal_test_server
    from dualpath.settings import Settings

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=temporal_client.data_converter(Settings(_env_file=None)),
        test_server_existing_path=str(temporal_test_server()),
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in sa.ALL},
            )
        )
        yield env
    finally:
        await env.shutdown()


class Year:
    """Drives one pathway through the year; counts what it sent and what was refused."""

    def __init__(self, env, handle, region: str, municipality: str) -> None:
        from dualpath.domain.events import Actor

        self.env, self.handle = env, handle
        self.region, self.municipality = region, municipality
        self.clinician = Actor(subject="year-clinician", role="clinician", organisation=f"region:{region}")
        self.municipal = Actor(
            subject="year-municipality", role="municipality", organisation=f"municipality:{municipality}"
        )
        self.start: datetime | None = None
        self.sent = Counter[str]()
        self.refused: list[str] = []
        self.slow_skips = 0

    async def today(self) -> date:
        from dualpath.domain import copenhagen

        return copenhagen.local_date(await self.env.get_current_time())

    async def at_day(self, day: int) -> None:
        """Skip ahead to `day` days after the start (10:00 that day, Copenhagen being an hour or two ahead)."""
        assert self.start is not None
        target = self.start + timedelta(days=day)
        delta = target - await self.env.get_current_time()
        if delta > timedelta(0):
            try:
                await asyncio.wait_for(self.env.sleep(delta), SLEEP_LIMIT_S)
            except TimeoutError:
                self.slow_skips += 1

    async def update(self, name: str, fn: Any, cmd: Any, handle: Any = None) -> Any:
        from temporalio.client import WorkflowUpdateFailedError

        try:
            result = await (handle or self.handle).execute_update(fn, cmd)
        except WorkflowUpdateFailedError as exc:
            self.refused.append(f"{name}: {exc.cause}")
            return None
        self.sent[name] += 1
        return result

    async def view(self):
        from dualpath.workflows import pathway as wf

        return await self.handle.query(wf.PathwayWorkflow.view)

    async def consent(self, scope: ConsentScope, state: ConsentState) -> None:
        from dualpath.workflows import pathway as wf
        from dualpath.workflows.pathway_messages import ConsentCommand

        cmd = ConsentCommand(
            scope=scope, counterpart=self.municipality, state=state, form="written", actor=self.clinician
        )
        await self.update("record_consent", wf.PathwayWorkflow.record_consent, cmd)

    async def close_tasks(self, first_day: int, every: int, kinds: set[str] | None = None) -> int:
        """Close the open tasks (of `kinds`, or all) one every `every` days from `first_day`, as staff
        would: done, or not possible with the reason for one closed by a record of its own. The last day."""
        from dualpath.domain.tasks import CLOSED_BY_RECORD
        from dualpath.workflows import pathway as wf

        day = first_day
        for t in (await self.view()).open_tasks:
            if kinds is not None and t.kind not in kinds:
                continue
            await self.at_day(day)
            by_record = t.kind in CLOSED_BY_RECORD
            cmd = CompleteTaskCommand(
                task_id=t.task_id,
                outcome="not_possible" if by_record else "done",
                note="held outside the system" if by_record else "done",
                actor=self.municipal if t.owner_role == "municipality" else self.clinician,
            )
            await self.update("complete_task", wf.PathwayWorkflow.complete_task, cmd)
            day += every
        return day

    async def move(self, to: int, reason: str | None = None) -> None:
        from dualpath.workflows import pathway as wf

        cmd = MovePhaseCommand(to=to, reason=reason, actor=self.clinician)
        await self.update("move_phase", wf.PathwayWorkflow.move_phase, cmd)

    async def medication(self, action: MedicationAction, drug: str) -> None:
        from dualpath.workflows import pathway as wf

        cmd = wf.MedicationCommand(
            action=action, drug=drug, changed_at=await self.env.get_current_time(), private=False, actor=self.clinician
        )
        await self.update("record_medication_change", wf.PathwayWorkflow.record_medication_change, cmd)

    async def joint_plan(self, revises: int | None) -> None:
        from dualpath.domain.joint_plans import PlanAction
        from dualpath.domain.meetings import Participant
        from dualpath.workflows import pathway as wf
        from dualpath.workflows.pathway_joint_plans import JointPlanCommand

        cmd = JointPlanCommand(
            kind="koordinationsplan",
            summary="Fælles plan: behandling i psykiatrien, støtte og misbrugsbehandling i kommunen.",
            agreed_by=[
                Participant(role="clinician", organisation=f"region:{self.region}"),
                Participant(role="municipality", organisation=f"municipality:{self.municipality}"),
            ],
            actions=[
                PlanAction(party="region", who="kontaktperson", what="Ugentlig samtale og medicinopfølgning"),
                PlanAction(party="municipality", who="misbrugsbehandler", what="Behandling for rusmiddelbrug"),
            ],
            next_review=await self.today() + timedelta(days=90),
            revises=revises,
            actor=self.clinician,
        )
        await self.update("record_joint_plan", wf.PathwayWorkflow.record_joint_plan, cmd)

    async def stay(self, admit_day: int, days: int) -> None:
        """An inpatient stay: admitted, the stay's phases with their tasks, discharged, followed up."""
        from dualpath.workflows import inpatient_stay as stay_wf
        from dualpath.workflows import pathway as wf
        from dualpath.workflows.pathway_messages import AdmitCommand

        await self.at_day(admit_day)
        admitted = await self.update(
            "admit",
            wf.PathwayWorkflow.admit,
            AdmitCommand(via="planned", ward="P3", admitted_on=await self.today(), actor=self.clinician),
        )
        if admitted is None:
            return
        stay = self.env.client.get_workflow_handle_for(stay_wf.InpatientStayWorkflow.run, admitted.stay_workflow_id)
        for i, to in enumerate((2, 3, 4)):
            await self.at_day(admit_day + (i + 1) * days // 4)
            for t in [t for t in (await stay.query(stay_wf.InpatientStayWorkflow.view)).open_tasks if t.mandatory]:
                done = CompleteTaskCommand(task_id=t.task_id, outcome="done", note="done", actor=self.clinician)
                await self.update("stay: complete_task", stay_wf.InpatientStayWorkflow.complete_task, done, stay)
            move = MovePhaseCommand(to=to, actor=self.clinician)
            await self.update("stay: move_phase", stay_wf.InpatientStayWorkflow.move_phase, move, stay)
        await self.at_day(admit_day + days)
        result = await self.update(
            "stay: discharge",
            stay_wf.InpatientStayWorkflow.discharge,
            DischargeCommand(
                discharged_on=await self.today(),
                reason="the patient and the municipality are ready",
                meeting_reason="agreed by phone",
                actor=self.clinician,
            ),
            stay,
        )
        if result is None:
            return
        for t in result.follow_ups:
            await self.at_day(admit_day + days + 2)
            cmd = CompleteTaskCommand(task_id=t.task_id, outcome="done", note="followed up", actor=self.clinician)
            await self.update("stay: complete_task", stay_wf.InpatientStayWorkflow.complete_task, cmd, stay)


async def _drive(y: Year) -> None:
    """The year. Days are counted from the pathway's start (a referral received two days before)."""
    from dualpath.domain.ambulatory import LevelOfCare
    from dualpath.workflows import pathway as wf
    from dualpath.workflows.pathway_messages import AcuteContactCommand, FirstContactCommand, LevelOfCareCommand

    await y.consent("dialogue", "given")
    await y.at_day(4)
    await y.update(
        "record_first_contact",
        wf.PathwayWorkflow.record_first_contact,
        FirstContactCommand(contact_on=await y.today(), actor=y.clinician),
    )
    await y.at_day(6)
    await y.consent("inform_municipal_treatment", "given")
    await y.at_day(8)
    await y.medication("start", "Quetiapin 50 mg")
    await y.close_tasks(1, 5)  # phase 1: contact person, screening, treatment plan (some late)
    await y.at_day(30)
    await y.move(2)
    await y.at_day(45)
    await y.update(
        "record_acute_contact",
        wf.PathwayWorkflow.record_acute_contact,
        AcuteContactCommand(contact_on=await y.today(), outcome="sent_home", actor=y.clinician),
    )
    await y.close_tasks(36, 6)
    await y.at_day(62)
    await y.medication("change", "Quetiapin 100 mg")
    await y.at_day(75)
    await y.joint_plan(None)
    await y.at_day(90)
    await y.move(3)
    await y.at_day(95)
    await y.update(
        "decide_level_of_care",
        wf.PathwayWorkflow.decide_level_of_care,
        LevelOfCareCommand(
            level=LevelOfCare.integrated_unstable, reason="relapse risk: housing lost", actor=y.clinician
        ),
    )
    await y.close_tasks(100, 8)
    await y.at_day(150)
    await y.medication("change", "Quetiapin 150 mg")
    await y.at_day(180)
    await y.consent("inform_municipal_treatment", "withdrawn")
    await y.at_day(200)
    await y.move(2)  # a relapse
    await y.close_tasks(205, 5)
    await y.at_day(230)
    await y.consent("inform_municipal_treatment", "given")
    await y.stay(240, 12)
    await y.at_day(275)
    await y.move(3)
    await y.close_tasks(280, 7)
    await y.at_day(300)
    await y.joint_plan(1)
    await y.at_day(320)
    await y.medication("stop", "Quetiapin")
    await y.at_day(335)
    await y.move(4)
    await y.close_tasks(340, 5)
    await y.at_day(YEAR_DAYS)


async def _histories(client, workflow_id: str, first_run: str) -> list:
    """Every run's history of the workflow, following continue-as-new from the first run."""
    runs, run_id = [], first_run
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else ""
        )
    return runs


async def _replay_ms(history, times: int = 5) -> dict:
    """The wall time of replaying `history` with dualpath's workflows and converter, `times` times."""
    from temporalio.worker import Replayer

    from dualpath import temporal_client
    from dualpath import worker as dp_worker
    from dualpath.settings import Settings

    replayer = Replayer(
        workflows=dp_worker.WORKFLOWS, data_converter=temporal_client.data_converter(Settings(_env_file=None))
    )
    took = []
    for _ in range(times):
        t = time.perf_counter()
        await replayer.replay_workflow(history)
        took.append((time.perf_counter() - t) * 1000)
    took.sort()
    return {"events": len(history.events), "n": times, "min": round(took[0], 1), "median": round(took[times // 2], 1)}


async def simulate(pool: asyncpg.Pool) -> dict:
    """A year of one pathway on a time-skipping server of its own; its history's size."""
    from temporalio.api.history.v1 import History
    from temporalio.worker import Worker

    from dualpath import worker as dp_worker
    from dualpath.domain.events import Actor
    from dualpath.eventstore import EventStore
    from dualpath.settings import Settings
    from dualpath.workflows import pathway as wf
    from dualpath.workflows import pathway_messages

    started = time.perf_counter()
    settings = Settings(_env_file=None, task_queue=f"bench-year-{uuid.uuid4().hex[:8]}")
    region, municipality = "1082", "751"
    async with _environment() as env:
        async with Worker(
            env.client,
            task_queue=settings.task_queue,
            workflows=dp_worker.WORKFLOWS,
            activities=dp_worker.activities(EventStore(pool), pool, settings),
        ):
            from dualpath.domain import copenhagen

            now = await env.get_current_time()
            today = copenhagen.local_date(now)
            pathway_id = str(uuid.uuid4())
            state = pathway_messages.new_state(
                pathway_id,
                str(uuid.uuid4()),
                patient_id=str(uuid.uuid4()),
                group=2,
                region=region,
                municipality=municipality,
                catalogue_version="v1",
                received_on=today - timedelta(days=2),
                start_deadline=today + timedelta(days=12),
                municipal_substance_treatment=True,
            )
            actor = Actor(subject="year-visitation", role="visitation", organisation=f"region:{region}")
            workflow_id = wf.workflow_id(pathway_id, region)
            handle = await env.client.start_workflow(
                wf.PathwayWorkflow.run,
                pathway_messages.PathwayInput(state=state, actor=actor),
                id=workflow_id,
                task_queue=settings.task_queue,
            )
            y = Year(env, handle, region, municipality)
            y.start = now
            await _drive(y)
            view = await y.view()
            runs = await _histories(env.client, workflow_id, handle.result_run_id or "")
            await env.client.get_workflow_handle(workflow_id).terminate("pathway-year over")
    replay_ms = await _replay_ms(runs[-1])
    events = [e for h in runs for e in h.events]
    types = Counter(e.WhichOneof("attributes").removesuffix("_event_attributes") for e in events)
    size = sum(History(events=h.events).ByteSize() for h in runs)
    stream = await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", wf.stream_id(pathway_id))
    return {
        "history_events": len(events),
        "history_bytes": size,
        "runs": len(runs),
        "commands": sum(y.sent.values()),
        "commands_by_kind": dict(y.sent),
        "refused": y.refused,
        "timers_started": types["timer_started"],
        "timers_fired_per_year": types["timer_fired"],
        "timers_canceled": types["timer_canceled"],
        "event_types": dict(types.most_common()),
        "pathway_stream_events": stream,
        "phase_at_year_end": view.phase,
        "slow_skips": y.slow_skips,
        "continue_as_new_suggested_at": {"events": 4096, "bytes": 4 * 2**20},
        "share_of_suggestion": round(max(len(events) / 4096, size / (4 * 2**20)), 3),
        # What a command to this pathway, evicted from the worker's cache at the year's end, pays first:
        # a new sandboxed instance and the replay of its history (the Replayer, in this process; about
        # 200 ms of it is the Replayer's own setup on every call, which a worker does not pay).
        "replay_ms": replay_ms,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def _standalone() -> dict:
    import tempfile
    from pathlib import Path

    from dualpath.eventstore import migrate
    from dualpath.infra.postgres import ensure_database, start_embedded

    tmp = Path(tempfile.mkdtemp(prefix="dualpath-year-"))
    admin = await asyncio.to_thread(start_embedded, tmp)
    dsn = await ensure_database(admin, "dualpath")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8)
    try:
        await migrate(pool)
        return await simulate(pool)
    finally:
        await pool.close()
        from benchmarks.stack import Stack

        Stack(tmp=tmp, data=tmp)._stop_postgres()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    import json

    result = asyncio.run(_standalone())
    print(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
