"""A referral (henvisning) waiting for visitation, as a durable process.

Id `referral-<region>-<referral_id>` (dualpath/workflow_ids.py), stream
`referral-<referral_id>`. The API assesses the referral with the pure rules
in `domain.referral_rules` and hands the workflow the outcome and the instants
of its timers (Copenhagen midnights, computed outside the sandbox).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dualpath import search_attributes as sa
    from dualpath import workflow_ids
    from dualpath.domain.ambulatory import LevelOfCare
    from dualpath.domain.events import (
        Actor,
        DomainEvent,
        ReferralAccepted,
        ReferralAttached,
        ReferralDeadlineApproaching,
        ReferralDeadlinePassed,
        ReferralDeclined,
        ReferralReceived,
        ReferralReleased,
        TaskCompleted,
        TaskOpened,
    )
    from dualpath.workflows import coordinated_course_messages as coordinated
    from dualpath.workflows import kit, pathway
    from dualpath.workflows.kit import command
    from dualpath.workflows.referral_messages import (
        DecisionCommand,
        DecisionResult,
        ReferralInput,
        ReferralState,
        ReferralStatus,
        ReferralView,
    )

__all__ = [
    "DecisionCommand",
    "DecisionResult",
    "ReferralInput",
    "ReferralState",
    "ReferralStatus",
    "ReferralView",
    "ReferralWorkflow",
    "stream_id",
    "workflow_id",
]

# `referral-<region>-<referral_id>` (without a region, `referral-<referral_id>`); stream `referral-<id>`.
workflow_id, stream_id = workflow_ids.referral, workflow_ids.referral_stream


@workflow.defn(name="ReferralWorkflow", failure_exception_types=[ValidationError])
class ReferralWorkflow(kit.Process):
    """A referral from receipt to psychiatry's decision (spec §1).

    - held until its target group opens: a durable timer releases it on the
      opening date, untouched by anyone;
    - the §82c start deadline: warns 3 days before and escalates when passed;
    Updates:
    - `decide(DecisionCommand) -> DecisionResult`: the visitation's decision;
      accept starts the pathway (a child workflow that outlives this one) — into an inpatient course
      (setting inpatient, with its admission) the pathway starts with its stay —
      decline sends the patient to coordinated treatment with a reason. Refused
      while held, when not eligible, or once decided (psychiatry's decision is final).
    Queries:
    - `view() -> ReferralView`.
    """

    @workflow.init
    def __init__(self, input: ReferralInput) -> None:
        super().__init__(stream_id(input.referral_id))
        self._in = input
        self.state = ReferralState(status=input.status)

    @property
    def inp(self) -> ReferralInput:
        return self._in

    @workflow.run
    async def run(self, input: ReferralInput) -> ReferralView:
        events: list[DomainEvent] = [ReferralReceived(**input.model_dump(include=set(ReferralReceived.model_fields)))]
        if input.status == "attached" and input.attach_to_pathway:
            self.state.pathway_id = input.attach_to_pathway
            events.append(ReferralAttached(referral_id=input.referral_id, pathway_id=input.attach_to_pathway))
        async with self._lock:
            await self._record(events, input.actor)
            self._ready = True
        self._publish()
        if self.state.status in ("not_eligible", "attached"):
            return self._view()

        if self.state.status == "held_until_phase_in":
            assert input.release_at is not None and input.group is not None
            await self._sleep_until(input.release_at)
            async with self._lock:
                await self._record(
                    [
                        ReferralReleased(
                            referral_id=input.referral_id,
                            group=input.group,
                            released_on=input.opens_on or input.received_on,
                        )
                    ],
                    Actor.engine(),
                )
                self.state.status = "awaiting_visitation"
            self._publish()

        await self._await_decision()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    async def _await_decision(self) -> None:
        """Wait for the decision, warning and escalating on the §82c deadline."""

        def decided() -> bool:
            return self.state.status in ("accepted", "declined")

        for at, kind in ((self.inp.warn_at, "warn"), (self.inp.deadline_at, "pass")):
            if at is None:
                continue
            if not await kit.wait_until(decided, at):
                async with self._lock:
                    if decided():
                        return
                    deadline = self.inp.start_deadline
                    assert deadline is not None
                    if kind == "warn":
                        await self._record(
                            [ReferralDeadlineApproaching(referral_id=self.inp.referral_id, start_deadline=deadline)],
                            Actor.engine(),
                        )
                        self.state.deadline_warned = True
                    else:
                        await self._escalate(deadline)
                self._publish()
            else:
                return
        await workflow.wait_condition(decided)

    async def _escalate(self, deadline: date) -> None:
        """§82c passed: an event, a task for the visitation's lead, and the Overdue attribute."""
        task_id = str(workflow.uuid4())
        await self._record(
            [
                ReferralDeadlinePassed(referral_id=self.inp.referral_id, start_deadline=deadline),
                TaskOpened(
                    task_id=task_id,
                    referral_id=self.inp.referral_id,
                    kind="referral_start_deadline",
                    title="Behandling ikke startet inden 14 dage (sundhedslovens § 82c)",
                    phase=None,
                    owner_role="visitation",
                    owner_org=f"region:{self.inp.region}",
                    due=deadline,
                    mandatory=True,
                ),
            ],
            Actor.engine(),
        )
        self.state.deadline_passed, self.state.escalation_task = True, task_id

    @workflow.query
    def view(self) -> ReferralView:
        return self._view()

    @command(lambda self, cmd: self._check_decision(cmd))
    async def decide(self, cmd: DecisionCommand) -> DecisionResult:
        if cmd.accept:
            pathway_id = str(workflow.uuid4())
            started = await pathway.start_as_child(
                pathway.new_state(
                    pathway_id,
                    self.inp.referral_id,
                    self.inp,
                    region=self.inp.region or "",
                    municipal_substance_treatment=self.inp.municipal_substance_treatment,
                    # Accepted into an inpatient course: the pathway starts with its stay (issue #18 item 4).
                    admit_at_start=cmd.admission if cmd.setting == "inpatient" else None,
                ),
                cmd.actor,
                "Ambulatory pathway (ambulant forløb)",
            )
            if not started:
                # Nothing written: the referral waits on, to be declined or accepted once that pathway ends.
                # (Which pathway is not said: the caller may not be one who may see it.)
                raise ApplicationError(
                    "the patient already has an active integrated pathway, and a patient has one at most: "
                    "this referral was not accepted and still awaits visitation; decline it, or accept it "
                    "once that pathway has ended",
                    type="DecisionRefused",
                )
            position = await self._record(
                [
                    ReferralAccepted(referral_id=self.inp.referral_id, pathway_id=pathway_id, setting=cmd.setting),
                    *self._close_escalation("accepted"),
                ],
                cmd.actor,
            )
            self.state.status, self.state.pathway_id = "accepted", pathway_id
        else:
            # The coordinated course that follows the decline (issue #18 item 9); its id drawn before the record.
            course_id = str(workflow.uuid4()) if workflow.patched(coordinated.COORDINATED_FOLLOW_UP) else None
            position = await self._record(
                [
                    ReferralDeclined(
                        referral_id=self.inp.referral_id,
                        reason=cmd.reason or "",
                        to_level=LevelOfCare.coordinated.value,
                        coordinated_course_id=course_id,
                    ),
                    *self._close_escalation("declined"),
                ],
                cmd.actor,
            )
            self.state.status = "declined"
            if course_id is not None:
                await self._follow_coordinated_course(course_id, cmd.actor)
        self._publish()
        return DecisionResult(referral=self._view(), position=position)

    def _check_decision(self, cmd: DecisionCommand) -> None:
        if self.state.status == "held_until_phase_in":
            raise ApplicationError(
                f"the referral is held until target group {self.inp.group} opens on "
                f"{self.inp.opens_on}: it comes to visitation then",
                type="DecisionRefused",
            )
        if self.state.status != "awaiting_visitation":
            raise ApplicationError(
                f"the referral is {self.state.status}: psychiatry's decision is final and is made once",
                type="DecisionRefused",
            )
        if cmd.accept and cmd.setting == "inpatient" and cmd.admission is None:
            raise ApplicationError(
                "accepting into an inpatient course needs the admission: admission {ward, via, admitted_on}",
                type="DecisionRefused",
            )
        if cmd.admission is not None and not (cmd.accept and cmd.setting == "inpatient"):
            raise ApplicationError(
                "an admission goes with accepting into an inpatient course only (accept true, setting "
                "inpatient): leave it out, or admit from the pathway later",
                type="DecisionRefused",
            )
        if not cmd.accept and not (cmd.reason and cmd.reason.strip()):
            raise ApplicationError("declining to coordinated treatment needs a reason", type="DecisionRefused")

    # -- helpers ------------------------------------------------------------

    async def _follow_coordinated_course(self, course_id: str, actor: Actor) -> None:
        """Start the coordinated course the decline sends the patient to. Shared with the municipality when it
        referred the patient itself (it awaits the answer); else the region follows it up alone."""
        await coordinated.start_as_child(
            kit.from_fields(
                coordinated.CourseInput,
                self.inp,
                course_id=course_id,
                origin="declined_referral",
                origin_id=self.inp.referral_id,
                shared_with_municipality=self.inp.source == "municipality",
                actor=actor,
            ),
            "Coordinated course after a declined referral",
        )
        self.state.coordinated_course_id = course_id

    def _close_escalation(self, decision: str) -> list[DomainEvent]:
        if self.state.escalation_task is None:
            return []
        return [TaskCompleted(task_id=self.state.escalation_task, outcome="done", note=f"referral {decision}")]

    async def _sleep_until(self, at: datetime) -> None:
        delay = at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)

    def _view(self) -> ReferralView:
        return kit.from_fields(ReferralView, self._in, self.state)

    def _publish(self) -> None:
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.PATHWAY_KIND.value_set("referral"),
            sa.REFERRAL_STATUS.value_set(self.state.status),
            sa.MUNICIPALITY.value_set(self.inp.municipality),
            sa.OVERDUE.value_set(self.state.deadline_passed and self.state.status == "awaiting_visitation"),
        ]
        if self.inp.region:
            attrs.append(sa.REGION.value_set(self.inp.region))
        if self.inp.group:
            attrs.append(sa.TARGET_GROUP.value_set(self.inp.group))
        if self.inp.deadline_at:
            attrs.append(sa.REFERRAL_DEADLINE.value_set(self.inp.deadline_at))
        self._upsert(attrs)
