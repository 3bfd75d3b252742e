"""The coordinated course after a planned closure on the pathway page: its dates and the municipality's task,
for whoever may see the course (issue #18 item 9)."""

from dualpath.domain.coordinated_course import TITLES
from tests.api.helpers import accepted_pathway
from tests.api.test_coordinated_course import _closed_to_coordinated

from .helpers import REGION, signed_in, text


async def test_the_pathway_page_shows_the_coordinated_course_that_follows_its_planned_closure(api, http):
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as a:
        await _closed_to_coordinated(a, pathway_id)
        [course] = (await a.get("/coordinated-courses", params={"origin_id": pathway_id})).json()
    async with signed_in(api, "clinician", REGION) as c:
        page = await c.get(f"/forloeb/{pathway_id}")
    assert page.status_code == 200
    shown = text(page)
    assert "Koordineret forløb efter det integrerede forløb" in shown
    assert "Følges op" in shown and "kommunen" in shown
    assert 'data-testid="coordinated-course"' in page.text
    assert TITLES["coordinated_follow_up"] in shown  # the municipality's follow-up task
    async with signed_in(api, "municipality", "municipality:751") as m:
        page = await m.get(f"/forloeb/{pathway_id}")
    # Shared on the patient's consent: the municipality sees the course too.
    assert page.status_code == 200 and 'data-testid="coordinated-course"' in page.text
    assert course["status"] == "active"
