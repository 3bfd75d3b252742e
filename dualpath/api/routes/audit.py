"""The access log, for ops audits: who looked at which pathway, when, and on what basis."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dualpath.api import access, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.domain.validation import Id, Line
from dualpath.readmodels import queries

router = disclosure.Router(tags=["audit"])


@router.get("/access-log", response_model=list[queries.AccessRow])
async def access_log(
    res: Res,
    staff: Staff = require(Role.ops),
    pathway_id: Id | None = None,
    subject: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[queries.AccessRow]:
    """Newest first. The log itself cannot be changed or deleted by the application."""
    await access.record_list(res.pool, staff)  # who read the log is itself a look worth keeping
    return await queries.access_log(res.pool, pathway_id=pathway_id, subject=subject, limit=limit)
