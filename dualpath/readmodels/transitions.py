"""The `transitions` projection: cross-sector transitions (overgange), and how the API reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
from pydantic import BaseModel

from dualpath import workflow_ids
from dualpath.contracts.events import RecordedEvent
from dualpath.domain import transition_events as ev
from dualpath.domain.disclosure import CLINICAL, SHARED, shared_except
from dualpath.domain.events import DomainEvent
from dualpath.domain.transition import DialogueConsent
from dualpath.eventstore.store import Connection
from dualpath.readmodels import queries
from dualpath.readmodels.projection import FROM_JSON, ReadModel, Rows, Table, on, streams_of, to_jsonb

# -- the writer ---------------------------------------------------------------------


_TRANSITIONS = Table("rm_transitions", "transition_id", columns={"group": "target_group"})


def _shown(e: DomainEvent, at: RecordedEvent, *keys: str) -> str:
    """The event's fields worth showing, with who recorded them and when."""
    return to_jsonb(
        {
            **e.model_dump(mode="json", include=set(keys)),
            "recorded_by": at.metadata.get("actor"),
            "recorded_at": at.recorded_at.isoformat(),
        }
    )


# Where a transition ends: no step waits any more.
_NO_STEP: dict[str, object] = {"current_step": None, "step_due": None, "overdue": False}

# What changes the transition's row by plain assignments.
_PlainChange: TypeAlias = (
    ev.TransitionStepStarted
    | ev.TransitionStepOverdue
    | ev.TransitionAgreed
    | ev.TransitionDisagreed
    | ev.CollaborationMeetingHeld
    | ev.PsychiatryDecided
    | ev.WhoSaysWhatAgreed
    | ev.TransitionNetworkMeetingCalled
    | ev.TransitionPathwayClosed
)


def _plain_changes(e: _PlainChange, at: RecordedEvent) -> dict[str, object]:
    match e:
        case ev.TransitionStepStarted():
            return {"current_step": e.step, "step_due": e.due, "overdue": False}
        case ev.TransitionStepOverdue():
            return {"overdue": True}
        case ev.TransitionAgreed():
            return {"state": "agreed", "settled": e.on, "agreement": _shown(e, at, "on", "via", "note")}
        case ev.TransitionDisagreed():
            return {"state": "disagreed", "disagreement": _shown(e, at, "region_view", "municipality_view")}
        case ev.CollaborationMeetingHeld():
            meeting = _shown(e, at, "held_on", "attendees", "region_view", "municipality_view", "outcome")
            if e.outcome == "still_disagree":
                return {"state": "collaboration_meeting_held", "collaboration_meeting": meeting}
            return {"collaboration_meeting": meeting}  # TransitionAgreed follows in the same append
        case ev.PsychiatryDecided():
            return {
                "state": "psychiatry_decided",
                "settled": e.decision,
                "decision": _shown(e, at, "decision", "reason", "what_it_would_take"),
            }
        case ev.WhoSaysWhatAgreed():
            return {"state": "who_says_what_agreed", "who_says_what": _shown(e, at, "statements")}
        case ev.TransitionNetworkMeetingCalled():
            return {
                "state": "network_meeting_called",
                "network_meeting": _shown(e, at, "called_on", "participants", "relatives_invited"),
            }
        case ev.TransitionPathwayClosed():
            return {"state": "completed", "closure": "done", "completed_at": at.recorded_at, **_NO_STEP}


class TransitionsProjection(
    ReadModel, name="transitions", tables=("rm_transitions",), stream_prefix=streams_of(workflow_ids.transition_stream)
):
    @on(ev.TransitionReported)
    async def reported(self, conn: Connection, e: ev.TransitionReported, at: RecordedEvent) -> None:
        signs = to_jsonb(e.signs)
        await _TRANSITIONS.insert(
            conn, e, signs=signs, state="reported", reported_at=at.recorded_at, updated_at=at.recorded_at
        )

    changed = on(_PlainChange)(_TRANSITIONS.changes(_plain_changes))

    @on(ev.TransitionAssessed)
    async def assessed(self, conn: Connection, e: ev.TransitionAssessed, at: RecordedEvent) -> None:
        state = "state = CASE WHEN branch = 'dialogue' THEN 'assessed' ELSE 'assessed_alone' END"
        assessment = _shown(e, at, "assessment", "recommends_transition", "answer_to_municipality")
        await _TRANSITIONS.update(conn, e.transition_id, at, state, (), assessment=assessment)

    @on(ev.TransitionNetworkMeetingHeld)
    async def network_meeting_held(
        self, conn: Connection, e: ev.TransitionNetworkMeetingHeld, at: RecordedEvent
    ) -> None:
        held = to_jsonb(
            {**e.model_dump(mode="json", exclude={"transition_id"}), "held_recorded_by": at.metadata.get("actor")}
        )
        merge = "network_meeting = coalesce(network_meeting, '{}'::jsonb) || $3::jsonb"
        await _TRANSITIONS.update(conn, e.transition_id, at, merge, [held], state="network_meeting_held")

    @on(ev.PatientTalkRecorded)
    async def patient_talk(self, conn: Connection, e: ev.PatientTalkRecorded, at: RecordedEvent) -> None:
        talk = _shown(e, at, "held_on", "summary", "motivational_work", "patient_agrees")
        append = (
            "patient_talks = patient_talks || jsonb_build_array($3::jsonb), "
            "state = CASE WHEN branch = 'no_consent' THEN 'patient_talk_held' ELSE state END"
        )
        await _TRANSITIONS.update(conn, e.transition_id, at, append, [talk])

    @on(ev.TransitionCompleted)
    async def completed(self, conn: Connection, e: ev.TransitionCompleted, at: RecordedEvent) -> None:
        if e.closure == "awaited":
            # The closure step (TransitionStepStarted) follows in the same append.
            await _TRANSITIONS.update(
                conn, e.transition_id, at, state="closure_awaited", outcome=e.outcome, closure="awaited"
            )
            return
        await _TRANSITIONS.update(
            conn,
            e.transition_id,
            at,
            "pathway_id = coalesce($3, pathway_id)",
            [e.pathway_id],
            state="completed",
            outcome=e.outcome,
            closure=e.closure,
            held_until=e.held_until,
            completed_at=at.recorded_at,
            **_NO_STEP,
        )

    @on(ev.TransitionReleased)
    async def released(self, conn: Connection, e: ev.TransitionReleased, at: RecordedEvent) -> None:
        closure = "started" if e.pathway_id else "not_started"
        await _TRANSITIONS.update(conn, e.transition_id, at, pathway_id=e.pathway_id, closure=closure)


# -- the reader ---------------------------------------------------------------------


class TransitionRow(BaseModel):
    transition_id: str
    direction: str
    branch: str
    dialogue_consent: str
    region: str
    municipality: str
    reported_by: str
    signs: Annotated[list[str], SHARED, FROM_JSON]
    description: Annotated[str | None, SHARED]
    group: int | None
    reported_on: date
    state: str
    settled: str | None
    outcome: str | None
    current_step: str | None
    step_due: date | None
    overdue: bool
    pathway_id: str | None
    closure: str | None  # started | awaited | held (until held_until) | not_started | done
    held_until: date | None = None
    # The parties' shared record; psychiatry's own assessment text and its talks with the
    # patient are not shared (seed 002).
    assessment: Annotated[dict[str, Any] | None, shared_except("assessment"), FROM_JSON]
    agreement: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    disagreement: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    collaboration_meeting: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    decision: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    who_says_what: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    network_meeting: Annotated[dict[str, Any] | None, SHARED, FROM_JSON]
    patient_talks: Annotated[list[dict[str, Any]], CLINICAL, FROM_JSON]
    reported_at: datetime
    completed_at: datetime | None
    updated_at: datetime


_ROWS = Rows(TransitionRow, "rm_transitions", {"group": "target_group"})


async def transition(pool: asyncpg.Pool, transition_id: str) -> TransitionRow | None:
    return await _ROWS.one(pool, "transition_id = $1", transition_id)


async def transitions(
    pool: asyncpg.Pool,
    *,
    region: str | None,
    municipality: str | None,
    state: str | None,
    direction: str | None,
    limit: int,
    offset: int,
) -> list[TransitionRow]:
    """`municipality` set: only that municipality's transitions with dialogue consent (nothing else is shared);
    on a move back, only while the pathway's dialogue consent with it is given."""
    rest = """t WHERE ($1::text IS NULL OR region = $1)
              AND ($2::text IS NULL OR (municipality = $2 AND branch = 'dialogue' AND (
                   direction = 'to_integrated' OR EXISTS (
                       SELECT 1 FROM rm_consents c WHERE c.pathway_id = t.pathway_id AND c.scope = 'dialogue'
                       AND c.counterpart = $2 AND c.state = 'given'))))
              AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR direction = $4)
            ORDER BY reported_at DESC, transition_id LIMIT $5 OFFSET $6"""
    return await _ROWS.all(pool, rest, region, municipality, state, direction, limit, offset)


async def open_transition_for(pool: asyncpg.Pool, *, patient_id: str) -> str | None:
    """A transition for the patient that is not completed yet (one at a time)."""
    return await pool.fetchval(
        "SELECT transition_id FROM rm_transitions WHERE patient_id = $1 AND state <> 'completed' LIMIT 1", patient_id
    )


async def tasks(pool: asyncpg.Pool, transition_id: str) -> list[queries.TaskRow]:
    """The transition's worklist tasks (they carry the transition id as `referral_id`)."""
    return await queries.TASKS.all(pool, "WHERE referral_id = $1 ORDER BY opened_at, due, task_id", transition_id)


async def pathway_patient(pool: asyncpg.Pool, pathway_id: str) -> str | None:
    return await pool.fetchval("SELECT patient_id FROM rm_pathways WHERE pathway_id = $1", pathway_id)


async def dialogue_consent(pool: asyncpg.Pool, pathway_id: str, municipality: str) -> DialogueConsent:
    """The pathway's dialogue consent towards its municipality: given | refused (or withdrawn) | not_asked."""
    state = await pool.fetchval(
        "SELECT state FROM rm_consents WHERE pathway_id = $1 AND scope = 'dialogue' AND counterpart = $2",
        pathway_id,
        municipality,
    )
    if state is None:
        return "not_asked"
    return "given" if state == "given" else "refused"
