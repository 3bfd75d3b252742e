"""The `transitions` projection: cross-sector transitions (overgange), and how the API reads them."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, field_validator

from dualpath.domain.disclosure import CLINICAL, SHARED, shared_except
from dualpath.eventstore import RecordedEvent
from dualpath.readmodels import queries


class TransitionsProjection:
    name = "transitions"
    tables = ("rm_transitions",)

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None and event.stream_id.startswith("transition-"):
            await handler(conn, event.data, event)

    async def _on_TransitionReported(self, conn, d, e) -> None:
        await conn.execute(
            """INSERT INTO rm_transitions (transition_id, patient_id, direction, branch, dialogue_consent, region,
                   municipality, reported_by, signs, description, target_group, reported_on, state, pathway_id,
                   reported_at, updated_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10,$11,$12::text::date,'reported',$13,$14,$14)
               ON CONFLICT (transition_id) DO NOTHING""",
            d["transition_id"], d["patient_id"], d["direction"], d["branch"], d["dialogue_consent"], d["region"],
            d["municipality"], d["reported_by"], json.dumps(d["signs"]), d["description"], d["group"],
            d["reported_on"], d["pathway_id"], e.recorded_at,
        )

    async def _set(self, conn, d, e, sql: str = "", *args: Any, **fields: Any) -> None:
        """UPDATE the transition's row: `fields` as plain assignments, `sql` for expressions ($3… are `args`)."""
        n = 3 + len(args)
        cols = [f"{k} = ${i}" for i, k in enumerate(fields, start=n)]
        sets = ", ".join(["updated_at = $2", *([sql] if sql else []), *cols])
        await conn.execute(f"UPDATE rm_transitions SET {sets} WHERE transition_id = $1",
                           d["transition_id"], e.recorded_at, *args, *fields.values())

    async def _on_TransitionStepStarted(self, conn, d, e) -> None:
        await self._set(conn, d, e, current_step=d["step"], step_due=date.fromisoformat(d["due"]), overdue=False)

    async def _on_TransitionStepOverdue(self, conn, d, e) -> None:
        await self._set(conn, d, e, overdue=True)

    async def _on_TransitionAssessed(self, conn, d, e) -> None:
        await self._set(
            conn, d, e, "state = CASE WHEN branch = 'dialogue' THEN 'assessed' ELSE 'assessed_alone' END",
            assessment=_json(d, "assessment", "recommends_transition", "answer_to_municipality", by=e),
        )

    async def _on_TransitionAgreed(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="agreed", settled=d["on"],
                        agreement=_json(d, "on", "via", "note", by=e))

    async def _on_TransitionDisagreed(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="disagreed",
                        disagreement=_json(d, "region_view", "municipality_view", by=e))

    async def _on_CollaborationMeetingHeld(self, conn, d, e) -> None:
        meeting = _json(d, "held_on", "attendees", "region_view", "municipality_view", "outcome", by=e)
        if d["outcome"] == "still_disagree":
            await self._set(conn, d, e, state="collaboration_meeting_held", collaboration_meeting=meeting)
        else:  # TransitionAgreed follows in the same append
            await self._set(conn, d, e, collaboration_meeting=meeting)

    async def _on_PsychiatryDecided(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="psychiatry_decided", settled=d["decision"],
                        decision=_json(d, "decision", "reason", "what_it_would_take", by=e))

    async def _on_WhoSaysWhatAgreed(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="who_says_what_agreed", who_says_what=_json(d, "statements", by=e))

    async def _on_TransitionNetworkMeetingCalled(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="network_meeting_called",
                        network_meeting=_json(d, "called_on", "participants", "relatives_invited", by=e))

    async def _on_TransitionNetworkMeetingHeld(self, conn, d, e) -> None:
        held = {k: d[k] for k in ("held_on", "attendees", "relatives_present", "concrete_transition",
                                  "patient_agrees", "joint_plan")}
        await self._set(conn, d, e, "network_meeting = coalesce(network_meeting, '{}'::jsonb) || $3::jsonb",
                        json.dumps({**held, "held_recorded_by": e.metadata.get("actor")}),
                        state="network_meeting_held")

    async def _on_PatientTalkRecorded(self, conn, d, e) -> None:
        talk = _json(d, "held_on", "summary", "motivational_work", "patient_agrees", by=e)
        await self._set(
            conn, d, e,
            "patient_talks = patient_talks || jsonb_build_array($3::jsonb), "
            "state = CASE WHEN branch = 'no_consent' THEN 'patient_talk_held' ELSE state END",
            talk,
        )

    async def _on_TransitionCompleted(self, conn, d, e) -> None:
        if d["closure"] == "awaited":
            # The closure step (TransitionStepStarted) follows in the same append.
            await self._set(conn, d, e, state="closure_awaited", outcome=d["outcome"], closure="awaited")
            return
        await self._set(conn, d, e, "pathway_id = coalesce($3, pathway_id)", d["pathway_id"],
                        state="completed", outcome=d["outcome"], closure=d["closure"], completed_at=e.recorded_at,
                        current_step=None, step_due=None, overdue=False)

    async def _on_TransitionPathwayClosed(self, conn, d, e) -> None:
        await self._set(conn, d, e, state="completed", closure="done", completed_at=e.recorded_at,
                        current_step=None, step_due=None, overdue=False)


def _json(d: dict, *keys: str, by: RecordedEvent) -> str:
    """The event's fields worth showing, with who recorded them and when."""
    return json.dumps({**{k: d[k] for k in keys}, "recorded_by": by.metadata.get("actor"),
                       "recorded_at": by.recorded_at.isoformat()})


def _decode(v):
    return json.loads(v) if isinstance(v, str) else v


class TransitionRow(BaseModel):
    transition_id: str
    direction: str
    branch: str
    dialogue_consent: str
    region: str
    municipality: str
    reported_by: str
    signs: Annotated[list[str], SHARED]
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
    closure: str | None
    # The parties' shared record; psychiatry's own assessment text and its talks with the
    # patient are not shared (seed 002).
    assessment: Annotated[dict | None, shared_except("assessment")]
    agreement: Annotated[dict | None, SHARED]
    disagreement: Annotated[dict | None, SHARED]
    collaboration_meeting: Annotated[dict | None, SHARED]
    decision: Annotated[dict | None, SHARED]
    who_says_what: Annotated[dict | None, SHARED]
    network_meeting: Annotated[dict | None, SHARED]
    patient_talks: Annotated[list[dict], CLINICAL]
    reported_at: datetime
    completed_at: datetime | None
    updated_at: datetime

    @field_validator("signs", "assessment", "agreement", "disagreement", "collaboration_meeting", "decision",
                     "who_says_what", "network_meeting", "patient_talks", mode="before")
    @classmethod
    def _json(cls, v):
        return _decode(v)


_COLUMNS = """transition_id, direction, branch, dialogue_consent, region, municipality, reported_by, signs,
    description, target_group AS "group", reported_on, state, settled, outcome, current_step, step_due, overdue,
    pathway_id, closure, assessment, agreement, disagreement, collaboration_meeting, decision, who_says_what,
    network_meeting, patient_talks, reported_at, completed_at, updated_at"""


async def transition(pool: asyncpg.Pool, transition_id: str) -> TransitionRow | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM rm_transitions WHERE transition_id = $1", transition_id)
    return TransitionRow(**dict(row)) if row else None


async def transitions(
    pool: asyncpg.Pool, *, region: str | None, municipality: str | None, state: str | None, direction: str | None,
    limit: int, offset: int,
) -> list[TransitionRow]:
    """`municipality` set: only that municipality's transitions with dialogue consent (nothing else is shared);
    on a move back, only while the pathway's dialogue consent with it is given."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM rm_transitions t
            WHERE ($1::text IS NULL OR region = $1)
              AND ($2::text IS NULL OR (municipality = $2 AND branch = 'dialogue' AND (
                   direction = 'to_integrated' OR EXISTS (
                       SELECT 1 FROM rm_consents c WHERE c.pathway_id = t.pathway_id AND c.scope = 'dialogue'
                       AND c.counterpart = $2 AND c.state = 'given'))))
              AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR direction = $4)
            ORDER BY reported_at DESC, transition_id LIMIT $5 OFFSET $6""",
        region, municipality, state, direction, limit, offset,
    )
    return [TransitionRow(**dict(r)) for r in rows]


async def open_transition_for(pool: asyncpg.Pool, *, patient_id: str) -> str | None:
    """A transition for the patient that is not completed yet (one at a time)."""
    return await pool.fetchval(
        "SELECT transition_id FROM rm_transitions WHERE patient_id = $1 AND state <> 'completed' LIMIT 1",
        patient_id,
    )


async def tasks(pool: asyncpg.Pool, transition_id: str) -> list[queries.TaskRow]:
    """The transition's worklist tasks (they carry the transition id as `referral_id`)."""
    rows = await pool.fetch(
        """SELECT task_id, pathway_id, referral_id, stay_id, kind, title, phase, owner_role, owner_org, due,
                  mandatory, state, overdue, note, opened_at, closed_at
           FROM rm_tasks WHERE referral_id = $1 ORDER BY opened_at, due, task_id""",
        transition_id,
    )
    return [queries.TaskRow(**dict(r)) for r in rows]


async def pathway_patient(pool: asyncpg.Pool, pathway_id: str) -> str | None:
    return await pool.fetchval("SELECT patient_id FROM rm_pathways WHERE pathway_id = $1", pathway_id)


async def dialogue_consent(pool: asyncpg.Pool, pathway_id: str, municipality: str) -> str:
    """The pathway's dialogue consent towards its municipality: given | refused (or withdrawn) | not_asked."""
    state = await pool.fetchval(
        "SELECT state FROM rm_consents WHERE pathway_id = $1 AND scope = 'dialogue' AND counterpart = $2",
        pathway_id, municipality,
    )
    if state is None:
        return "not_asked"
    return "given" if state == "given" else "refused"
