"""Joint plans on the pathway page (issue #18 item 7): made and revised through the page's forms, the latest
version shown structured (who does what per side, the crisis plan, the next review), older versions collapsed,
a stale or bad form refused with the input kept; municipal staff read the plan but get no form."""

from __future__ import annotations

import re
from datetime import timedelta

from dualpath.domain import copenhagen
from tests.api.helpers import accepted_pathway

from .helpers import REGION, csrf, shared_and_private, signed_in, text

TODAY = copenhagen.today()
REVIEW = TODAY + timedelta(days=14)


def _form(token: str, idem: str, **fields: str) -> dict[str, str]:
    base = {
        "csrf": token,
        "idem": idem,
        "summary": "samarbejde efter udskrivelse",
        "agreed_by": f"overlæge, {REGION}\nmentor, municipality:751",
        "action_party_0": "region",
        "action_who_0": "kontaktperson",
        "action_what_0": "hjemmebesøg første hverdag",
        "action_by_0": "",
        "action_party_1": "municipality",
        "action_who_1": "rusmiddelcenter",
        "action_what_1": "opstartsmøde i kommunen",
        "action_by_1": str(TODAY + timedelta(days=5)),
        "action_party_2": "relative",
        "action_who_2": "",
        "action_what_2": "",
        "action_by_2": "",
        "crisis_warning_signs": "holder op med at tage medicin",
        "crisis_what_to_do": "ring samme dag",
        "crisis_whom_to_call": "akutteamet",
        "next_review": str(REVIEW),
    }
    return {**base, **fields}


async def test_a_plan_made_and_revised_on_the_page_shows_structured_with_its_history(api, http):
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        page = await c.get(f"/forloeb/{pathway_id}")
        assert "Lav en ny fælles plan" in page.text and 'action="/forloeb/' + pathway_id + '/planer/ny"' in page.text
        token = await csrf(c, f"/forloeb/{pathway_id}")

        r = await c.post(f"/forloeb/{pathway_id}/planer/ny", data=_form(token, "p1", kind="koordinationsplan"))
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("?besked=plan#planer")
        plan = (await a.get(f"/pathways/{pathway_id}/joint-plans/koordinationsplan")).json()["latest"]
        # The empty third row is left out.
        assert [(x["party"], x["who"]) for x in plan["actions"]] == [
            ("region", "kontaktperson"),
            ("municipality", "rusmiddelcenter"),
        ]
        assert plan["crisis_plan"]["whom_to_call"] == "akutteamet" and plan["next_review"] == str(REVIEW)

        page = await c.get(r.headers["location"])
        shown = text(page)
        assert "Den fælles plan er gemt som en ny version." in shown
        assert "Koordinationsplan version 1" in shown
        assert "Regionen (psykiatrien) kontaktperson : hjemmebesøg første hverdag" in shown
        assert "Kommunen rusmiddelcenter : opstartsmøde i kommunen" in shown
        assert "Faresignaler holder op med at tage medicin" in shown and "Hvem kontaktes akutteamet" in shown
        assert "Næste opfølgning" in shown and "Tidligere versioner" not in shown
        # The revision form carries the latest version and is filled from it.
        assert re.search(r'name="revises" value="1"', page.text)
        assert 'value="hjemmebesøg første hverdag"' in page.text

        revised = _form(token, "p2", revises="1", summary="revideret plan", action_what_0="to hjemmebesøg")
        r = await c.post(f"/forloeb/{pathway_id}/planer/koordinationsplan", data=revised)
        assert r.status_code == 303, r.text
        page = await c.get(f"/forloeb/{pathway_id}")
        shown = text(page)
        assert "Koordinationsplan version 2" in shown and "reviderer version 1" in shown
        assert "kontaktperson : to hjemmebesøg" in shown
        assert "Tidligere versioner (1)" in shown and "Version 1" in shown
        assert re.search(r'<details class="plan-history">', page.text)  # collapsed
        # Every kind made already: no form for a new one of it.
        assert '<option value="koordinationsplan"' not in page.text.split("/planer/ny")[-1]

        # Someone still on version 1 is refused, told the current version, and keeps what they typed.
        stale = _form(token, "p3", revises="1", summary="min gamle ændring")
        refused = await c.post(f"/forloeb/{pathway_id}/planer/koordinationsplan", data=stale)
        assert refused.status_code == 409, refused.text
        assert "current version is 2, not 1" in text(refused) and "min gamle ændring" in refused.text

        bad = _form(token, "p4", revises="2", next_review=str(TODAY - timedelta(days=3)))
        refused = await c.post(f"/forloeb/{pathway_id}/planer/koordinationsplan", data=bad)
        assert refused.status_code == 409 and "is in the past" in text(refused), refused.text
        unreadable = _form(token, "p5", revises="2", action_by_1="i morgen")
        refused = await c.post(f"/forloeb/{pathway_id}/planer/koordinationsplan", data=unreadable)
        assert refused.status_code == 422 and "'i morgen' er ikke en dato" in text(refused), refused.text
        history = (await a.get(f"/pathways/{pathway_id}/joint-plans")).json()
    assert [p["version"] for p in history] == [2, 1]


async def test_the_municipality_reads_the_structured_plan_on_consent_but_gets_no_form(api, http):
    shared, _ = await shared_and_private(http)
    async with http.as_("clinician", REGION) as a:
        r = await a.post(
            f"/pathways/{shared}/joint-plans",
            json={
                "kind": "udskrivningsaftale",
                "summary": "aftale om udskrivelse",
                "agreed_by": [{"role": "overlæge", "organisation": REGION}],
                "actions": [{"party": "municipality", "who": "bostøtte", "what": "besøg dagen efter"}],
                "crisis_plan": {"whom_to_call": "vagthavende"},
                "next_review": str(REVIEW),
            },
        )
        assert r.status_code == 201, r.text
    async with signed_in(api, "municipality", "municipality:751") as mun:
        page = await mun.get(f"/forloeb/{shared}")
        assert page.status_code == 200, page.text
        shown = text(page)
    assert "Udskrivningsaftale version 1" in shown and "Kommunen bostøtte : besøg dagen efter" in shown
    assert "Hvem kontaktes vagthavende" in shown
    assert "/planer/" not in page.text and "Revidér" not in shown
