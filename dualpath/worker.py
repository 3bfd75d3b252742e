"""The Temporal worker: runs the pathway workflows and their activities."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from dualpath import logs, temporal_client
from dualpath.activities.coordinated_course import CoordinatedCourseActivities
from dualpath.activities.discharge import DischargeActivities
from dualpath.activities.events import EventActivities
from dualpath.activities.fmk import FmkActivities, build_notifier
from dualpath.activities.joint_plans import JointPlanActivities
from dualpath.activities.meetings import MeetingActivities
from dualpath.activities.notifications import LocalRecorder, NotificationActivities
from dualpath.activities.pathway_claims import PathwayClaims
from dualpath.activities.transitions import TransitionActivities
from dualpath.domain.coordinated_course import Periods
from dualpath.domain.discharge import DischargeSettings
from dualpath.eventstore import EventStore, migrate
from dualpath.infra.postgres import database_url
from dualpath.sandbox import workflow_runner
from dualpath.settings import Settings, get_settings
from dualpath.workflows.campaign import CampaignWorkflow
from dualpath.workflows.coordinated_course import CoordinatedCourseWorkflow
from dualpath.workflows.inpatient_stay import InpatientStayWorkflow
from dualpath.workflows.meeting import MeetingWorkflow
from dualpath.workflows.pathway import PathwayWorkflow
from dualpath.workflows.referral import ReferralWorkflow
from dualpath.workflows.staff_member import StaffMemberWorkflow
from dualpath.workflows.transition import TransitionWorkflow

log = structlog.get_logger("dualpath.worker")

WORKFLOWS = [
    ReferralWorkflow,
    PathwayWorkflow,
    MeetingWorkflow,
    InpatientStayWorkflow,
    TransitionWorkflow,
    CampaignWorkflow,
    CoordinatedCourseWorkflow,
    StaffMemberWorkflow,
]


def _discharge_settings(settings: Settings, region: str | None) -> DischargeSettings:
    r = settings.for_region(region)
    return DischargeSettings(
        longer_admission_days=r.longer_admission_days, network_meeting_working_days=r.meeting_within_working_days
    )


def activities(store: EventStore, pool: asyncpg.Pool, settings: Settings) -> list:
    events = EventActivities(store)
    notices = NotificationActivities(LocalRecorder(pool))
    calendar = settings.working_day_calendar()
    # A region with settings of its own gets its own calendar and discharge rules.
    regional = {region: settings.working_day_calendar(region) for region in settings.region_settings}
    meetings = MeetingActivities(calendar, regional)
    discharge = DischargeActivities(
        calendar,
        _discharge_settings(settings, None),
        {region: (regional[region], _discharge_settings(settings, region)) for region in regional},
    )
    fmk = FmkActivities(build_notifier(url=settings.fmk_notice_url, pool=pool, timeout=settings.fmk_notice_timeout))
    return [
        events.append_events,
        meetings.working_day_deadline,
        notices.send_notice,
        fmk.send_fmk_notice,
        discharge.discharge_advice,
        TransitionActivities(store).pathway_ended,
        JointPlanActivities(pool).joint_plan_version,
        *_claims(pool),
        CoordinatedCourseActivities(coordinated_periods(settings)).coordinated_course_periods,
    ]


def coordinated_periods(settings: Settings) -> Periods:
    return Periods(
        follow_up_days=settings.coordinated_follow_up_days,
        check_in_days=settings.coordinated_check_in_days,
        task_days=settings.coordinated_task_days,
    )


def _claims(pool: asyncpg.Pool) -> list:
    claims = PathwayClaims(pool)
    return [claims.claim_pathway, claims.release_pathway]


def build_worker(client: Client, settings: Settings, store: EventStore, pool: asyncpg.Pool) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities(store, pool, settings),
        workflow_runner=workflow_runner(settings.worker_sandbox_sharing, WORKFLOWS),
        # Running workflows kept in memory between their tasks; one evicted is replayed from its
        # history at its next task (DUALPATH_WORKER_MAX_CACHED_WORKFLOWS, README "Worker memory").
        max_cached_workflows=settings.worker_max_cached_workflows,
        # Let in-flight activities finish on SIGTERM rather than cancelling them.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run(settings: Settings) -> None:
    dsn = await database_url(settings)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    await migrate(pool)
    runtime = (
        temporal_client.metrics_runtime(settings.worker_metrics_address) if settings.worker_metrics_address else None
    )
    client = await temporal_client.connect(settings, runtime)
    worker = build_worker(client, settings, EventStore(pool), pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("worker stopping: finishing in-flight activities")
    await pool.close()


def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
