"""Medication changes (spec §4 "Medication"): recorded, and the municipality advised through FMK notices.

Clinicians of the pathway's region record each change (start, change, stop;
the drug; when; private-marked or not). The municipal practitioners are told
only that FMK changed — with the patient's consent for the pathway's
municipality, and never for a private-marked prescription (*privatmarkering*).
The answer says whether a notice went out, and why not.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.api.routes.pathways import PathwayId, visible_pathway
from dualpath.domain.medication import MedicationChange
from dualpath.readmodels import queries
from dualpath.workflows import pathway as wf

router = disclosure.Router(tags=["medication"])


class MedicationChangeIn(MedicationChange):
    """`changed_at` needs a zone (e.g. `2026-04-01T09:30:00+02:00`); `private`: privatmarkering."""


class NoticeOut(BaseModel):
    sent: bool
    reason: str = Field(description='"sent", or why no notice went out')
    idempotency_key: str | None = Field(description="The notice's key when one was sent (or tried)")


class MedicationChangeOut(BaseModel):
    change_id: str
    notice: NoticeOut
    open_tasks: list[queries.TaskRow]


@router.post("/pathways/{pathway_id}/medication-changes", status_code=201, response_model=MedicationChangeOut)
async def record_medication_change(
    pathway_id: PathwayId, body: MedicationChangeIn, res: Res, staff: Staff = require(Role.clinician)
) -> MedicationChangeOut:
    row = await visible_pathway(res, staff, pathway_id)
    result: wf.MedicationResult = await commands.run(
        res,
        wf.workflow_id(pathway_id, row.region),
        wf.PathwayWorkflow.record_medication_change,
        wf.MedicationCommand(**body.model_dump(), actor=commands.actor(staff)),
    )
    # commands.run has waited for the read models to reach the change.
    tasks = await queries.pathway_tasks(res.pool, pathway_id)
    return MedicationChangeOut(
        change_id=result.change_id,
        notice=NoticeOut(**result.notice.model_dump()),
        open_tasks=[t for t in tasks if t.state == "open"],
    )
