"""What the API reads: the patient register and the read models."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar

import asyncpg
from pydantic import BaseModel

from dualpath.domain.disclosure import CLINICAL, OWNER, REFERRER, SHARED
from dualpath.domain.events import ReferralRecord
from dualpath.readmodels.projection import FROM_JSON, Rows


async def register_patient(pool: asyncpg.Pool, cpr: str) -> str:
    """The patient's pseudonymous id, registering the CPR number on first sight."""
    patient_id = await pool.fetchval(
        """INSERT INTO patients (patient_id, cpr) VALUES ($1, $2)
           ON CONFLICT (cpr) DO UPDATE SET cpr = EXCLUDED.cpr RETURNING patient_id""",
        uuid.uuid4(),
        cpr,
    )
    return str(patient_id)


async def active_pathway_for(pool: asyncpg.Pool, patient_id: str, region: str | None = None) -> str | None:
    """The patient's active pathway (in `region`, when given)."""
    return await pool.fetchval(
        """SELECT pathway_id FROM rm_pathways WHERE patient_id = $1 AND status = 'active'
             AND ($2::text IS NULL OR region = $2) LIMIT 1""",
        patient_id,
        region,
    )


async def wait_for_row(pool: asyncpg.Pool, table: str, key: str, value: str, timeout: float = 10.0) -> bool:
    """Wait until a new process's first event has reached the read model."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await pool.fetchval(f"SELECT 1 FROM {table} WHERE {key} = $1", value):
            return True
        await asyncio.sleep(0.02)
    return False


class ReferralRow(ReferralRecord):
    reasons: Annotated[list[str], CLINICAL, FROM_JSON]
    pathway_id: str | None
    deadline_warned: bool
    deadline_passed: bool


_REFERRALS = Rows(ReferralRow, "rm_referrals", {"group": "target_group"})


async def referral(pool: asyncpg.Pool, referral_id: str) -> ReferralRow | None:
    return await _REFERRALS.one(pool, "referral_id = $1", referral_id)


async def referrals(pool: asyncpg.Pool, *, region: str, statuses: list[str], limit: int) -> list[ReferralRow]:
    """A region's referrals in `statuses`, the nearest start deadline first (held ones have theirs too)."""
    rest = """WHERE region = $1 AND status = ANY($2::text[])
              ORDER BY start_deadline NULLS LAST, received_on, referral_id LIMIT $3"""
    return await _REFERRALS.all(pool, rest, region, statuses, limit)


class ReferralAnswer(BaseModel):
    """A referral's answer as the organisation that sent it reads it (a general practice, its own):
    psychiatry's visitation accepted or declined it (a decline with its reason), and when treatment
    started — the pathway's start and its first treatment contact. Nothing of the pathway besides."""

    # A general practice reads only the rows its own practice sent (api/disclosure.py).
    disclosure_owner: ClassVar[str] = "referred_by"

    referral_id: str
    referred_by: str | None  # the organisation that sent it, e.g. practice:123456
    region: str | None
    group: int | None
    status: str
    received_on: date
    start_deadline: date | None
    opens_on: date | None
    decided_on: date | None
    decline_reason: Annotated[str | None, REFERRER]
    pathway_started_on: date | None
    treatment_started_on: date | None
    # Read by region staff only: the route judges visibility by it; the referrer reads no pathway.
    pathway_id: Annotated[str | None, CLINICAL]


_COPENHAGEN_DAY = "(({}) AT TIME ZONE 'Europe/Copenhagen')::date"
_ANSWERS = Rows(
    ReferralAnswer,
    # The pathway the referral started (not one it joined: that one began before the referral).
    "rm_referrals r LEFT JOIN rm_pathways p ON p.pathway_id = r.pathway_id AND r.status = 'accepted'",
    {
        "referral_id": "r.referral_id",
        "referred_by": "r.referred_by",
        "region": "r.region",
        "group": "r.target_group",
        "status": "r.status",
        "received_on": "r.received_on",
        "start_deadline": "r.start_deadline",
        "opens_on": "r.opens_on",
        "decided_on": _COPENHAGEN_DAY.format("r.decided_at"),
        "decline_reason": "r.decline_reason",
        "pathway_started_on": _COPENHAGEN_DAY.format("p.started_at"),
        "treatment_started_on": "p.first_contact_on",
        "pathway_id": "r.pathway_id",
    },
)


async def referral_answer(pool: asyncpg.Pool, referral_id: str) -> ReferralAnswer | None:
    return await _ANSWERS.one(pool, "r.referral_id = $1", referral_id)


async def referral_answers(pool: asyncpg.Pool, *, referred_by: str, limit: int, offset: int) -> list[ReferralAnswer]:
    """The answers to the referrals `referred_by` (an organisation) sent, the latest received first."""
    rest = "WHERE r.referred_by = $1 ORDER BY r.received_on DESC, r.referral_id LIMIT $2 OFFSET $3"
    return await _ANSWERS.all(pool, rest, referred_by, limit, offset)


class PathwayRow(BaseModel):
    pathway_id: str
    referral_id: str
    group: int | None
    region: str
    municipality: str
    kind: str
    phase: int
    level_of_care: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    updated_at: datetime
    catalogue_version: str
    # The §82c clock (None/False for a pathway without a referral's deadline, or started before the clock).
    received_on: date | None = None
    start_deadline: date | None = None
    first_contact_on: date | None = None
    first_contact_within_deadline: bool | None = None
    first_contact_warned: bool = False
    first_contact_deadline_passed: bool = False


_PATHWAYS = Rows(PathwayRow, "rm_pathways", {"group": "target_group"})


async def pathway(pool: asyncpg.Pool, pathway_id: str) -> PathwayRow | None:
    return await _PATHWAYS.one(pool, "pathway_id = $1", pathway_id)


async def pathways(
    pool: asyncpg.Pool,
    *,
    region: str | None,
    status: str | None,
    phase: int | None,
    limit: int,
    offset: int,
    shared_with: str | None = None,
) -> list[PathwayRow]:
    """Pathways by region, or (`shared_with` a municipality code) those whose dialogue consent
    with that municipality is given."""
    rest = """p WHERE ($1::text IS NULL OR region = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::int IS NULL OR phase = $3)
              AND ($6::text IS NULL OR EXISTS (
                  SELECT 1 FROM rm_consents c WHERE c.pathway_id = p.pathway_id AND c.scope = 'dialogue'
                    AND c.counterpart = $6 AND c.state = 'given'))
            ORDER BY started_at DESC, pathway_id LIMIT $4 OFFSET $5"""
    return await _PATHWAYS.all(pool, rest, region, status, phase, limit, offset, shared_with)


class TaskRow(BaseModel):
    # Municipal staff read their own organisation's tasks only (api/disclosure.py).
    disclosure_owner: ClassVar[str] = "owner_org"

    task_id: str
    pathway_id: str | None
    referral_id: str | None
    stay_id: str | None
    kind: str
    title: Annotated[str | None, OWNER]
    phase: int | None
    owner_role: str
    owner_org: str
    due: date
    mandatory: bool
    state: str
    overdue: bool
    note: Annotated[str | None, OWNER]
    opened_at: datetime
    closed_at: datetime | None


TASKS = Rows(TaskRow, "rm_tasks")


_DIALOGUE_GIVEN = """EXISTS (SELECT 1 FROM rm_consents c WHERE c.pathway_id = {pathway} AND c.scope = 'dialogue'
                                  AND c.counterpart = $6 AND c.state = 'given')"""


async def worklist(
    pool: asyncpg.Pool,
    *,
    org: str,
    role: str,
    kind: str | None,
    limit: int,
    offset: int,
    assigned_to: str | None = None,
    team: str | None = None,
) -> list[TaskRow]:
    # Municipal staff see a task only while they may see what it belongs to (api/access.py and
    # the transition and campaign routes' own rules): a pathway or a move back while the patient's
    # consent to dialogue with them is given; a transition reported with that consent; their
    # campaign; a coordinated course shared with them (api/routes/coordinated_courses.py).
    # Withdrawn consent takes the tasks off the list at once.
    # `assigned_to` (a subject): only the tasks given to that person ("mine"); `team`: those given to someone of
    # that team of the organisation (the staff register), and those given to no one yet ("my team's").
    municipality = org.partition(":")[2] if role == "municipality" else None
    rest = f"""t WHERE owner_org = $1 AND owner_role = $2 AND state = 'open' AND ($3::text IS NULL OR kind = $3)
              AND ($6::text IS NULL
                   OR (t.pathway_id IS NOT NULL AND {_DIALOGUE_GIVEN.format(pathway="t.pathway_id")})
                   OR (t.pathway_id IS NULL AND EXISTS (
                         SELECT 1 FROM rm_transitions tr WHERE tr.transition_id = t.referral_id
                            AND tr.branch = 'dialogue' AND tr.municipality = $6
                            AND (tr.direction = 'to_integrated' OR {_DIALOGUE_GIVEN.format(pathway="tr.pathway_id")})))
                   OR (t.pathway_id IS NULL AND EXISTS (
                         SELECT 1 FROM rm_campaigns cp WHERE cp.campaign_id = t.referral_id AND cp.municipality = $6))
                   OR (t.pathway_id IS NULL AND EXISTS (
                         SELECT 1 FROM rm_coordinated_courses cc WHERE cc.course_id = t.referral_id
                            AND cc.municipality = $6 AND cc.shared_with_municipality
                            AND (cc.pathway_id IS NULL OR {_DIALOGUE_GIVEN.format(pathway="cc.pathway_id")}))))
              AND ($7::text IS NULL
                   OR EXISTS (SELECT 1 FROM rm_task_assignments a WHERE a.task_id = t.task_id AND a.subject = $7))
              AND ($8::text IS NULL
                   OR NOT EXISTS (SELECT 1 FROM rm_task_assignments a WHERE a.task_id = t.task_id)
                   OR EXISTS (SELECT 1 FROM rm_task_assignments a JOIN rm_staff s ON s.subject = a.subject
                               WHERE a.task_id = t.task_id AND s.team = $8 AND s.organisation = $1))
            ORDER BY due, task_id LIMIT $4 OFFSET $5"""
    return await TASKS.all(pool, rest, org, role, kind, limit, offset, municipality, assigned_to, team)


async def pathway_tasks(pool: asyncpg.Pool, pathway_id: str) -> list[TaskRow]:
    return await TASKS.all(pool, "WHERE pathway_id = $1 ORDER BY opened_at, due, task_id", pathway_id)


class ConsentRow(BaseModel):
    scope: str
    counterpart: str
    state: str
    form: str
    recorded_by: Annotated[dict | None, SHARED, FROM_JSON]
    recorded_at: datetime


_CONSENTS = Rows(ConsentRow, "rm_consents")


async def pathway_consents(pool: asyncpg.Pool, pathway_id: str) -> list[ConsentRow]:
    return await _CONSENTS.all(pool, "WHERE pathway_id = $1 ORDER BY scope, counterpart", pathway_id)


async def task(pool: asyncpg.Pool, task_id: str) -> TaskRow | None:
    return await TASKS.one(pool, "task_id = $1", task_id)


class AccessRow(BaseModel):
    at: datetime
    subject: str
    role: str
    organisation: str
    action: str
    pathway_id: str | None
    legal_basis: str | None
    object_kind: str | None = None
    object_id: str | None = None
    outcome: str = "allowed"
    reason: str | None = None


_ACCESS_LOG = Rows(AccessRow, "access_log")


async def access_log(pool: asyncpg.Pool, *, pathway_id: str | None, subject: str | None, limit: int) -> list[AccessRow]:
    rest = (
        "WHERE ($1::text IS NULL OR pathway_id = $1) AND ($2::text IS NULL OR subject = $2) ORDER BY id DESC LIMIT $3"
    )
    return await _ACCESS_LOG.all(pool, rest, pathway_id, subject, limit)


class DisclosureRow(BaseModel):
    """What of a pathway was disclosed to one organisation outside psychiatry on one basis: its looks, first
    and last. `basis` is the code the logged `legal_basis` begins with (`consent`, `psychiatry_act_13a`, …)."""

    disclosure_owner: ClassVar[str] = "organisation"  # municipal staff read their own organisation's

    organisation: str
    basis: str
    legal_basis: str
    looks: int
    first_at: datetime
    last_at: datetime


async def disclosures(pool: asyncpg.Pool, pathway_id: str) -> list[DisclosureRow]:
    """The pathway's disclosures to municipal staff (allowed looks), per organisation and basis, latest first."""
    rows = await pool.fetch(
        """SELECT organisation, split_part(legal_basis, ':', 1) AS basis, legal_basis, count(*)::int AS looks,
                  min(at) AS first_at, max(at) AS last_at
           FROM access_log
           WHERE pathway_id = $1 AND role = 'municipality' AND outcome = 'allowed' AND legal_basis IS NOT NULL
           GROUP BY organisation, legal_basis ORDER BY max(at) DESC""",
        pathway_id,
    )
    return [DisclosureRow(**dict(r)) for r in rows]
