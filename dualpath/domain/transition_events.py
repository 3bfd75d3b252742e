"""Domain events of a transition's stream `transition-<transition_id>` (spec §5, seed 002).

Each carries `transition_id`. The stream also holds TaskOpened / TaskCompleted /
TaskCancelled / TaskOverdue for the steps' worklist tasks (their `referral_id` is
the transition id), and JointPlanRecorded for the pathway the joint plan belongs to.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dualpath.domain.events import DomainEvent
from dualpath.domain.meetings import Participant


class TransitionReported(DomainEvent):
    transition_id: str
    direction: str  # to_integrated | to_coordinated
    branch: str  # dialogue | no_consent
    patient_id: str
    pathway_id: str | None  # the integrated pathway a move back starts from
    region: str
    municipality: str
    reported_by: str  # region | municipality
    signs: list[str]
    description: str | None
    dialogue_consent: str  # given | refused | not_asked
    group: int | None
    reported_on: date


class TransitionStepStarted(DomainEvent):
    """The step the transition now waits for, its owner and due date (with a TaskOpened for the worklist)."""

    transition_id: str
    step: str
    owner_org: str
    task_id: str
    due: date


class TransitionStepOverdue(DomainEvent):
    transition_id: str
    step: str
    due: date


class TransitionAssessed(DomainEvent):
    """The region's immediate assessment; `answer_to_municipality` is None without dialogue consent."""

    transition_id: str
    assessment: str
    recommends_transition: bool
    answer_to_municipality: str | None


class TransitionAgreed(DomainEvent):
    transition_id: str
    on: str  # transition | no_transition
    via: str  # assessment | collaboration_meeting
    note: str | None


class TransitionDisagreed(DomainEvent):
    transition_id: str
    region_view: str
    municipality_view: str


class CollaborationMeetingHeld(DomainEvent):
    """The samarbejdsmøde, without the patient."""

    transition_id: str
    held_on: date
    attendees: list[Participant]
    region_view: str
    municipality_view: str
    outcome: str  # agree | still_disagree


class PsychiatryDecided(DomainEvent):
    transition_id: str
    decision: str  # transition | no_transition
    reason: str
    what_it_would_take: str | None


class WhoSaysWhatAgreed(DomainEvent):
    transition_id: str
    statements: list[dict[str, str]]  # [{"party": "region" | "municipality", "says": "..."}]


class TransitionNetworkMeetingCalled(DomainEvent):
    transition_id: str
    called_on: date
    participants: list[Participant]
    relatives_invited: bool


class TransitionNetworkMeetingHeld(DomainEvent):
    """The netværksmøde with the patient decided the concrete transition; the joint plan is made or revised."""

    transition_id: str
    held_on: date
    attendees: list[Participant]
    relatives_present: bool
    concrete_transition: str
    patient_agrees: bool
    joint_plan: dict[str, Any] | None  # {"kind", "summary", "agreed_by"}


class PatientTalkRecorded(DomainEvent):
    """Psychiatry's talk with the patient, including the motivational work."""

    transition_id: str
    held_on: date
    summary: str
    motivational_work: str
    patient_agrees: bool


class TransitionCompleted(DomainEvent):
    """The transition's decision is carried out.

    `closure`: `started` — the integrated pathway `pathway_id` has started;
    `awaited` — the integrated pathway `pathway_id` is to close with its bridging plan;
    `held` — the pathway starts when its target group opens in the region (`held_until`), as a held
    referral is released (TransitionReleased then);
    None — the patient does not move.
    """

    transition_id: str
    outcome: str  # transition | no_transition
    pathway_id: str | None
    closure: str | None
    note: str | None
    held_until: date | None = None


class TransitionReleased(DomainEvent):
    """A transition held until its target group opened: the integrated pathway started on the opening day
    (`pathway_id`), or could not (`pathway_id` None, the reason in `note`: the patient has one already)."""

    transition_id: str
    pathway_id: str | None
    released_on: date
    note: str | None = None


class TransitionPathwayClosed(DomainEvent):
    """The integrated pathway a move back started from has ended: the transition is complete."""

    transition_id: str
    pathway_id: str
    reason_kind: str
