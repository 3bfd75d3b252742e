"""An inpatient stay (indlæggelse) as its own durable process, a child of the pathway.

Id `stay-<region>-<pathway_id>-<n>` (dualpath/workflow_ids.py), stream
`stay-<pathway_id>-<n>`. The ambulatory pathway
goes on during the stay; the pathway holds the patient's consents and tells
the stay when they change.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.contracts.activities import DischargeAdviceRequest, Notice
    from dualpath.domain import consent, copenhagen, inpatient, tasks, validation
    from dualpath.domain import discharge as discharge_rules
    from dualpath.domain import leave as leave_rules
    from dualpath.domain.ambulatory import MoveRefused
    from dualpath.domain.catalogue import load_catalogue
    from dualpath.domain.discharge import DischargeAdvice
    from dualpath.domain.events import (
        Actor,
        AdmissionStarted,
        DischargePlanned,
        DomainEvent,
        InpatientPhaseChanged,
        MunicipalityInformed,
        MunicipalityNotInformed,
        PatientDischarged,
        StayEnded,
        TaskCompleted,
        TaskOpened,
    )
    from dualpath.domain.tasks import Task
    from dualpath.workflows import kit
    from dualpath.workflows.inpatient_stay_leave import LeaveCommands
    from dualpath.workflows.inpatient_stay_meeting import DISCHARGE_MEETING, MEETING_TASKS, DischargeMeeting
    from dualpath.workflows.inpatient_stay_messages import (
        CONSENTS_CHANGED_SIGNAL,
        STAY_DISCHARGED_SIGNAL,
        ConsentsChanged,
        DischargeCommand,
        PlanDischargeCommand,
        StayDischarged,
        StayInput,
        StayOpened,
        StayResult,
        StayState,
        StayView,
    )
    from dualpath.workflows.kit import CompleteTaskCommand, MovePhaseCommand, command, refusing

CALENDAR_TIMEOUT = timedelta(seconds=30)
# A discharge date advised against needs its reason (issue #18 item 2).
DISCHARGE_REASON = "discharge-before-days-off-needs-reason"
# Leave before discharge (issue #18 item 6): a plan that advises it opens the leave-offer task.
LEAVE_OFFER = "leave-offer-by-plan"
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


# `stay-<region>-<pathway_id>-<n>` (without a region, the legacy `stay-<pathway_id>-<n>`); stream `stay-<id>-<n>`.
workflow_id, stream_id = workflow_ids.stay, workflow_ids.stay_stream


@workflow.defn(name="InpatientStayWorkflow", failure_exception_types=[ValidationError])
class InpatientStayWorkflow(DischargeMeeting, LeaveCommands):
    """An inpatient stay, phases 1–4 (spec §4), through discharge and its follow-ups.

    At admission of a patient in municipal substance treatment, a task asks for
    consent to keep the municipal practitioners informed; with that consent the
    municipality is advised of the admission and the discharge (no clinical
    detail), without it nothing is sent and the record says why.

    Updates (a validator refuses an illegal one, writing nothing):
    - `move_phase(MovePhaseCommand) -> StayResult`
    - `plan_discharge(PlanDischargeCommand) -> StayResult`: the discharge rules for that date
      (network meeting or transition conversation, leave, the non-working-day warning with
      the proposed date, the follow-ups it would create); staff may keep a warned date with a reason
    - `discharge(DischargeCommand) -> StayResult`: from phase 4; opens the follow-up tasks
    - `grant_leave(GrantLeaveCommand) -> StayResult`: leave before discharge (orlov) from–to; it closes the
      leave-offer task (opened by a plan that advises leave) and opens a task to record how it went
    - `record_leave_outcome(LeaveOutcomeCommand) -> StayResult`: how the leave went
    - `complete_task(CompleteTaskCommand) -> StayResult`
    Signals received: `consents_changed(ConsentsChanged)` from the pathway; `meeting_held(MeetingHeldSignal)`
    from a network meeting called for this stay's discharge (it closes the meeting task).
    Signals sent: `stay_discharged(StayDischarged)` to the pathway.
    Queries: `view() -> StayView`.
    Ends when discharged and every follow-up task is closed.
    """

    @workflow.init
    def __init__(self, input: StayInput) -> None:
        super().__init__(stream_id(input.pathway_id, input.number))
        self._in = input
        self.state = StayState(consents=input.consents)

    @workflow.run
    async def run(self, input: StayInput) -> StayView:
        async with self._lock:
            started = kit.from_fields(AdmissionStarted, input)
            self.state.opened_at = await self._record([started, *self._open_phase_tasks(1)], input.actor)
            self._ready = True
            await self._inform_municipality("admission")
        self._publish()
        while not (self.state.status == "discharged" and not self._open_tasks()):
            await self._wait_for_change_or_due()
        async with self._lock:
            await self._record([StayEnded(stay_id=input.stay_id)], Actor.engine())
            self.state.status = "ended"
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._publish()
        return self._view()

    @workflow.update
    async def opened(self) -> StayOpened:
        """Where the stay's opening events (the admission, phase 1's tasks) stand in the event store,
        once recorded: an admission is answered when the read models have reached them, not when
        the stay's row merely exists (its tasks may not be there yet)."""
        await workflow.wait_condition(lambda: self.state.opened_at is not None)
        assert self.state.opened_at is not None
        return StayOpened(position=self.state.opened_at)

    @workflow.query
    def view(self) -> StayView:
        return self._view()

    @workflow.signal(name=CONSENTS_CHANGED_SIGNAL)
    async def consents_changed(self, changed: ConsentsChanged) -> None:
        # Takes effect at once, before any await: a withdrawal stops the discharge notice.
        self.state.consents = list(changed.consents)
        self._changed = True
        async with self.one_at_a_time():
            decided = next(
                (
                    c.state
                    for c in self.state.consents
                    if c.scope == "inform_municipal_treatment" and c.counterpart == self._in.municipality
                ),
                None,
            )
            task = next((t for t in self._open_tasks() if t.kind == "consent_municipal_information"), None)
            if decided in ("given", "refused") and task:
                await self._record(
                    [TaskCompleted(task_id=task.task_id, outcome="done", note=f"consent {decided}")], Actor.engine()
                )
                task.state = "done"
            # With consent given mid-stay the municipality still hears of the admission.
            if decided == "given" and "admission" not in self.state.informed:
                await self._inform_municipality("admission")
            self._done(0)

    # -- phases -------------------------------------------------------------

    @command(lambda self, cmd: self._check_move(cmd))
    async def move_phase(self, cmd: MovePhaseCommand) -> StayResult:
        events: list[DomainEvent] = [
            InpatientPhaseChanged(
                stay_id=self._in.stay_id, from_phase=self.state.phase, to_phase=cmd.to, reason=cmd.reason
            ),
            *self._open_phase_tasks(cmd.to),
        ]
        position = await self._record(events, cmd.actor)
        self.state.phase = cmd.to
        return self._done(position)

    def _check_move(self, cmd: MovePhaseCommand) -> None:
        self._require_admitted()
        try:
            inpatient.check_move(self.state.phase, cmd.to, cmd.reason)
        except MoveRefused as exc:
            allowed = [m.model_dump() for m in inpatient.allowed_moves(self.state.phase)]
            raise kit.refused(exc, "MoveRefused", {"allowed": allowed}) from None
        self._check_leaving(f"stay phase {self.state.phase}", tasks.blocking(self._open_tasks(), self.state.phase))

    # -- discharge ----------------------------------------------------------

    @command(lambda self, cmd: self._check_plan(cmd))
    async def plan_discharge(self, cmd: PlanDischargeCommand) -> StayResult:
        advice = await self._advice(cmd.planned_date)
        warned = advice.before_non_working_day or advice.on_non_working_day
        planned = DischargePlanned(
            stay_id=self._in.stay_id,
            planned_date=cmd.planned_date,
            before_non_working_days=warned,
            proposed_date=advice.proposed_date,
            meeting=advice.meeting,
            kept_despite_warning=cmd.keep_reason if warned else None,
        )
        by_plan = self.state.phase == 4 and workflow.patched(DISCHARGE_MEETING)
        opened, cancelled = self._meeting_task_for(advice) if by_plan else ([], [])
        if advice.offer_leave and not self.state.leave_offered and workflow.patched(LEAVE_OFFER):
            opened.append(self._opened(self._task_now(leave_rules.OFFER_TASK, advice.planned_date)))
            self.state.leave_offered = True
        position = await self._record([planned, *opened, *cancelled], cmd.actor)
        for c in cancelled:
            next(t for t in self._tasks if t.task_id == c.task_id).state = "cancelled"
        self.state.planned_discharge = advice
        return self._done(position, advice=advice)

    def _check_plan(self, cmd: PlanDischargeCommand) -> None:
        self._require_admitted()
        self._check_date(cmd.planned_date, "planned discharge")

    @command(lambda self, cmd: self._check_discharge(cmd))
    async def discharge(self, cmd: DischargeCommand) -> StayResult:
        advice = await self._advice(cmd.discharged_on)
        before = advice.before_non_working_day
        self._check_reason(advice, cmd.reason)
        meeting = self._check_meeting(cmd) if workflow.patched(DISCHARGE_MEETING) else {}
        follow_ups = self._follow_ups(advice, cmd)
        events: list[DomainEvent] = [
            PatientDischarged(
                stay_id=self._in.stay_id,
                pathway_id=self._in.pathway_id,
                discharged_on=cmd.discharged_on,
                before_non_working_days=before,
                follow_ups=[{"kind": t.kind, "due": t.due.isoformat()} for t in follow_ups],
                reason_before_non_working_days=cmd.reason.strip() if before and cmd.reason else None,
                **meeting,
            ),
            *[self._opened(t) for t in follow_ups],
        ]
        # The stay's own phase tasks end with it; the follow-ups carry on.
        why_not = meeting.get("meeting_not_held_reason")
        events += [
            TaskCompleted(
                task_id=t.task_id,
                outcome="not_possible",
                note=why_not if t.kind in MEETING_TASKS and why_not else "the patient was discharged",
            )
            for t in self._open_tasks()
        ]
        position = await self._record(events, cmd.actor)
        self._tasks = follow_ups
        self.state.status = "discharged"
        await self._inform_municipality("discharge")
        await workflow.get_external_workflow_handle(self._pathway_workflow_id()).signal(
            STAY_DISCHARGED_SIGNAL, StayDischarged(stay_id=self._in.stay_id, discharged_on=cmd.discharged_on)
        )
        return self._done(position, follow_ups=follow_ups)

    def _check_discharge(self, cmd: DischargeCommand) -> None:
        self._require_admitted()
        if self.state.phase != 4:
            raise ApplicationError(
                f"discharge happens from phase 4 (Udskrivelse og overgang); the stay is in phase {self.state.phase}",
                {"allowed": [m.model_dump() for m in inpatient.allowed_moves(self.state.phase)]},
                type="MoveRefused",
            )
        self._check_date(cmd.discharged_on, "discharge")

    def _check_reason(self, advice: DischargeAdvice, reason: str | None) -> None:
        """Refuse a date advised against without its reason (behind a patch: recorded stays replay as they ran)."""
        try:
            discharge_rules.check_reason(advice, reason)
        except discharge_rules.DischargeRefused as exc:
            if workflow.patched(DISCHARGE_REASON):
                raise kit.refused(exc) from None  # its message names the nearest earlier working day

    def _check_date(self, d: date, what: str) -> None:
        if d < self._in.admitted_on:
            raise ApplicationError(
                f"the {what} date {d} is before the admission on {self._in.admitted_on}", type="CommandRefused"
            )

    def _follow_ups(self, advice: DischargeAdvice, cmd: DischargeCommand) -> list[Task]:
        """Home visit (or acute team) the first working day after; and over non-working days,
        contact with the ward (no ambulatory appointment can be had) and, where staff judged it
        necessary, the acute team."""
        home = next(f for f in advice.follow_ups if f.kind in ("home_visit", "acute_team_follow_up"))
        kinds = [("home_visit" if home.kind == "home_visit" else "acute_team", home.due)]
        if advice.before_non_working_day:
            day_after = cmd.discharged_on + timedelta(days=1)
            kinds.append(("ward_contact", day_after))
            if cmd.acute_team_weekend:
                kinds.append(("acute_team_weekend", day_after))
        return [
            self._clinicians_task(kind, inpatient.FOLLOW_UP_TITLES[kind], due, mandatory=True) for kind, due in kinds
        ]

    async def _advice(self, on: date) -> DischargeAdvice:
        # A date the calendar cannot count from refuses the command (it is not retried).
        return await refusing(
            workflow.execute_activity(
                "discharge_advice",
                DischargeAdviceRequest(
                    admitted_on=self._in.admitted_on,
                    planned_date=on,
                    in_ambulatory_pathway=self._in.in_ambulatory_pathway,
                    region=self._in.region,
                ),
                result_type=DischargeAdvice,
                start_to_close_timeout=CALENDAR_TIMEOUT,
            )
        )

    # -- tasks --------------------------------------------------------------

    @command(lambda self, cmd: self._check_completion(cmd))
    async def complete_task(self, cmd: CompleteTaskCommand) -> StayResult:
        task = self._task(cmd.task_id)
        position = await self._close_task(cmd)
        if task is not None and task.kind in MEETING_TASKS:
            if cmd.outcome == "done":
                self.state.meetings_held.append(task.kind)
            elif cmd.note:
                self.state.meetings_not_held[task.kind] = cmd.note.strip()
        return self._done(position)

    def _check_completion(self, cmd: CompleteTaskCommand) -> None:
        self._check_task(cmd, "stay")

    # -- helpers ------------------------------------------------------------

    def _facts(self) -> set[str]:
        facts = set()
        if self._in.municipal_substance_treatment:
            facts.add("municipal_substance_treatment")
        if self._in.in_ambulatory_pathway:
            facts.add("ambulatory_pathway")
        today = copenhagen.local_date(workflow.now())
        if not workflow.patched(DISCHARGE_MEETING):
            facts.add("longer_admission" if (today - self._in.admitted_on).days >= 7 else "short_admission")
            return facts
        required = self._required_meeting(today)
        if not self._meeting_held(required):
            facts.add(MEETING_TASKS[required])
        return facts

    def _open_phase_tasks(self, phase: int) -> list[DomainEvent]:
        activities = tasks.applicable(
            load_catalogue(self._in.catalogue_version).mandatory("inpatient", phase), self._facts()
        )
        if consent.is_given(self.state.consents, "inform_municipal_treatment", self._in.municipality):
            activities = [a for a in activities if a.key != "consent_municipal_information"]
        return self._enter_phase(
            phase, activities, region=self._in.region, municipality=self._in.municipality, **self._whose()
        )

    def _whose(self) -> dict[str, str]:
        return {"pathway_id": self._in.pathway_id, "stay_id": self._in.stay_id}

    def _opened(self, t: Task) -> TaskOpened:
        return kit.task_opened(t, **self._whose())

    async def _inform_municipality(self, about: Literal["admission", "discharge"]) -> None:
        """Advise the municipality of the admission or discharge — only with consent."""
        if not self._in.municipal_substance_treatment:
            return
        if not consent.is_given(self.state.consents, "inform_municipal_treatment", self._in.municipality):
            await self._record(
                [
                    MunicipalityNotInformed(
                        stay_id=self._in.stay_id,
                        about=about,
                        reason="no consent to keep municipal substance treatment informed",
                    )
                ],
                Actor.engine(),
            )
            return
        key = str(workflow.uuid4())
        notice = Notice(
            idempotency_key=key,
            channel=about,
            recipient_org=f"municipality:{self._in.municipality}",
            subject=f"Indlæggelse: {about}",
            pathway_id=self._in.pathway_id,
            body=f"Forløb {self._in.pathway_id}: {'indlagt' if about == 'admission' else 'udskrevet'}.",
        )
        try:
            await workflow.execute_activity(
                "send_notice", notice, start_to_close_timeout=CALENDAR_TIMEOUT, retry_policy=NOTICE_RETRY
            )
        except ActivityError as exc:
            await self._record(
                [
                    MunicipalityNotInformed(
                        stay_id=self._in.stay_id,
                        about=about,
                        reason=validation.printable(f"the notice failed: {exc.cause}"),
                    )
                ],
                Actor.engine(),
            )
            return
        await self._record(
            [MunicipalityInformed(stay_id=self._in.stay_id, about=about, notice_key=key)], Actor.engine()
        )
        self.state.informed.add(about)

    def _pathway_workflow_id(self) -> str:
        """The pathway's workflow, whichever form its id has: the stay is its child."""
        parent = workflow.info().parent
        return parent.workflow_id if parent else workflow_ids.legacy("pathway", self._in.pathway_id)

    def _require_admitted(self) -> None:
        if self.state.status != "admitted":
            raise ApplicationError(f"the patient is not admitted (the stay is {self.state.status})", type="MoveRefused")

    def _done(self, position: int, **extra: Any) -> StayResult:
        self._changed = True
        self._tasks = self._open_tasks()
        self._publish()
        return StayResult(stay=self._view(), position=position, **extra)

    def _view(self) -> StayView:
        phase, admitted = self.state.phase, self.state.status == "admitted"
        return kit.from_fields(
            StayView,
            self._in,
            self.state,
            phase_name=inpatient.PHASE_NAMES[phase],
            allowed_moves=inpatient.allowed_moves(phase) if admitted else [],
            open_tasks=self._open_tasks(),
        )

    def _publish(self) -> None:
        open_ = self._open_tasks()
        due = min((t.due for t in open_), default=None)
        self._upsert(
            [
                sa.PATHWAY_KIND.value_set("inpatient"),
                sa.PHASE.value_set(str(self.state.phase) if self.state.status == "admitted" else self.state.status),
                sa.LEVEL_OF_CARE.value_set("inpatient"),
                sa.REGION.value_set(self._in.region),
                sa.MUNICIPALITY.value_set(self._in.municipality),
                sa.OVERDUE.value_set(any(t.overdue for t in open_)),
                sa.NEXT_DUE.value_set(copenhagen.midnight(due)) if due else sa.NEXT_DUE.value_unset(),
            ]
        )
