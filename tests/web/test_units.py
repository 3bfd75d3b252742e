"""The pages' small parts, without servers."""

from types import SimpleNamespace

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from dualpath import diagrams
from dualpath.api.auth import Role, Staff
from dualpath.api.errors import ApiError
from dualpath.api.routes import meetings, pathways, referrals, tasks
from dualpath.web import diagram, labels
from dualpath.web.calls import call, passes, permitted
from dualpath.web.render import PageRoute, danish_date

CLINICIAN = Staff(subject="a", role=Role.clinician, org="region:1082")
VISITATION = Staff(subject="b", role=Role.visitation, org="region:1082")
MUNICIPALITY = Staff(subject="c", role=Role.municipality, org="municipality:751")


def test_the_routes_own_role_checks_decide_which_forms_are_offered():
    assert permitted(pathways.move_phase, CLINICIAN)
    assert not permitted(pathways.move_phase, VISITATION)
    assert permitted(referrals.decide, VISITATION) and not permitted(referrals.decide, CLINICIAN)
    assert permitted(tasks.worklist, MUNICIPALITY)  # no role check: anyone signed in
    assert passes(meetings._clinician, CLINICIAN) and not passes(meetings._clinician, MUNICIPALITY)


async def test_a_direct_call_runs_the_routes_role_check_first():
    with pytest.raises(ApiError) as refused:
        await call(pathways.move_phase, VISITATION, SimpleNamespace(), pathway_id="x", body=pathways.PhaseMoveIn(to=2))
    assert refused.value.status == 403 and refused.value.body.allowed == ["clinician"]


def test_the_diagram_highlights_the_current_phase_and_falls_back_when_it_cannot_draw(monkeypatch):
    svg = diagram.ambulatory_svg(3)
    assert 'class="phase current" data-node="fase_3"' in svg and svg.count("phase current") == 1
    assert "3 Stabil  ◀ nuværende fase" in svg
    assert "current" not in diagram.ambulatory_svg(None).replace("currentColor", "")
    diagram.ambulatory_svg.cache_clear()
    monkeypatch.setattr(diagrams, "process", lambda name: (_ for _ in ()).throw(RuntimeError("being rewritten")))
    try:
        assert diagram.ambulatory_svg(2) is None
    finally:
        diagram.ambulatory_svg.cache_clear()


def test_danish_words_and_dates():
    from datetime import date

    assert danish_date(date(2026, 4, 7), weekday=True) == "tirsdag 7. april 2026"
    assert labels.org("region:1082") == "Region Midtjylland"
    assert labels.municipality("751") == "Aarhus (751)" and labels.municipality("999") == "kommune 999"
    entry = SimpleNamespace(type="TaskCompleted", data={"task_id": "t1", "outcome": "not_possible", "note": "syg"})
    assert labels.event_summary(entry, {"t1": "Kriseplan"}) == "Kriseplan · Ikke muligt · syg"
    assert labels.event_summary(SimpleNamespace(type="PhaseChanged", data={})) == ""  # nothing to show


async def test_an_unexpected_error_on_a_page_is_a_danish_html_page():
    router = APIRouter(route_class=PageRoute)

    @router.get("/broken")
    async def broken(request: Request):
        raise RuntimeError("boom")

    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pages") as c:
        r = await c.get("/broken")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "Noget gik galt" in r.text and "boom" not in r.text
