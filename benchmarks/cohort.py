"""A synthetic national cohort, loaded straight into the event store and the read models.

Driving 9,200 pathways through Temporal would take far longer than a benchmark run on two
cores, and the list queries only read the read models; so the cohort is generated here and
bulk-loaded (COPY) in one transaction:

- `events`: each pathway's real event sequence — its referral stream (ReferralReceived,
  ReferralAccepted) and its pathway stream (PathwayStarted, TaskOpened per mandatory activity of
  each phase entered, ConsentRecorded, TaskCompleted, TaskOverdue, PhaseChanged,
  LevelOfCareChanged, PathwayEnded, TaskCancelled), built with the domain's event classes, in
  time order, with metadata as the workflows write it;
- `rm_referrals`, `rm_pathways`, `rm_tasks`, `rm_consents`: the rows the `pathways` and `tasks`
  projections make of exactly those events (`verify()` checks this against the real projections);
- `patients`: a register row per patient (a synthetic CPR number of valid form);
- `projection_checkpoints`: moved past the loaded events in the same transaction, so the
  running projections do not apply them a second time.

The load waits for a quiet moment (no append in flight, every projection caught up) and holds
the positions' lock while it runs, so no live event can be skipped.

Distributions (seeded, so every run loads the same cohort):
- regions by share of the national target group (Hovedstaden 32 %, Midtjylland 21.5 %,
  Syddanmark 21 %, Sjælland 15 %, Nordjylland 10.5 %), municipalities uniform within a region;
- target groups 1/2/3 as 4,600/4,000/700 of 9,300;
- started over the last two years; 12 % ended (70 % of those by planned closure from phase 4);
- open pathways in phase 1/2/3/4: 15/35/40/10 %, reached by a walk through the phase table;
- in the current phase each task is still open with probability 0.6 (overdue when past due);
  closed tasks are done, or (10 %) not possible with a reason;
- dialogue consent given in phase 1 for 90 % (5 % later withdrawn); 50 % also consent to keep
  municipal substance treatment informed.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from dualpath.domain import ambulatory, municipalities, referral_rules
from dualpath.domain.catalogue import CURRENT_VERSION, load_catalogue
from dualpath.domain.events import (
    ConsentRecorded,
    DomainEvent,
    LevelOfCareChanged,
    PathwayEnded,
    PathwayStarted,
    PhaseChanged,
    ReferralAccepted,
    ReferralReceived,
    TaskCancelled,
    TaskCompleted,
    TaskOpened,
    TaskOverdue,
)
from dualpath.eventstore.projections import _ensure_checkpoints, _lock_checkpoints
from dualpath.eventstore.store import _POSITIONS_LOCK
from dualpath.readmodels.registry import all_projections

REGION_SHARE = {"1084": 0.32, "1082": 0.215, "1083": 0.21, "1085": 0.15, "1081": 0.105}
GROUP_SHARE = {1: 4600, 2: 4000, 3: 700}
PHASE_SHARE = {1: 0.15, 2: 0.35, 3: 0.40, 4: 0.10}
ENDED_SHARE = 0.12
SOURCES = ["municipality", "general_practice", "psychiatric_clinic", "acute_function", "inpatient_ward"]
# Ways to reach each phase from phase 1 through the phase table (ambulatory.ALLOWED_MOVES).
WALKS = {
    1: [[1]],
    2: [[1, 2], [1, 2], [1, 3, 2]],
    3: [[1, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3, 2, 3]],
    4: [[1, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]],
}
UNPLANNED = ["patient_declined", "moved_away", "died", "other"]


@dataclass
class Cohort:
    events: list[tuple] = field(default_factory=list)  # (recorded_at, stream_id, version, type, data, metadata, id)
    patients: list[tuple] = field(default_factory=list)
    referrals: list[tuple] = field(default_factory=list)
    pathways: list[tuple] = field(default_factory=list)
    tasks: dict[str, list] = field(default_factory=dict)
    consents: dict[tuple, tuple] = field(default_factory=dict)


ENGINE = {"subject": "dualpath", "role": "engine", "organisation": "dualpath"}


class _Stream:
    """One stream's events, versions in time order (a time earlier than the last is moved up)."""

    def __init__(self, cohort: Cohort, stream_id: str, rng: random.Random):
        self.cohort, self.stream_id, self.rng = cohort, stream_id, rng
        self.version, self.last = 0, datetime.min.replace(tzinfo=UTC)

    def add(self, at: datetime, event: DomainEvent, actor: dict) -> datetime:
        """Append `event` by `actor` (metadata as the workflows write it); returns its recorded_at."""
        at = max(at, self.last)
        self.version, self.last = self.version + 1, at
        metadata = json.dumps({"actor": actor, "workflow_id": self.stream_id})
        self.cohort.events.append(
            (
                at,
                self.stream_id,
                self.version,
                event.type_name(),
                json.dumps(event.model_dump(mode="json")),
                metadata,
                uuid.UUID(int=self.rng.getrandbits(128), version=4),
            )
        )
        return at


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, shares: dict):
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def generate(n: int, *, now: datetime, seed: int = 9200) -> Cohort:
    from benchmarks.scenarios import unique_cpr

    rng = random.Random(seed)
    catalogue = load_catalogue(CURRENT_VERSION)
    by_region: dict[str, list[str]] = {}
    for m in municipalities.MUNICIPALITIES:
        by_region.setdefault(m.region, []).append(m.code)
    today = now.date()
    c = Cohort()
    for i in range(n):
        region = _pick(rng, REGION_SHARE)
        municipality = rng.choice(by_region[region])
        group = _pick(rng, GROUP_SHARE)
        referral_id, pathway_id, patient_id = _uuid(rng), _uuid(rng), _uuid(rng)
        ended = rng.random() < ENDED_SHARE
        started = now - timedelta(days=rng.uniform(1, 730))
        end_at = started + timedelta(days=rng.uniform(30, (now - started).days + 30)) if ended else now
        end_at = min(end_at, now - timedelta(minutes=1))
        if ended and rng.random() < 0.7:
            walk, end_kind = (
                rng.choice(WALKS[4]),
                rng.choice(["transition_coordinated", "transition_outside_psychiatry"]),
            )
        elif ended:
            walk, end_kind = rng.choice(WALKS[_pick(rng, PHASE_SHARE)]), rng.choice(UNPLANNED)
        else:
            walk, end_kind = rng.choice(WALKS[_pick(rng, PHASE_SHARE)]), None
        received_on = (started - timedelta(days=rng.uniform(0, 13))).date()
        clinician = {
            "subject": f"clinician-{rng.randrange(400)}",
            "role": "clinician",
            "organisation": f"region:{region}",
        }
        visitation = {
            "subject": f"visitation-{rng.randrange(40)}",
            "role": "visitation",
            "organisation": f"region:{region}",
        }

        # The referral's stream and row.
        source = rng.choice(SOURCES)
        deadline = referral_rules.start_deadline(received_on)
        received_at = datetime.combine(received_on, datetime.min.time(), UTC) + timedelta(hours=9)
        ref = _Stream(c, f"referral-{referral_id}", rng)
        ref.add(
            received_at,
            ReferralReceived(
                referral_id=referral_id,
                patient_id=patient_id,
                source=source,
                municipality=municipality,
                region=region,
                group=group,
                status="awaiting_visitation",
                received_on=received_on,
                start_deadline=deadline,
                opens_on=None,
                reasons=[],
            ),
            clinician,
        )
        accepted = ref.add(
            started, ReferralAccepted(referral_id=referral_id, pathway_id=pathway_id, setting="ambulatory"), visitation
        )
        c.patients.append((uuid.UUID(patient_id), unique_cpr(i, cohort=True)))
        c.referrals.append(
            (
                referral_id,
                patient_id,
                source,
                municipality,
                region,
                group,
                "accepted",
                received_on,
                deadline,
                None,
                "[]",
                pathway_id,
                False,
                False,
                accepted,
            )
        )

        # The pathway's stream; rows follow each event as the projections apply it.
        ps = _Stream(c, f"pathway-{pathway_id}", rng)
        level = ambulatory.LEVEL_FOR_PHASE[1]
        ps.add(
            started,
            PathwayStarted(
                pathway_id=pathway_id,
                referral_id=referral_id,
                patient_id=patient_id,
                group=group,
                region=region,
                municipality=municipality,
                phase=1,
                level_of_care=str(level),
                catalogue_version=CURRENT_VERSION,
            ),
            visitation,
        )
        row = {
            "phase": 1,
            "level": str(level),
            "updated": started,
            "status": "active",
            "ended_at": None,
            "end_reason": None,
        }
        # Phase entries spread over the pathway's life so far.
        span = (end_at - started).total_seconds()
        entries = [started] + [
            started + timedelta(seconds=s) for s in sorted(rng.uniform(0, span) for _ in range(len(walk) - 1))
        ]
        open_tasks: list[dict] = []
        for k, (phase, entered) in enumerate(zip(walk, entries)):
            last = k == len(walk) - 1
            leave_at = end_at if last else entries[k + 1]
            t = entered
            if k > 0:
                before = walk[k - 1]
                t = ps.add(
                    t,
                    PhaseChanged(
                        pathway_id=pathway_id,
                        from_phase=before,
                        to_phase=phase,
                        reason=rng.choice([None, "stable", "relapse", "ready"]),
                    ),
                    clinician,
                )
                row.update(phase=phase, updated=t)
                new_level = ambulatory.LEVEL_FOR_PHASE[phase]
                if str(new_level) != row["level"]:
                    t = ps.add(
                        t,
                        LevelOfCareChanged(
                            pathway_id=pathway_id,
                            from_level=row["level"],
                            to_level=new_level,
                            reason=f"phase {before} → {phase}",
                        ),
                        clinician,
                    )
                    row.update(level=str(new_level), updated=t)
            # Entering a phase opens a task per mandatory activity.
            phase_tasks = []
            for a in catalogue.mandatory("ambulatory", phase):
                task = {
                    "task_id": _uuid(rng),
                    "pathway_id": pathway_id,
                    "kind": a.key,
                    "title": a.name_da,
                    "phase": phase,
                    "owner_role": a.owner_role,
                    "owner_org": f"municipality:{municipality}"
                    if a.owner_role == "municipality"
                    else f"region:{region}",
                    "due": t.date() + timedelta(days=a.due_days),
                    "mandatory": True,
                    "state": "open",
                    "overdue": False,
                    "note": None,
                    "opened_at": None,
                    "closed_at": None,
                }
                task["opened_at"] = ps.add(
                    t,
                    TaskOpened(
                        task_id=task["task_id"],
                        pathway_id=pathway_id,
                        kind=task["kind"],
                        title=task["title"],
                        phase=phase,
                        owner_role=task["owner_role"],
                        owner_org=task["owner_org"],
                        due=task["due"],
                        mandatory=True,
                    ),
                    clinician,
                )
                c.tasks[task["task_id"]] = task
                phase_tasks.append(task)
            # Work the phase: its tasks are closed before it is left.
            window = max((leave_at - t).total_seconds(), 60)
            for task in phase_tasks:
                if last and not ended and rng.random() < 0.6:
                    if task["due"] < today:
                        due_at = datetime.combine(task["due"], datetime.min.time(), UTC)
                        ps.add(due_at, TaskOverdue(task_id=task["task_id"], due=task["due"]), ENGINE)
                        task["overdue"] = True
                    open_tasks.append(task)
                    continue
                if last and ended and end_kind in UNPLANNED and rng.random() < 0.5:
                    open_tasks.append(task)  # cancelled when the pathway ends
                    continue
                at = t + timedelta(seconds=rng.uniform(0, window * 0.9))
                if task["kind"] == "consent_dialogue":
                    state, form = ("given" if rng.random() < 0.9 else "refused"), rng.choice(["written", "oral"])
                    at = ps.add(
                        at,
                        ConsentRecorded(
                            pathway_id=pathway_id, scope="dialogue", counterpart=municipality, state=state, form=form
                        ),
                        clinician,
                    )
                    c.consents[(pathway_id, "dialogue", municipality)] = (
                        pathway_id,
                        "dialogue",
                        municipality,
                        state,
                        form,
                        json.dumps(clinician),
                        at,
                    )
                    if rng.random() < 0.5:
                        at = ps.add(
                            at,
                            ConsentRecorded(
                                pathway_id=pathway_id,
                                scope="inform_municipal_treatment",
                                counterpart=municipality,
                                state="given",
                                form="written",
                            ),
                            clinician,
                        )
                        c.consents[(pathway_id, "inform_municipal_treatment", municipality)] = (
                            pathway_id,
                            "inform_municipal_treatment",
                            municipality,
                            "given",
                            "written",
                            json.dumps(clinician),
                            at,
                        )
                    outcome, note = "done", f"consent {state} ({form})"
                elif rng.random() < 0.1:
                    outcome, note = "not_possible", "the patient declined"
                else:
                    outcome, note = "done", None
                at = ps.add(at, TaskCompleted(task_id=task["task_id"], outcome=outcome, note=note), clinician)
                task.update(state=outcome, note=note, closed_at=at)
        if ended:
            reason = None if end_kind.startswith("transition") else "recorded by the benchmark cohort"
            after = ambulatory.LEVEL_AFTER_END.get(ambulatory.EndReason(end_kind))
            at = ps.add(
                end_at,
                PathwayEnded(pathway_id=pathway_id, phase=row["phase"], reason_kind=end_kind, reason=reason),
                clinician,
            )
            row.update(status="ended", ended_at=at, end_reason=end_kind, updated=at)
            at = ps.add(
                at,
                LevelOfCareChanged(
                    pathway_id=pathway_id, from_level=row["level"], to_level=after, reason=f"pathway ended: {end_kind}"
                ),
                clinician,
            )
            row.update(level=after and str(after), updated=at)
            for task in open_tasks:
                at = ps.add(at, TaskCancelled(task_id=task["task_id"], reason="the pathway ended"), clinician)
                task.update(state="cancelled", note="the pathway ended", closed_at=at)
        elif (
            (key := (pathway_id, "dialogue", municipality)) in c.consents
            and c.consents[key][3] == "given"
            and rng.random() < 0.05
        ):
            at = ps.add(
                now - timedelta(days=rng.uniform(0, 30)),
                ConsentRecorded(
                    pathway_id=pathway_id, scope="dialogue", counterpart=municipality, state="withdrawn", form="oral"
                ),
                clinician,
            )
            c.consents[key] = (pathway_id, "dialogue", municipality, "withdrawn", "oral", json.dumps(clinician), at)
        c.pathways.append(
            (
                pathway_id,
                referral_id,
                patient_id,
                group,
                region,
                municipality,
                "ambulatory",
                row["phase"],
                row["level"],
                row["status"],
                started,
                row["ended_at"],
                row["end_reason"],
                row["updated"],
                CURRENT_VERSION,
            )
        )
    c.events.sort(key=lambda e: (e[0], e[1], e[2]))
    return c


_TASK_COLUMNS = (
    "task_id",
    "pathway_id",
    "kind",
    "title",
    "phase",
    "owner_role",
    "owner_org",
    "due",
    "mandatory",
    "state",
    "overdue",
    "note",
    "opened_at",
    "closed_at",
)


class NotQuiet(Exception):
    pass


async def load(pool: asyncpg.Pool, cohort: Cohort, attempts: int = 100) -> dict:
    """COPY the cohort in one transaction, once nothing else is appending; returns counts."""
    names = sorted({p.name for p in all_projections()})
    await _ensure_checkpoints(pool, names)
    for _ in range(attempts):
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await _load_quietly(conn, cohort, names)
        except NotQuiet:
            await asyncio.sleep(0.2)
    raise RuntimeError("the cohort load found no quiet moment: appends kept arriving or projections lagged")


async def _load_quietly(conn: asyncpg.Connection, cohort: Cohort, names: list[str]) -> dict:
    positions = await _lock_checkpoints(conn, names)  # the projections wait for us
    await conn.execute("SELECT pg_advisory_xact_lock($1::bigint)", _POSITIONS_LOCK)  # and so do appends
    last = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('events', 'position')")
    handed_out = await conn.fetchval(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")
    # Every position handed out is committed and visible, and every projection has applied it:
    # our events then follow all others, and moving the checkpoints past them skips nothing else.
    if handed_out != last or any(p != last for p in positions):
        raise NotQuiet()
    await conn.copy_records_to_table(
        "events",
        columns=["event_id", "stream_id", "version", "type", "data", "metadata", "recorded_at"],
        records=[(e[6], e[1], e[2], e[3], e[4], e[5], e[0]) for e in cohort.events],
    )
    await conn.copy_records_to_table("patients", columns=["patient_id", "cpr"], records=cohort.patients)
    await conn.copy_records_to_table(
        "rm_referrals",
        columns=[
            "referral_id",
            "patient_id",
            "source",
            "municipality",
            "region",
            "target_group",
            "status",
            "received_on",
            "start_deadline",
            "opens_on",
            "reasons",
            "pathway_id",
            "deadline_warned",
            "deadline_passed",
            "updated_at",
        ],
        records=cohort.referrals,
    )
    await conn.copy_records_to_table(
        "rm_pathways",
        columns=[
            "pathway_id",
            "referral_id",
            "patient_id",
            "target_group",
            "region",
            "municipality",
            "kind",
            "phase",
            "level_of_care",
            "status",
            "started_at",
            "ended_at",
            "end_reason",
            "updated_at",
            "catalogue_version",
        ],
        records=cohort.pathways,
    )
    await conn.copy_records_to_table(
        "rm_tasks",
        columns=list(_TASK_COLUMNS),
        records=[tuple(t[c] for c in _TASK_COLUMNS) for t in cohort.tasks.values()],
    )
    await conn.copy_records_to_table(
        "rm_consents",
        columns=["pathway_id", "scope", "counterpart", "state", "form", "recorded_by", "recorded_at"],
        records=list(cohort.consents.values()),
    )
    top = await conn.fetchval("SELECT max(position) FROM events")
    await conn.execute(
        "UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = ANY($1)", names, top
    )
    return {
        "events": len(cohort.events),
        "pathways": len(cohort.pathways),
        "tasks": len(cohort.tasks),
        "consents": len(cohort.consents),
        "referrals": len(cohort.referrals),
    }


async def analyze(pool: asyncpg.Pool) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give them shortly after."""
    await pool.execute("ANALYZE events, patients, rm_referrals, rm_pathways, rm_tasks, rm_consents")


async def verify(pool: asyncpg.Pool, pathway_ids: list[str]) -> list[str]:
    """Apply the real `pathways` and `tasks` projections to the loaded events of `pathway_ids`
    (their pathway and referral streams, in position order) inside a transaction that is rolled
    back, and compare the rows they make with the loaded ones. Returns the differences."""
    from dualpath.eventstore.store import _COLUMNS, _recorded
    from dualpath.readmodels.pathways import PathwaysProjection
    from dualpath.readmodels.tasks import TasksProjection

    queries = {
        "rm_pathways": "SELECT pathway_id, referral_id, patient_id, target_group, region, municipality, kind, phase, "
        "level_of_care, status, started_at, ended_at, end_reason, updated_at, catalogue_version "
        "FROM rm_pathways WHERE pathway_id = ANY($1) ORDER BY 1",
        "rm_referrals": "SELECT referral_id, patient_id, source, municipality, region, target_group, status, "
        "received_on, start_deadline, opens_on, reasons, pathway_id, deadline_warned, "
        "deadline_passed, updated_at FROM rm_referrals WHERE pathway_id = ANY($1) ORDER BY 1",
        "rm_tasks": f"SELECT {', '.join(_TASK_COLUMNS)}, referral_id, stay_id FROM rm_tasks "
        "WHERE pathway_id = ANY($1) ORDER BY 1",
        "rm_consents": "SELECT * FROM rm_consents WHERE pathway_id = ANY($1) ORDER BY 1, 2, 3",
    }

    class _Rollback(Exception):
        pass

    async with pool.acquire() as conn:
        loaded = {t: [tuple(r) for r in await conn.fetch(q, pathway_ids)] for t, q in queries.items()}
        referral_ids = [r[0] for r in loaded["rm_referrals"]]
        try:
            async with conn.transaction():
                for table in ("rm_pathways", "rm_referrals", "rm_tasks", "rm_consents"):
                    await conn.execute(f"DELETE FROM {table} WHERE pathway_id = ANY($1)", pathway_ids)
                streams = [f"pathway-{p}" for p in pathway_ids] + [f"referral-{r}" for r in referral_ids]
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM events WHERE stream_id = ANY($1) ORDER BY position", streams
                )
                for projection in (PathwaysProjection(), TasksProjection()):
                    for r in rows:
                        await projection.apply(conn, _recorded(r))
                rebuilt = {t: [tuple(r) for r in await conn.fetch(q, pathway_ids)] for t, q in queries.items()}
                raise _Rollback()
        except _Rollback:
            pass
    differences: list[str] = []
    for table in queries:
        a, b = loaded[table], rebuilt[table]
        if len(a) != len(b):
            differences.append(f"{table}: {len(a)} rows loaded, {len(b)} rebuilt from the events")
        differences += [f"{table}: loaded {x} != rebuilt {y}" for x, y in zip(a, b) if x != y]
    return differences
