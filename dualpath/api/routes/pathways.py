"""Pathways (forløb): read them, move them through the ambulatory phases, end them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, Field

from dualpath import workflow_ids
from dualpath.api import access, commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Limit, Offset, Res, require
from dualpath.domain import ambulatory, copenhagen, first_contact
from dualpath.domain.acute import Outcome as AcuteOutcome
from dualpath.domain.ambulatory import AllowedMove, EndReason, LevelOfCare
from dualpath.domain.catalogue import Phase, load_catalogue
from dualpath.domain.disclosure import CLINICAL
from dualpath.domain.validation import Id, Input, NotFuture
from dualpath.readmodels import acute_contacts, queries
from dualpath.readmodels import staff as staff_register
from dualpath.readmodels.acute_contacts import AcuteContactRow
from dualpath.workflows import pathway as wf
from dualpath.workflows import pathway_messages as messages
from dualpath.workflows.kit import MovePhaseCommand

router = disclosure.Router(prefix="/pathways", tags=["pathways"])

PathwayId = Annotated[Id, Path(description="The pathway's pseudonymous id")]


class HistoryEntry(BaseModel):
    version: int
    type: str
    at: datetime
    by: Annotated[dict[str, Any] | None, CLINICAL]
    data: Annotated[dict[str, Any], CLINICAL]


class PathwaySummary(queries.PathwayRow):
    phase_name: str
    allowed_moves: list[AllowedMove]
    start_status: first_contact.Status = Field(
        description="The §82c clock (treatment within 14 days of receipt, to the first treatment contact): "
        "started_in_time, started_late, running, warned (3 days or less left), passed (no first contact by the "
        "deadline); started or not_started for a pathway without a referral's deadline (a transition, a campaign)"
    )


class PathwayOut(PathwaySummary):
    phase_catalogue: Phase
    tasks: list[queries.TaskRow]
    consents: list[queries.ConsentRow]
    history: list[HistoryEntry]
    acute_contacts: list[AcuteContactRow] = Field(
        default_factory=list, description="Contacts at the acute function without admission, the latest first"
    )
    contact_person: staff_register.ContactPersonEntry | None = Field(
        default=None, description="The named contact person (fast, navngiven kontaktperson) from the staff register"
    )
    contact_person_history: list[staff_register.ContactPersonEntry] = Field(
        default_factory=list, description="Every naming of the contact person, the latest (the current one) first"
    )
    task_assignments: list[staff_register.TaskAssignmentRow] = Field(
        default_factory=list, description="The pathway's tasks given to a named staff member"
    )
    access_basis: str | None = Field(
        description="The basis the caller reads this pathway on, as the access log records it: `consent: …` or, "
        "without consent, the legal basis named (`psychiatry_act_13a: …`); region staff and ops their role's"
    )


class PhaseMoveIn(Input):
    to: int = Field(ge=1, le=4, description="The phase to move to (1 Opstart … 4 Overgang/afslutning)")
    reason: str | None = Field(default=None, max_length=2000)


class LevelOfCareIn(Input):
    level: LevelOfCare = Field(description="integrated_stable or integrated_unstable")
    reason: str = Field(max_length=2000, description="What in the patient's needs calls for it")


class FirstContactIn(Input):
    contact_on: NotFuture = Field(
        description="The day of the first treatment contact: on or after the referral's receipt (the pathway's "
        "start when it has no referral), at the latest today (Copenhagen)"
    )


class AcuteContactIn(Input):
    contact_on: NotFuture = Field(description="The day of the contact at the acute function, at the latest today")
    outcome: AcuteOutcome = Field(description="sent_home, referred (say to whom in the note) or admitted")
    note: str | None = Field(default=None, max_length=2000, description="Required when referred: to whom")


class EndIn(Input):
    reason_kind: EndReason
    reason: str | None = Field(default=None, max_length=2000)


async def visible_pathway(res, staff: Staff, pathway_id: str) -> queries.PathwayRow:
    """The pathway if the caller may see it (else 404), with the look written to the access log."""
    row = await queries.pathway(res.pool, pathway_id)
    visible = row is not None and await access.may_see(res.pool, staff, pathway_id=pathway_id, region=row.region)
    return await access.seen(res.pool, staff, "pathway", pathway_id, row, visible)


def _summary(row: queries.PathwayRow) -> dict[str, Any]:
    return dict(
        **row.model_dump(),
        phase_name=ambulatory.PHASE_NAMES[row.phase],
        allowed_moves=ambulatory.allowed_moves(row.phase) if row.status == "active" else [],
        start_status=first_contact.status(
            start_deadline=row.start_deadline,
            contact_on=row.first_contact_on,
            warned=row.first_contact_warned,
            passed=row.first_contact_deadline_passed,
            today=copenhagen.today(),
        ),
    )


async def answer(res, seen: queries.PathwayRow) -> PathwayOut:
    """The pathway as it stands now, for a caller who has been allowed to see it (`seen`): after a
    command it is read again, with no second look in the access log."""
    pathway_id = seen.pathway_id
    # Read side by side, each on a connection of its own: the answer waits for the slowest, not the sum.
    row, tasks, consents, events, contacts, (contact_persons, assignments) = await asyncio.gather(
        queries.pathway(res.pool, pathway_id),
        queries.pathway_tasks(res.pool, pathway_id),
        queries.pathway_consents(res.pool, pathway_id),
        history(res, workflow_ids.pathway_stream(pathway_id)),
        acute_contacts.acute_contacts(res.pool, pathway_id),
        staff_register.people(res.pool, pathway_id),
    )
    row = row or seen
    # What each role reads of it is the disclosure policy's (api/disclosure.py), applied to the answer.
    return PathwayOut(
        **_summary(row),
        phase_catalogue=load_catalogue(row.catalogue_version).phase("ambulatory", row.phase),
        tasks=tasks,
        consents=consents,
        history=events,
        acute_contacts=contacts,
        contact_person=contact_persons[0] if contact_persons else None,
        contact_person_history=contact_persons,
        task_assignments=assignments,
        access_basis=access.granted(row.pathway_id),
    )


async def history(res, stream_id: str) -> list[HistoryEntry]:
    """What happened to a process, event by event, as recorded (clinical: the disclosure policy withholds it)."""
    return [
        HistoryEntry(version=e.version, type=e.type, at=e.recorded_at, by=e.metadata.get("actor"), data=e.data)
        for e in await res.store.read_stream(stream_id)
    ]


async def command(res, staff: Staff, pathway_id: str, update_fn: Any, cmd: Any) -> PathwayOut:
    """A clinician's command on the pathway (authorised by the route's role check): seen once, run, answered."""
    row = await visible_pathway(res, staff, pathway_id)
    await commands.run(res, wf.workflow_id(pathway_id, row.region), update_fn, cmd)
    return await answer(res, row)


@router.get("", response_model=list[PathwaySummary])
async def list_pathways(
    staff: CurrentStaff,
    res: Res,
    status: Literal["active", "ended"] | None = None,
    phase: Annotated[int | None, Query(ge=1, le=4)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PathwaySummary]:
    await access.record_list(res.pool, staff)
    region, shared_with = access.list_limits(staff)
    rows = await queries.pathways(
        res.pool, region=region, shared_with=shared_with, status=status, phase=phase, limit=limit, offset=offset
    )
    return [PathwaySummary(**_summary(r)) for r in rows]


@router.get("/{pathway_id}", response_model=PathwayOut)
async def get_pathway(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> PathwayOut:
    return await answer(res, await visible_pathway(res, staff, pathway_id))


@router.post("/{pathway_id}/ambulatory/phase", response_model=PathwayOut)
async def move_phase(
    pathway_id: PathwayId, body: PhaseMoveIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    cmd = commands.make(MovePhaseCommand, staff, body)
    return await command(res, staff, pathway_id, wf.PathwayWorkflow.move_phase, cmd)


@router.post("/{pathway_id}/level-of-care", response_model=PathwayOut)
async def decide_level_of_care(
    pathway_id: PathwayId, body: LevelOfCareIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    """A clinician decides the level of care on the patient's needs (seeds 001, 003), with the reason; a phase
    move, an admission, a discharge and the end still set it as before."""
    cmd = commands.make(messages.LevelOfCareCommand, staff, body)
    return await command(res, staff, pathway_id, wf.PathwayWorkflow.decide_level_of_care, cmd)


@router.post("/{pathway_id}/first-contact", response_model=PathwayOut)
async def record_first_contact(
    pathway_id: PathwayId, body: FirstContactIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    """The first treatment contact (phase 1), once: treatment has started, and the §82c clock (from the
    referral's receipt) stops; recorded with whether it was within the start deadline. It closes the
    deadline's task."""
    cmd = commands.make(messages.FirstContactCommand, staff, body)
    return await command(res, staff, pathway_id, wf.PathwayWorkflow.record_first_contact, cmd)


@router.post("/{pathway_id}/acute-contacts", status_code=201, response_model=PathwayOut)
async def record_acute_contact(
    pathway_id: PathwayId, body: AcuteContactIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    """A contact at the acute function without admission (inpatient phase 1's contact; issue #18 item 4): the
    day and what came of it. Recorded by the pathway's process; an admission is `POST .../admissions` (or
    `POST /acute-admissions`)."""
    cmd = commands.make(messages.AcuteContactCommand, staff, body)
    return await command(res, staff, pathway_id, wf.PathwayWorkflow.record_acute_contact, cmd)


@router.post("/{pathway_id}/end", response_model=PathwayOut)
async def end_pathway(
    pathway_id: PathwayId, body: EndIn, res: Res, staff: Staff = require(Role.clinician)
) -> PathwayOut:
    cmd = commands.make(messages.EndPathwayCommand, staff, body)
    row = await visible_pathway(res, staff, pathway_id)
    result = await commands.run(res, wf.workflow_id(pathway_id, row.region), wf.PathwayWorkflow.end_pathway, cmd)
    if course_id := result.pathway.coordinated_course_id:
        # A planned closure to coordinated treatment started the coordinated course: answer once it shows.
        await commands.until_recorded(res, workflow_ids.coordinated_stream(course_id), "coordinated course", course_id)
    return await answer(res, row)
