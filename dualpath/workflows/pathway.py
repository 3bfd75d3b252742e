"""The ambulatory pathway (ambulant forløb) as a durable process: `PathwayWorkflow`.

One workflow per pathway, id `pathway-<region>-<pathway_id>` (dualpath/workflow_ids.py;
a pseudonym: never a CPR number or name). It is the only writer of its event
stream, `pathway-<pathway_id>`.

The pathway, phases 1–4 (spec §3), with its staff tasks and consents.

Entering a phase opens a task per mandatory activity of the catalogue version
the pathway started with; a phase is left only when its mandatory tasks are
closed (done, or not possible with a reason). An open task past its due date
is escalated (TaskOverdue, search attribute Overdue).

Updates (staff commands; a validator refuses an illegal one, writing nothing):
- `move_phase(MovePhaseCommand) -> CommandResult` (workflows/pathway_phases.py)
- `end_pathway(EndPathwayCommand) -> CommandResult`: planned closure from phase 4,
  or an unplanned end from any phase with a reason (workflows/pathway_phases.py)
- `complete_task(CompleteTaskCommand) -> CommandResult` (workflows/pathway_tasks.py)
- `record_consent(ConsentCommand) -> CommandResult`: given, refused or withdrawn;
  a dialogue consent closes the consent task; an admitted patient's stay is told at once
  (workflows/pathway_consents.py)
- `decide_level_of_care(LevelOfCareCommand) -> CommandResult`: a clinician sets the level (integrated,
  stable or unstable) on the patient's needs, with the reason (LevelOfCareChanged, decided;
  workflows/pathway_phases.py)
- `record_first_contact(FirstContactCommand) -> CommandResult`: the first treatment contact, once, in
  phase 1 (FirstTreatmentContact, within the §82c deadline or not); it closes the deadline's task
Timers: a pathway started from a referral keeps the §82c clock (domain/first_contact.py): 3 days before
the start deadline without a first contact it opens a task for its clinicians
(FirstContactDeadlineApproaching); when the deadline passes it escalates (FirstContactDeadlinePassed,
the task overdue, search attribute Overdue).
- `admit(AdmitCommand) -> AdmitResult`: starts the inpatient stay as a child workflow
  (`stay-<region>-<pathway_id>-<n>`); the level of care is inpatient until it signals discharge.
  A pathway whose state says `admit_at_start` (accepted into an inpatient course, or started by an
  acute admission) starts its first stay itself and records the admission in its opening
- `record_acute_contact(AcuteContactCommand) -> CommandResult`: a contact at the acute function without
  admission and its outcome (AcuteContactRecorded; workflows/pathway_acute.py)
- `record_medication_change(MedicationCommand) -> MedicationResult`: the change, and the FMK
  notice to the municipality where consent allows it (workflows/pathway_medication.py)
- `record_joint_plan(JointPlanCommand) -> CommandResult`: a joint plan made or revised outside a
  meeting (JointPlanRecorded; a revision names the latest version: workflows/pathway_joint_plans.py)
- `record_screening(ScreeningCommand) -> CommandResult`: an AUDIT or DUDIT screening, scored by the
  instrument's published rule (ScreeningRecorded; workflows/pathway_screening.py)
- `name_contact_person(ContactPersonCommand) -> CommandResult`: the named contact person from the staff
  register; the first closes the phase-1 task, a change needs its reason (ContactPersonNamed;
  workflows/pathway_contact_person.py)
- `assign_task(AssignTaskCommand) -> CommandResult`: an open task given to a named staff member (TaskAssigned;
  workflows/pathway_contact_person.py)
- `add_relative(RelativeCommand) -> CommandResult`, `remove_relative(RelativeCommand) -> CommandResult`: a
  relative on the pathway, by pseudonymous id and kind of relation only (RelativeAdded, RelativeRemoved;
  workflows/pathway_relatives.py)
Signals:
- `meeting_held(MeetingHeldSignal)`: closes the task the held meeting fulfils (workflows/pathway_tasks.py)
- `stay_discharged(StayDischarged)`: the stay's patient went home; the level returns
Queries:
- `view() -> PathwayView` (workflows/pathway_overview.py, with the search attributes)
The workflow continues-as-new with its whole state when Temporal suggests it,
after every in-flight handler has finished.

`PathwayWorkflow` holds only its start (`__init__`, `run`): its updates, signals and query are its
parts' (`PathwayParts`, workflows/pathway_parts.py). The worker's sandbox imports this module afresh
for every pathway it caches, and with it makes the class again; the parts it shares (dualpath/sandbox.py).
Hence also the class's short docstring: Python copies a class's docstring into each class it makes.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy

# The pathway's commands and messages are taken from here too (the imports `X as X` say so).
with workflow.unsafe.imports_passed_through():
    from dualpath import workflow_ids
    from dualpath.contracts.activities import PathwayClaim
    from dualpath.domain import copenhagen
    from dualpath.domain.events import Actor, PathwayFacts, PathwayStarted
    from dualpath.workflows.kit import CompleteTaskCommand as CompleteTaskCommand
    from dualpath.workflows.pathway_messages import CommandResult as CommandResult
    from dualpath.workflows.pathway_messages import ConsentCommand as ConsentCommand
    from dualpath.workflows.pathway_messages import EndPathwayCommand as EndPathwayCommand
    from dualpath.workflows.pathway_messages import MedicationCommand as MedicationCommand
    from dualpath.workflows.pathway_messages import MedicationResult as MedicationResult
    from dualpath.workflows.pathway_messages import NoticeOutcome as NoticeOutcome
    from dualpath.workflows.pathway_messages import PathwayInput, PathwayState, PathwayView
    from dualpath.workflows.pathway_messages import new_state as new_state
    from dualpath.workflows.pathway_parts import PathwayParts


# `pathway-<region>-<pathway_id>` (without a region, the legacy `pathway-<pathway_id>`); stream `pathway-<id>`.
workflow_id, stream_id = workflow_ids.pathway, workflow_ids.pathway_stream


# A patient has one active pathway at most: a pathway starts only once it holds the patient's
# claim (activities/pathway_claims.py), and gives it back when it ends. Behind a patch, so that
# histories recorded before it replay as they ran.
ONE_ACTIVE_PATHWAY = "one-active-pathway-per-patient"
CLAIM_TIMEOUT = timedelta(seconds=10)
CLAIM_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


async def start_as_child(state: PathwayState, actor: Actor, summary: str) -> bool:
    """Start a pathway from the workflow that admitted the patient (a referral's decision,
    a transition, a campaign's start date). The pathway lives for years and outlives its
    origin, so the origin's closing must not end it (ParentClosePolicy.ABANDON).

    False, and nothing started, when the patient already has an active pathway."""
    if workflow.patched(ONE_ACTIVE_PATHWAY):
        claimed = await workflow.execute_activity(
            "claim_pathway",
            PathwayClaim(patient_id=state.patient_id, pathway_id=state.pathway_id),
            result_type=bool,
            start_to_close_timeout=CLAIM_TIMEOUT,
            retry_policy=CLAIM_RETRY,
        )
        if not claimed:
            return False
    await workflow.start_child_workflow(
        PathwayWorkflow.run,
        PathwayInput(state=state, actor=actor),
        # Recorded histories started their pathways under the legacy id.
        id=workflow_id(
            state.pathway_id, state.region if workflow.patched(workflow_ids.REGION_IN_WORKFLOW_ID) else None
        ),
        parent_close_policy=ParentClosePolicy.ABANDON,
        static_summary=summary,
    )
    return True


# A payload that no longer decodes must fail the workflow loudly, not retry forever.
@workflow.defn(name="PathwayWorkflow", failure_exception_types=[ValidationError])
class PathwayWorkflow(PathwayParts):
    """The ambulatory pathway: its start and its main loop (the module's docstring says what it does)."""

    # @workflow.init: updates that arrive with the first task of a run (after
    # continue-as-new, typically) are handled before `run` starts, so the state
    # must exist from construction.
    @workflow.init
    def __init__(self, input: PathwayInput) -> None:
        super().__init__(stream_id(input.state.pathway_id), versioned=input.state)
        self.state = input.state
        self._clock: bool | None = None  # whether this run keeps the §82c clock (decided once: `_keeps_clock`)

    @workflow.run
    async def run(self, input: PathwayInput) -> PathwayView:
        if not self.state.started:
            async with self._lock:
                facts = self.state.model_dump(include=set(PathwayFacts.model_fields))
                started = PathwayStarted(**facts, phase=self.state.phase, level_of_care=str(self.state.level_of_care))
                opening = [started, *self._open_phase_tasks(self.state.phase)]
                # A pathway accepted late starts with its deadline's task (and escalation) in its opening.
                clock = self._clock_events() if self._keeps_clock() else []
                stay = await self._admission_at_start(input.actor)
                await self._record([*opening, *clock, *(stay[2] if stay else [])], input.actor)
                self.state.started = True
                self.state.started_on = copenhagen.local_date(workflow.now())
                self._clock_recorded(clock)
                if stay:
                    self._admitted(stay[0], stay[1])
                    self.state.admit_at_start = None
        self._publish()
        while not self._should_stop():
            if self._keeps_clock():
                await self._keep_clock()
            await self._wait_for_change_or_due(self._should_stop, until=self._next_clock_instant())
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status != "ended":
            workflow.continue_as_new(PathwayInput(state=self.state, actor=Actor.engine()))
        if workflow.patched(ONE_ACTIVE_PATHWAY):
            # Ended: the patient may be admitted to a pathway again.
            await workflow.execute_activity(
                "release_pathway",
                PathwayClaim(patient_id=self.state.patient_id, pathway_id=self.state.pathway_id),
                start_to_close_timeout=CLAIM_TIMEOUT,
                retry_policy=CLAIM_RETRY,
            )
        return self._view()
