"""Referral timers on the time-skipping server: release on the opening date, §82c deadline."""

import asyncio
import uuid
from datetime import date, timedelta

from temporalio.worker import Worker

from dualpath import workflow_ids
from dualpath.activities.events import EventActivities
from dualpath.domain import copenhagen
from dualpath.domain.events import Actor
from dualpath.workflows import referral as wf
from dualpath.workflows.pathway import PathwayWorkflow

ACTOR = Actor(subject="t", role="clinician", organisation="region:1082")


def _input(today: date, **kw) -> wf.ReferralInput:
    rid = str(uuid.uuid4())
    base = dict(
        referral_id=rid,
        patient_id=str(uuid.uuid4()),
        source="municipality",
        municipality="751",
        region="1082",
        group=3,
        status="awaiting_visitation",
        received_on=today,
        start_deadline=today + timedelta(days=14),
        opens_on=None,
        reasons=[],
        catalogue_version="v1",
        warn_at=copenhagen.midnight(today + timedelta(days=11)),
        deadline_at=copenhagen.midnight(today + timedelta(days=15)),
        actor=ACTOR,
    )
    base.update(kw)
    return wf.ReferralInput(**base)


def _worker(env, store, queue):
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[wf.ReferralWorkflow, PathwayWorkflow],
        activities=[EventActivities(store).append_events, *_claims(store)],
    )


def _claims(store):
    from dualpath.activities.pathway_claims import PathwayClaims

    claims = PathwayClaims(store._pool)
    return [claims.claim_pathway, claims.release_pathway]


async def test_a_held_referral_is_released_on_the_opening_date_by_itself(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    today = copenhagen.today(await _now(time_env))
    opens = today + timedelta(days=60)
    inp = _input(
        today,
        status="held_until_phase_in",
        opens_on=opens,
        release_at=copenhagen.midnight(opens),
        start_deadline=opens + timedelta(days=14),
        warn_at=copenhagen.midnight(opens + timedelta(days=11)),
        deadline_at=copenhagen.midnight(opens + timedelta(days=15)),
    )
    async with _worker(time_env, store, queue):
        handle = await time_env.client.start_workflow(
            wf.ReferralWorkflow.run, inp, id=wf.workflow_id(inp.referral_id, inp.region), task_queue=queue
        )
        assert (await handle.query(wf.ReferralWorkflow.view)).status == "held_until_phase_in"
        await time_env.sleep(timedelta(days=59))
        assert (await handle.query(wf.ReferralWorkflow.view)).status == "held_until_phase_in"
        await time_env.sleep(timedelta(days=2))
        view = await handle.query(wf.ReferralWorkflow.view)
        assert view.status == "awaiting_visitation"
        # Finish it: a workflow left waiting on timers with no worker would
        # hold up time skipping for the tests after this one.
        await handle.execute_update(
            wf.ReferralWorkflow.decide, wf.DecisionCommand(accept=False, reason="test over", actor=ACTOR)
        )
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.referral_id))]
    assert types == ["ReferralReceived", "ReferralReleased", "ReferralDeclined"]
    released = (await store.read_stream(wf.stream_id(inp.referral_id)))[1]
    assert released.data["released_on"] == opens.isoformat()


async def test_the_start_deadline_warns_three_days_before_and_escalates_when_passed(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    today = copenhagen.today(await _now(time_env))
    inp = _input(today)
    async with _worker(time_env, store, queue):
        handle = await time_env.client.start_workflow(
            wf.ReferralWorkflow.run, inp, id=wf.workflow_id(inp.referral_id, inp.region), task_queue=queue
        )
        await time_env.sleep(timedelta(days=10))
        assert not (await handle.query(wf.ReferralWorkflow.view)).deadline_warned
        await time_env.sleep(timedelta(days=2))
        view = await handle.query(wf.ReferralWorkflow.view)
        assert view.deadline_warned and not view.deadline_passed
        await time_env.sleep(timedelta(days=4))
        assert (await handle.query(wf.ReferralWorkflow.view)).deadline_passed
        # A late decision is still taken; the escalation stays on the record.
        result = await handle.execute_update(wf.ReferralWorkflow.decide, wf.DecisionCommand(accept=True, actor=ACTOR))
        assert result.referral.status == "accepted"
        await time_env.client.get_workflow_handle(
            workflow_ids.pathway(result.referral.pathway_id, inp.region)
        ).terminate("test over")
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.referral_id))]
    assert types == [
        "ReferralReceived",
        "ReferralDeadlineApproaching",
        "ReferralDeadlinePassed",
        "TaskOpened",
        "ReferralAccepted",
        "TaskCompleted",
    ]
    task = (await store.read_stream(wf.stream_id(inp.referral_id)))[3].data
    assert task["owner_role"] == "visitation" and task["owner_org"] == "region:1082"
    assert task["kind"] == "referral_start_deadline"


async def test_a_timely_decision_cancels_the_deadline_timers(time_env, store):
    queue = f"t-{uuid.uuid4()}"
    inp = _input(copenhagen.today(await _now(time_env)))
    async with _worker(time_env, store, queue):
        handle = await time_env.client.start_workflow(
            wf.ReferralWorkflow.run, inp, id=wf.workflow_id(inp.referral_id, inp.region), task_queue=queue
        )
        await handle.execute_update(
            wf.ReferralWorkflow.decide,
            wf.DecisionCommand(accept=False, reason="parallel treatment suffices", actor=ACTOR),
        )
        view = await asyncio.wait_for(handle.result(), timeout=60)
    assert view.status == "declined" and not view.deadline_warned
    types = [e.type for e in await store.read_stream(wf.stream_id(inp.referral_id))]
    assert types == ["ReferralReceived", "ReferralDeclined"]


async def _now(env):
    return await env.get_current_time()
