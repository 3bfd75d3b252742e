"""A group-2 phase-in campaign per psychiatric centre and municipality (spec §6, seed 004), as a durable process.

Id `campaign-<region>-<campaign_id>` (dualpath/workflow_ids.py), the only writer of
the event stream `campaign-<campaign_id>`.
The rules are pure, in `domain.campaign`; this module applies them and keeps the
timers: the reminder when the lists are not shared in time, and each decided start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import ValidationError
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.contracts.activities import WorkingDayDeadline
    from dualpath.domain import campaign as rules
    from dualpath.domain import campaign_lists, copenhagen
    from dualpath.domain.campaign import CampaignRefused, CampaignState, Person
    from dualpath.domain.campaign_events import (
        CampaignConsentRecorded,
        CampaignListsShared,
        CampaignListUploaded,
        CampaignMeetingHeld,
        CampaignNetworkMeetingPlanned,
        CampaignOpened,
        CampaignPathwayStarted,
        CampaignPersonDecided,
        CampaignShareReminded,
        CampaignStartCancelled,
        CoordinationStarted,
        KkrContactsSet,
    )
    from dualpath.domain.events import Actor, DomainEvent, TaskCompleted, TaskOpened
    from dualpath.workflows import kit, pathway
    from dualpath.workflows.campaign_messages import (
        CampaignInput,
        CampaignResult,
        CampaignView,
        ConsentCommand,
        DecideCommand,
        KkrCommand,
        MeetingCommand,
        NetworkMeetingCommand,
        ShareCommand,
        UploadListCommand,
    )
    from dualpath.workflows.kit import command

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# The municipality's task when coordinated treatment starts: due this many working days after the start.
COORDINATION_TASK_WORKING_DAYS = 5


# `campaign-<region>-<campaign_id>` (without a region, `campaign-<campaign_id>`); stream `campaign-<id>`.
workflow_id, stream_id = workflow_ids.campaign, workflow_ids.campaign_stream


@workflow.defn(name="CampaignWorkflow", failure_exception_types=[ValidationError])
class CampaignWorkflow(kit.Process):
    """A group-2 phase-in campaign (spec §6).

    On start records CampaignOpened. Timers: at `REMINDER_DAYS` before the share-by date
    (the planned meeting less `share_days`), if the lists are not shared, a reminder task
    for both sides (closed when they are shared); on each decided date, the person's
    integrated pathway starts (a child PathwayWorkflow that outlives this one, ABANDON)
    or coordination starts (an event and a task for the municipality).

    Updates (a validator refuses with type CommandRefused, writing nothing; `domain.campaign`
    has the rules): `set_kkr_contacts`, `upload_list`, `record_consent`, `share_lists`,
    `hold_collaboration_meeting`, `decide`, `plan_network_meeting`; each answers CampaignResult.
    Queries: `view() -> CampaignView`.
    Activities: `append_events`, `working_day_deadline`.
    """

    @workflow.init
    def __init__(self, input: CampaignInput) -> None:
        # A new campaign's state starts from its input; a continued one carries its own.
        self.state: CampaignState = input.state or kit.from_fields(
            CampaignState, input, meeting_planned_on=input.collaboration_meeting_on
        )
        self._in = input
        super().__init__(stream_id(self.state.campaign_id), versioned=self.state)

    def _is_ready(self) -> bool:
        # A command may arrive in the first task, before `run` has recorded CampaignOpened.
        return self.state.opened

    @workflow.run
    async def run(self, input: CampaignInput) -> CampaignView:
        s = self.state
        if not s.opened:
            async with self._lock:
                await self._record(
                    [
                        kit.from_fields(
                            CampaignOpened, s, collaboration_meeting_on=s.meeting_planned_on, share_by=rules.share_by(s)
                        )
                    ],
                    input.actor,
                )
                s.opened = True
        self._publish()
        while True:
            async with self._lock:
                await self._fire_due()
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._in.model_copy(update={"state": self.state}))
            self._changed = False
            at = self._next_timer()
            if at is not None and at <= workflow.now():
                continue
            try:
                await workflow.wait_condition(
                    lambda: self._changed, timeout=(at - workflow.now()) if at is not None else None
                )
            except TimeoutError:
                pass

    @workflow.query
    def view(self) -> CampaignView:
        return self._view()

    # -- updates ---------------------------------------------------------------------

    @command()
    async def set_kkr_contacts(self, cmd: KkrCommand) -> CampaignResult:
        position = await self._record(
            [KkrContactsSet(campaign_id=self.state.campaign_id, contacts=[c.model_dump() for c in cmd.contacts])],
            cmd.actor,
        )
        self.state.kkr_contacts = list(cmd.contacts)
        return self._answer(position)

    @command(lambda self, cmd: self._check(lambda: rules.check_upload(self.state, cmd.side, cmd.rows)))
    async def upload_list(self, cmd: UploadListCommand) -> CampaignResult:
        people, removed = campaign_lists.merge_list(self.state.people, cmd.side, cmd.rows)
        position = await self._record(
            [
                CampaignListUploaded(
                    campaign_id=self.state.campaign_id,
                    side=cmd.side,
                    uploaded_on=self._today(),
                    people=[r.model_dump() for r in cmd.rows],
                    removed=removed,
                )
            ],
            cmd.actor,
        )
        self.state.people = people
        self.state.uploaded[cmd.side] = self._today()
        return self._answer(position)

    @command(
        lambda self, cmd: self._check(lambda: rules.check_consent(self.state, cmd.side, cmd.patient_id, cmd.state))
    )
    async def record_consent(self, cmd: ConsentCommand) -> CampaignResult:
        p = rules.person(self.state, cmd.patient_id)
        events: list[DomainEvent] = [kit.from_fields(CampaignConsentRecorded, cmd, campaign_id=self.state.campaign_id)]
        cancel = cmd.state == "refused" and p.status == "scheduled"
        if cancel:
            events.append(
                CampaignStartCancelled(
                    campaign_id=self.state.campaign_id,
                    patient_id=cmd.patient_id,
                    reason=f"{rules.SIDE_NAMES[cmd.side]} recorded the consent as refused before the start",
                )
            )
        position = await self._record(events, cmd.actor)
        p.consent[cmd.side] = cmd.state
        if cancel:
            p.status = "cancelled"
        return self._answer(position)

    @command(lambda self, cmd: self._check(lambda: rules.check_share(self.state)))
    async def share_lists(self, cmd: ShareCommand) -> CampaignResult:
        today = self._today()
        events: list[DomainEvent] = [
            CampaignListsShared(
                campaign_id=self.state.campaign_id,
                shared_on=today,
                earliest_meeting_on=today + timedelta(days=self.state.share_days),
            )
        ]
        events += [
            TaskCompleted(task_id=t, outcome="done", note="the lists are shared") for t in self.state.reminder_tasks
        ]
        position = await self._record(events, cmd.actor)
        self.state.shared_on, self.state.reminder_tasks = today, []
        return self._answer(position)

    @command(lambda self, cmd: self._check(lambda: rules.check_meeting(self.state, cmd.held_on, self._today())))
    async def hold_collaboration_meeting(self, cmd: MeetingCommand) -> CampaignResult:
        not_discussed = [p.patient_id for p in self.state.people if rules.not_discussed_mark(p)]
        position = await self._record(
            [
                CampaignMeetingHeld(
                    campaign_id=self.state.campaign_id, held_on=cmd.held_on, note=cmd.note, not_discussed=not_discussed
                )
            ],
            cmd.actor,
        )
        self.state.meeting_held_on = cmd.held_on
        return self._answer(position)

    @command(lambda self, cmd: self._check(self._decision_rule(cmd)))
    async def decide(self, cmd: DecideCommand) -> CampaignResult:
        position = await self._record(
            [kit.from_fields(CampaignPersonDecided, cmd, campaign_id=self.state.campaign_id)], cmd.actor
        )
        p = rules.person(self.state, cmd.patient_id)
        p.decision, p.from_date = cmd.decision, cmd.from_date
        p.status = "not_relevant" if cmd.decision == "not_relevant" else "scheduled"
        return self._answer(position)

    def _decision_rule(self, cmd: DecideCommand) -> Callable[[], None]:
        return lambda: rules.check_decision(self.state, cmd.patient_id, cmd.decision, cmd.from_date, self._today())

    @command(lambda self, cmd: self._check(lambda: rules.check_network_meeting(self.state, cmd.patient_id)))
    async def plan_network_meeting(self, cmd: NetworkMeetingCommand) -> CampaignResult:
        position = await self._record(
            [kit.from_fields(CampaignNetworkMeetingPlanned, cmd, cmd.plan, campaign_id=self.state.campaign_id)],
            cmd.actor,
        )
        rules.person(self.state, cmd.patient_id).network_meeting = cmd.plan
        return self._answer(position)

    # -- timers --------------------------------------------------------------------------

    def _reminder_at(self) -> datetime | None:
        s = self.state
        if s.shared_on is not None or s.reminder_sent:
            return None
        return copenhagen.midnight(rules.reminder_on(s))

    def _due_starts(self) -> list[Person]:
        return [p for p in self.state.people if p.status == "scheduled" and p.from_date is not None]

    def _next_timer(self) -> datetime | None:
        instants = [copenhagen.midnight(p.from_date) for p in self._due_starts() if p.from_date]
        if (at := self._reminder_at()) is not None:
            instants.append(at)
        return min(instants, default=None)

    async def _fire_due(self) -> None:
        now = workflow.now()
        if (at := self._reminder_at()) is not None and at <= now:
            await self._remind()
        for p in self._due_starts():
            if p.from_date is not None and copenhagen.midnight(p.from_date) <= now:
                await self._start(p)

    async def _remind(self) -> None:
        s = self.state
        due = rules.share_by(s)
        tasks = [
            TaskOpened(
                task_id=str(workflow.uuid4()),
                referral_id=s.campaign_id,
                kind="campaign_share_lists",
                title=f"Del listen over gruppe 2 senest {due} (samarbejdsmøde {s.meeting_planned_on})",
                phase=None,
                owner_role=role,
                owner_org=org,
                due=due,
                mandatory=True,
            )
            for role, org in (("clinician", f"region:{s.region}"), ("municipality", f"municipality:{s.municipality}"))
        ]
        await self._record(
            [
                CampaignShareReminded(
                    campaign_id=s.campaign_id,
                    reminded_on=self._today(),
                    share_by=due,
                    task_ids=[t.task_id for t in tasks],
                ),
                *tasks,
            ],
            Actor.engine(),
        )
        s.reminder_sent, s.reminder_tasks = True, [t.task_id for t in tasks]
        self._publish()

    async def _start(self, p: Person) -> None:
        """A decided start on its date: the integrated pathway, or coordinated treatment's municipal task."""
        assert p.from_date is not None
        if p.decision == "integrated":
            if not await self._start_pathway(p, p.from_date):
                p.status = "cancelled"
                self._publish()
                return
        else:
            await self._start_coordination(p, p.from_date)
        p.status, p.started_on = "started", p.from_date
        self._publish()

    async def _start_pathway(self, p: Person, on: date) -> bool:
        """The person's integrated pathway, started; False (and the start cancelled) when they have one."""
        s, pathway_id = self.state, str(workflow.uuid4())
        state = pathway.new_state(
            pathway_id, s.campaign_id, s, p, group=2, municipal_substance_treatment=p.municipal_substance_treatment
        )
        summary = "Ambulatory pathway (ambulant forløb), group 2 phase-in campaign"
        if not await pathway.start_as_child(state, Actor.engine(), summary):
            why = "the patient already has an active integrated pathway (one at most): none was started"
            cancelled = CampaignStartCancelled(campaign_id=s.campaign_id, patient_id=p.patient_id, reason=why)
            await self._record([cancelled], Actor.engine())
            return False
        started = CampaignPathwayStarted(
            campaign_id=s.campaign_id, patient_id=p.patient_id, pathway_id=pathway_id, started_on=on
        )
        await self._record([started], Actor.engine())
        p.pathway_id = pathway_id
        return True

    async def _start_coordination(self, p: Person, on: date) -> None:
        """Coordinated treatment starts: a task for the municipality, due a few working days after."""
        s = self.state
        due = await workflow.execute_activity(
            "working_day_deadline",
            WorkingDayDeadline(start=on, working_days=COORDINATION_TASK_WORKING_DAYS, region=s.region),
            result_type=date,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        task = TaskOpened(
            task_id=str(workflow.uuid4()),
            referral_id=s.campaign_id,
            kind="campaign_coordination_start",
            title=f"Koordineret behandling starter {on} (gruppe 2, kampagne {s.centre})",
            phase=None,
            owner_role="municipality",
            owner_org=f"municipality:{s.municipality}",
            due=due,
            mandatory=True,
        )
        started = CoordinationStarted(
            campaign_id=s.campaign_id, patient_id=p.patient_id, started_on=on, task_id=task.task_id
        )
        await self._record([started, task], Actor.engine())

    # -- helpers -------------------------------------------------------------------------

    def _check(self, rule: Callable[[], None]) -> None:
        # Only an ApplicationError fails an update; any other exception would fail the task and retry it.
        try:
            rule()
        except CampaignRefused as exc:
            raise kit.refused(exc) from None

    def _today(self) -> date:
        return copenhagen.local_date(workflow.now())

    def _answer(self, position: int) -> CampaignResult:
        self._changed = True
        self._publish()
        return CampaignResult(campaign=self._view(), position=position)

    def _view(self) -> CampaignView:
        s = self.state
        return CampaignView(
            campaign_id=s.campaign_id,
            phase=rules.phase(s),
            share_by=rules.share_by(s),
            shared_on=s.shared_on,
            earliest_meeting_on=rules.earliest_meeting(s),
            meeting_planned_on=s.meeting_planned_on,
            meeting_held_on=s.meeting_held_on,
            reminder_sent=s.reminder_sent,
            lists={side: sum(1 for p in s.people if side in p.rows) for side in rules.SIDES},
            people=[p.model_copy(deep=True) for p in s.people],
            timetable=[p.model_copy(deep=True) for p in rules.timetable(s)],
        )

    def _next_due(self) -> date | None:
        s = self.state
        if s.shared_on is None:
            return rules.share_by(s)
        if s.meeting_held_on is None:
            return max(s.meeting_planned_on, rules.earliest_meeting(s) or s.meeting_planned_on)
        return min((p.from_date for p in self._due_starts() if p.from_date), default=None)

    def _publish(self) -> None:
        s = self.state
        due = self._next_due()
        phase = rules.phase(s)
        self._upsert(
            [
                sa.PATHWAY_KIND.value_set("campaign"),
                sa.PHASE.value_set(phase),
                sa.REGION.value_set(s.region),
                sa.MUNICIPALITY.value_set(s.municipality),
                sa.TARGET_GROUP.value_set(2),
                sa.NEXT_DUE.value_set(copenhagen.midnight(due)) if due else sa.NEXT_DUE.value_unset(),
            ]
        )
        # What the Temporal UI shows on the workflow's page: process state and counts only.
        counts = {st: sum(1 for p in s.people if p.status == st) for st in ("scheduled", "started", "not_relevant")}
        without = sum(1 for p in s.people if rules.not_discussed_mark(p))
        workflow.set_current_details(
            f"**{phase}** — {s.centre}, municipality {s.municipality}; lists: "
            f"{', '.join(f'{k} {v}' for k, v in self._view().lists.items())}; shared: {s.shared_on or 'no'} "
            f"(by {rules.share_by(s)}); meeting planned {s.meeting_planned_on}, held {s.meeting_held_on or 'no'}; "
            f"without consent {without}; scheduled {counts['scheduled']}, started {counts['started']}, "
            f"not relevant {counts['not_relevant']}; next due {due or '-'}"
        )
