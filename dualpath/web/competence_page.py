"""The coverage report's page (kompetencer, issue #15 item 3): GET /kompetencer?team=….

Read through the API's own route (`competences.competence_report`, via `calls.call`): the same scope and the same
disclosure, so ops see the counts and shares and "(navnet vises ikke)" where a name would be.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dualpath.api.deps import Res
from dualpath.api.routes.competences import competence_report
from dualpath.domain import competences as rules
from dualpath.domain.municipalities import REGIONS
from dualpath.domain.staff import MUNICIPALITY_TEAMS, REGION_TEAMS, TEAM_NAMES_DA
from dualpath.web.calls import call
from dualpath.web.render import PageRoute, page
from dualpath.web.session import PageStaff

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/kompetencer")
async def competence_page(request: Request, staff: PageStaff, res: Res) -> Response:
    team_raw = request.query_params.get("team", "")
    team = team_raw if team_raw in TEAM_NAMES_DA else None
    region_raw = request.query_params.get("region", "")
    region = region_raw if region_raw in REGIONS else None
    report = await call(competence_report, staff, res, region=region, team=team)
    kind = staff.org.partition(":")[0]
    teams = MUNICIPALITY_TEAMS if kind == "municipality" else REGION_TEAMS
    return page(
        request,
        "competences.html",
        title="Kompetencer",
        report=report,
        team=team,
        region=region,
        regions=REGIONS,
        teams={t: TEAM_NAMES_DA[t] for t in teams},
        team_names=TEAM_NAMES_DA,
        methods=rules.METHOD_NAMES_DA,
        areas=rules.COURSE_AREA_NAMES_DA,
        pct=lambda share: f"{share * 100:.0f} %".replace(".", ","),
    )
