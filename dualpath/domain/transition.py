"""From coordinated to integrated treatment, and back (spec §5, seed 002 Nordjylland): pure rules.

A transition (overgang) starts when either side reports a worsening for a patient
in coordinated treatment, or when psychiatry proposes a move back from integrated
to coordinated treatment. The flow, and its exclusive gateway:

    reported ─assess─▶ assessed ─record_agreement──▶ agreed ──────────────┐
                               └record_disagreement▶ disagreed            │
                                  └record_collaboration_meeting           │
                                     ├ agree ─▶ agreed ───────────────────┤
                                     └ still_disagree ─▶ collaboration_meeting_held
                                          └psychiatry_decides─▶ psychiatry_decided
    agreed / psychiatry_decided on a transition:
        ─record_who_says_what▶ who_says_what_agreed ─call_network_meeting▶ network_meeting_called
        ─record_network_meeting▶ network_meeting_held ─complete▶ completed | closure_awaited
    agreed / psychiatry_decided on no transition ─complete▶ completed

Without the patient's consent to dialogue between the sectors (no-consent branch):

    reported ─assess▶ assessed_alone ─record_patient_talk▶ patient_talk_held ─complete▶ …

`closure_awaited` (back to coordinated): the decision is taken; the integrated
pathway closes through its own phase-4 tasks (bridging plan) and `end_pathway`,
and the transition completes when that pathway has ended.

Principle 3 of seed 002 is enforced here: the patient is not involved before the
parties agree, and without consent nothing is shared with the municipality. The
workflow's validators and the API refuse with the words below.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from dualpath.domain import transition_records as records
from dualpath.domain.transition_records import Outcome, Party

Direction = Literal["to_integrated", "to_coordinated"]
Branch = Literal["dialogue", "no_consent"]
DialogueConsent = Literal["given", "refused", "not_asked"]
Sign = Literal["missed_attendance", "no_progress_towards_goal", "crisis", "other"]
State = Literal[
    "reported",
    "assessed",
    "agreed",
    "disagreed",
    "collaboration_meeting_held",
    "psychiatry_decided",
    "who_says_what_agreed",
    "network_meeting_called",
    "network_meeting_held",
    "assessed_alone",
    "patient_talk_held",
    "closure_awaited",
    "completed",
]
Step = Literal[
    "assessment",
    "agreement",
    "collaboration_meeting",
    "psychiatry_decision",
    "who_says_what",
    "network_meeting",
    "patient_talk",
    "completion",
    "closure",
]
# The steps of the dialogue between the sectors: none of them without the patient's dialogue consent.
DialogueCommand = Literal[
    "record_agreement",
    "record_disagreement",
    "record_collaboration_meeting",
    "psychiatry_decides",
    "record_who_says_what",
    "call_network_meeting",
    "record_network_meeting",
]
Command = Literal["assess", DialogueCommand, "record_patient_talk", "complete", "add_task", "complete_task"]

SIGN_DESCRIPTIONS: dict[str, str] = {
    "missed_attendance": "missed attendance at municipal substance treatment (manglende fremmøde)",
    "no_progress_towards_goal": "no progress towards a realistic goal set with the patient (manglende progression)",
    "crisis": "a crisis in the patient's life (krise)",
    "other": "another sign of worsening (described)",
}

# Working days (hverdage) from the day a step starts to its due date; a setting
# (DUALPATH_TRANSITION_STEP_DUE_DAYS), steps left out keep these. The dialogue
# must not delay the transition (seed 002): every step has one.
DEFAULT_STEP_DUE_DAYS: dict[str, int] = {
    "assessment": 2,
    "agreement": 5,
    "collaboration_meeting": 10,
    "psychiatry_decision": 5,
    "who_says_what": 3,
    "network_meeting": 10,
    "patient_talk": 10,
    "completion": 5,
    "closure": 30,
}

STEP_TITLES: dict[str, str] = {
    "assessment": "Umiddelbar vurdering af behovet (visitationsret) og svar til kommunen",
    "agreement": "Svar på regionens vurdering: enighed eller uenighed om overgangen",
    "collaboration_meeting": "Samarbejdsmøde uden patienten, hvor begge perspektiver høres",
    "psychiatry_decision": "Psykiatrien afgør og beskriver, hvad der skal til for et integreret forløb",
    "who_says_what": "Aftal hvem siger hvad til patienten før netværksmødet",
    "network_meeting": "Netværksmøde med patienten (og evt. pårørende) om den konkrete overgang",
    "patient_talk": "Psykiatrien drøfter forløbet med patienten, herunder motivationsarbejdet",
    "completion": "Afslut overgangen: fælles plan og forløbet flyttes",
    "closure": "Det integrerede forløb afsluttes med plan for brobygning (fase 4)",
}

# Psychiatry's own steps: the visitation right (seed 002, principle 3).
REGION_ONLY: frozenset[str] = frozenset({"assess", "psychiatry_decides", "record_patient_talk", "complete"})
# Steps that reach the patient.
PATIENT_FACING: frozenset[str] = frozenset({"call_network_meeting", "record_network_meeting", "record_patient_talk"})

# After this state the parties have settled whether the patient moves.
_SETTLED: frozenset[str] = frozenset({"agreed", "psychiatry_decided"})
_PREPARING: frozenset[str] = frozenset({"who_says_what_agreed", "network_meeting_called", "network_meeting_held"})
_BEFORE_AGREEMENT: frozenset[str] = frozenset({"reported", "assessed", "disagreed", "collaboration_meeting_held"})


class TransitionRefused(ValueError):
    """An illegal step; `allowed` names the steps that are legal now."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


def step_due_days(configured: dict[str, int] | None = None) -> dict[str, int]:
    """Every step's due days: the configured ones over the defaults; refuses unknown steps and odd numbers."""
    configured = configured or {}
    unknown = sorted(set(configured) - set(DEFAULT_STEP_DUE_DAYS))
    if unknown:
        raise ValueError(
            f"transition_step_due_days names unknown steps {unknown}; known: {', '.join(DEFAULT_STEP_DUE_DAYS)}"
        )
    for step, days in configured.items():
        if not isinstance(days, int) or not 0 <= days <= 120:
            raise ValueError(f"transition_step_due_days[{step!r}] must be 0–120 working days, got {days!r}")
    return {**DEFAULT_STEP_DUE_DAYS, **configured}


def branch_for(consent: DialogueConsent) -> Branch:
    """Only a given consent opens the dialogue between the sectors; refused or not asked is the no-consent branch."""
    return "dialogue" if consent == "given" else "no_consent"


class Situation(BaseModel):
    """What the rules need to know about a transition to judge a step."""

    model_config = ConfigDict(frozen=True)
    direction: Direction
    branch: Branch
    state: State
    # What the parties agreed (or psychiatry decided); None until then.
    settled: Outcome | None = None
    # The region's assessment; None until assessed.
    recommends_transition: bool | None = None


def current_step(s: Situation) -> Step | None:
    """The step the transition waits for now (it has a due date and an owner)."""
    if s.state in _SETTLED:
        return "who_says_what" if s.settled == "transition" else "completion"
    steps: dict[str, Step] = {
        "reported": "assessment",
        "assessed": "agreement",
        "disagreed": "collaboration_meeting",
        "collaboration_meeting_held": "psychiatry_decision",
        "who_says_what_agreed": "network_meeting",
        "network_meeting_called": "network_meeting",
        "network_meeting_held": "completion",
        "assessed_alone": "patient_talk",
        "patient_talk_held": "completion",
        "closure_awaited": "closure",
    }
    return steps.get(s.state)


def step_owner(step: Step, direction: Direction) -> tuple[Party, str]:
    """(side, role) owning a step's task on the worklist."""
    if step == "agreement":
        return "municipality", "municipality"
    if step in ("assessment", "psychiatry_decision") and direction == "to_integrated":
        return "region", "visitation"
    return "region", "clinician"


def patient_may_be_involved(s: Situation) -> bool:
    """Principle 3: not before the parties agree (or, after the collaboration meeting, psychiatry has
    decided); in the no-consent branch psychiatry owns the talk once it has assessed."""
    if s.branch == "no_consent":
        return s.state not in ("reported", "completed", "closure_awaited")
    return (s.state in _SETTLED and s.settled == "transition") or s.state in _PREPARING


def allowed_commands(s: Situation) -> list[str]:
    if s.state in ("completed", "closure_awaited"):
        return []
    if s.branch == "no_consent":
        steps = {"reported": ["assess"], "assessed_alone": ["record_patient_talk"], "patient_talk_held": ["complete"]}[
            s.state
        ]
    elif s.state in _SETTLED:
        steps = ["record_who_says_what", "record_patient_talk"] if s.settled == "transition" else ["complete"]
    else:
        steps = {
            "reported": ["assess"],
            "assessed": ["record_agreement", "record_disagreement"],
            "disagreed": ["record_collaboration_meeting"],
            "collaboration_meeting_held": ["psychiatry_decides"],
            "who_says_what_agreed": ["record_who_says_what", "call_network_meeting", "record_patient_talk"],
            "network_meeting_called": ["record_network_meeting", "record_patient_talk"],
            "network_meeting_held": ["complete", "record_patient_talk"],
        }[s.state]
    return [*steps, "add_task", "complete_task"]


# -- refusals ---------------------------------------------------------------


def _not_yet(s: Situation, what: str) -> str:
    if s.branch == "no_consent":
        return (
            f"without consent to dialogue psychiatry owns the talk with the patient, after its own assessment: "
            f"{what} waits until the assessment is recorded; the transition is {s.state}"
        )
    return (
        f"the patient is not involved before the parties agree (seed 002, principle 3): {what} waits until "
        f"agreement on the transition is recorded; the transition is {s.state}, next: "
        f"{', '.join(c for c in allowed_commands(s) if c not in ('add_task', 'complete_task')) or 'nothing'}"
    )


NO_CONSENT_SHARING = (
    "the patient has not consented to dialogue between municipality and region: nothing is shared with the "
    "municipality; psychiatry assesses alone and owns the talk with the patient, including the motivational work"
)


def check_command(s: Situation, command: Command) -> None:
    """Refuse a step the transition cannot take now, saying why and what is allowed."""
    allowed = allowed_commands(s)
    if s.state in ("completed", "closure_awaited"):
        why = (
            "the transition is completed: it takes no further steps"
            if s.state == "completed"
            else "the move back to coordinated treatment is decided: the integrated pathway now closes through its "
            "own phase-4 tasks (bridging plan) and its end; the transition completes when the pathway has ended"
        )
        raise TransitionRefused(why, [])
    if command in allowed:
        return
    if s.branch == "no_consent" and command in get_args(DialogueCommand):
        raise TransitionRefused(
            f"{command} is a step of the dialogue between the sectors; {NO_CONSENT_SHARING}", allowed
        )
    if command in PATIENT_FACING and not patient_may_be_involved(s):
        what = {
            "call_network_meeting": "calling the network meeting",
            "record_network_meeting": "the network meeting",
            "record_patient_talk": "a talk with the patient",
        }
        raise TransitionRefused(_not_yet(s, what[command]), allowed)
    if command == "record_who_says_what" and s.state in _BEFORE_AGREEMENT:
        raise TransitionRefused(
            "who says what to the patient is agreed once the parties agree on the transition; the transition is "
            f"{s.state}",
            allowed,
        )
    if command in ("call_network_meeting", "record_network_meeting") and s.state in _SETTLED:
        raise TransitionRefused(
            "before the network meeting the parties record who says what to the patient (record_who_says_what)", allowed
        )
    if command == "record_network_meeting" and s.state == "who_says_what_agreed":
        raise TransitionRefused("call the network meeting before recording it as held", allowed)
    if (
        command == "complete"
        and s.settled == "transition"
        and s.state in _SETTLED | {"who_says_what_agreed", "network_meeting_called"}
    ):
        raise TransitionRefused(
            "the transition completes after the network meeting has decided the concrete transition and the joint "
            "plan is made or revised",
            allowed,
        )
    raise TransitionRefused(f"the transition is {s.state}: {command} is not a step it can take now", allowed)


def _required(value: str | None, what: str, allowed: list[str]) -> None:
    if not (value and value.strip()):
        raise TransitionRefused(f"{what} is required", allowed)


def _held(held_on: date, today: date, after: date | None, what: str, allowed: list[str]) -> None:
    if held_on > today:
        raise TransitionRefused(f"{held_on} is in the future: record the {what} once it has been held", allowed)
    if after is not None and held_on < after:
        raise TransitionRefused(f"the {what} cannot have been held on {held_on}, before {after}", allowed)


_PATIENT_ROLES = {"patient", "relative", "relatives", "pårørende", "patient's relative"}


def check_assessment(s: Situation, a: records.Assessment) -> None:
    check_command(s, "assess")
    allowed = allowed_commands(s)
    _required(a.assessment, "the assessment", allowed)
    if s.branch == "no_consent" and a.answer_to_municipality is not None:
        raise TransitionRefused(f"no answer goes to the municipality: {NO_CONSENT_SHARING}", allowed)
    if s.branch == "dialogue":
        _required(
            a.answer_to_municipality, "the answer to the municipality (the region's immediate assessment)", allowed
        )


def check_agreement(s: Situation, a: records.Agreement) -> None:
    check_command(s, "record_agreement")


def check_disagreement(s: Situation, d: records.Disagreement) -> None:
    check_command(s, "record_disagreement")
    _both_views(d, allowed_commands(s))


def _both_views(d: records.Disagreement | records.CollaborationMeeting, allowed: list[str]) -> None:
    """The disagreement is on the record with each side's view."""
    _required(d.region_view, "the region's view", allowed)
    _required(d.municipality_view, "the municipality's view", allowed)


def check_collaboration_meeting(
    s: Situation, m: records.CollaborationMeeting, *, today: date, reported_on: date
) -> None:
    check_command(s, "record_collaboration_meeting")
    allowed = allowed_commands(s)
    _held(m.held_on, today, reported_on, "collaboration meeting", allowed)
    _both_views(m, allowed)
    if any(p.role.strip().lower() in _PATIENT_ROLES for p in m.attendees):
        raise TransitionRefused(
            "a collaboration meeting (samarbejdsmøde) is held without the patient and relatives: the patient is "
            "not involved before the parties agree (seed 002, principle 3)",
            allowed,
        )


def check_decision(s: Situation, d: records.PsychiatryDecision) -> None:
    check_command(s, "psychiatry_decides")
    allowed = allowed_commands(s)
    _required(d.reason, "the reason for psychiatry's decision", allowed)
    if d.decision == "no_transition" and s.direction == "to_integrated":
        _required(
            d.what_it_would_take,
            "what it would take for the patient to enter the integrated pathway (what_it_would_take)",
            allowed,
        )


def check_who_says_what(s: Situation, w: records.WhoSaysWhat) -> None:
    check_command(s, "record_who_says_what")
    allowed = allowed_commands(s)
    for st in w.statements:
        _required(st.says, f"what the {st.party} says", allowed)
    missing = {"region", "municipality"} - {st.party for st in w.statements}
    if missing:
        raise TransitionRefused(
            f"motivating the patient is both parties' task: record what the {' and '.join(sorted(missing))} says too",
            allowed,
        )


def check_call(s: Situation, c: records.NetworkMeetingCall, *, today: date) -> None:
    check_command(s, "call_network_meeting")
    if c.called_on > today:
        raise TransitionRefused(
            f"{c.called_on} is in the future: a meeting is called on the day it is called", allowed_commands(s)
        )


def check_network_meeting(s: Situation, m: records.NetworkMeetingHeld, *, today: date, called_on: date | None) -> None:
    check_command(s, "record_network_meeting")
    allowed = allowed_commands(s)
    _held(m.held_on, today, called_on, "network meeting", allowed)
    _required(m.concrete_transition, "the concrete transition the meeting decided", allowed)
    if m.patient_agrees and m.joint_plan is None:
        raise TransitionRefused(
            "a joint plan is made or revised at the network meeting (udskrivningsaftale, koordinationsplan or "
            "koordinerende indsatsplan): give joint_plan",
            allowed,
        )
    if m.joint_plan is not None:
        _required(m.joint_plan.summary, f"the {m.joint_plan.kind}'s summary", allowed)
        if not m.joint_plan.agreed_by:
            raise TransitionRefused(f"the {m.joint_plan.kind} needs who agreed to it (agreed_by)", allowed)


def check_patient_talk(s: Situation, t: records.PatientTalk, *, today: date, reported_on: date) -> None:
    check_command(s, "record_patient_talk")
    allowed = allowed_commands(s)
    _held(t.held_on, today, reported_on, "talk with the patient", allowed)
    _required(t.summary, "a summary of the talk", allowed)
    _required(t.motivational_work, "the motivational work done", allowed)


def check_complete(s: Situation) -> None:
    check_command(s, "complete")


def check_new_task(s: Situation, t: records.NewTask) -> None:
    check_command(s, "add_task")
    allowed = allowed_commands(s)
    _required(t.title, "the task's title", allowed)
    if t.owner == "municipality" and s.branch == "no_consent":
        raise TransitionRefused(f"no task goes to the municipality: {NO_CONSENT_SHARING}", allowed)
    if t.involves_patient and not patient_may_be_involved(s):
        raise TransitionRefused(_not_yet(s, "a task addressed to the patient"), allowed)


def outcome_at_completion(s: Situation, *, patient_agrees: bool | None) -> Outcome:
    """Whether the patient moves: what the parties settled (or psychiatry decided), and, at the network
    meeting or psychiatry's talk, whether the patient agreed."""
    if s.branch == "no_consent":
        return "transition" if s.recommends_transition and patient_agrees else "no_transition"
    if s.settled == "no_transition":
        return "no_transition"
    return "transition" if patient_agrees else "no_transition"
