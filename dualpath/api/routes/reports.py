"""Reports: the monitoring report (spec §8). Counts only, never identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dualpath.api import access, disclosure
from dualpath.api.auth import Role
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.errors import ApiError
from dualpath.domain.municipalities import REGIONS
from dualpath.readmodels import report

router = disclosure.Router(prefix="/reports", tags=["reports"])


@router.get("/monitoring", response_model=report.MonitoringReport)
async def monitoring(
    staff: CurrentStaff,
    res: Res,
    region: Annotated[
        str | None,
        Query(
            description="A region code, e.g. 1082. Ops: omit for all regions; region staff: their own region only "
            "(the default)"
        ),
    ] = None,
) -> report.MonitoringReport:
    """Per region and target group: referred, accepted, active by phase and level, ended, against the
    targets; phase-in over time; the process figures."""
    if staff.role not in (Role.ops, Role.clinician, Role.visitation):
        raise ApiError(
            403,
            "forbidden",
            f"role {staff.role.value} may not see the monitoring report",
            allowed=[Role.ops.value, Role.clinician.value, Role.visitation.value],
        )
    if region is not None and region not in REGIONS:
        raise ApiError(422, "invalid_input", f"region: unknown region code {region!r}", allowed=sorted(REGIONS))
    if staff.role in (Role.clinician, Role.visitation):
        if region is not None and region != staff.org_code:
            raise ApiError(
                403,
                "forbidden",
                f"role {staff.role.value} sees its own region ({staff.org_code}) only",
                allowed=[staff.org_code],
            )
        if staff.org_code not in REGIONS:
            raise ApiError(403, "forbidden", f"organisation {staff.org} is not a known region")
        region = staff.org_code
    await access.record_list(res.pool, staff)
    return await report.monitoring_report(res.pool, region)
