"""The staff pages' forms refuse what the engine cannot take, like the API does, and nothing freezes.

Form posts (application/x-www-form-urlencoded, signed in, with the session's CSRF token) build the
API's own request models, so NUL, control characters and dates outside the engine's bounds are
refused with 422 and the field's Danish name beside the form; an id in the address that is not one
the engine makes is not found. Afterwards the pathway still takes a normal command, from a form too.
"""

import pytest

from tests.api import liveness
from tests.api.helpers import accepted_pathway, cpr

from .helpers import REGION, csrf, signed_in, text

NUL = "a\u0000b"


def refused(r, field: str) -> None:
    assert r.status_code == 422, (r.status_code, text(r)[:400])
    assert "Oplysningerne kan ikke bruges" in text(r) and field in text(r), text(r)[:600]


async def test_form_posts_with_nul_control_characters_or_far_dates_are_refused(api, http):
    pathway_id = await accepted_pathway(http)
    base = f"/forloeb/{pathway_id}"
    async with signed_in(api, "clinician", REGION) as c, http.as_("clinician", REGION) as a:
        token = await csrf(c, base)
        task = next(t for t in (await a.get(f"/pathways/{pathway_id}")).json()["tasks"] if t["state"] == "open")

        def form(**fields):
            return {"csrf": token, "idem": "", **fields}

        refused(await c.post(f"{base}/afslut", data=form(reason_kind="other", reason=NUL)), "Begrundelse")
        refused(
            await c.post(f"{base}/opgaver/{task['task_id']}", data=form(outcome="not_possible", note=NUL)), "Bemærkning"
        )
        refused(
            await c.post(f"{base}/opgaver/{task['task_id']}", data=form(outcome="not_possible", note="bell \u0007")),
            "U+0007",
        )
        refused(await c.post(f"{base}/fase", data=form(to="2", reason=NUL)), "Begrundelse")
        refused(
            await c.post(
                f"{base}/moeder", data=form(kind="network_meeting", purpose=NUL, participants="behandler, region:1082")
            ),
            "Formål",
        )
        refused(
            await c.post(
                f"{base}/moeder", data=form(kind="network_meeting", participants=f"behandler{NUL}, region:1082")
            ),
            "Deltagere",
        )
        refused(await c.post(f"{base}/indlaeggelser", data=form(via="acute_function", ward=NUL)), "Afsnit")
        for day in ("9999-12-31", "0001-01-01"):
            refused(
                await c.post(f"{base}/indlaeggelser", data=form(via="acute_function", ward="P3", admitted_on=day)),
                "Indlagt den",
            )
            refused(
                await c.post(
                    f"{base}/moeder",
                    data=form(kind="network_meeting", called_on=day, participants="behandler, region:1082"),
                ),
                "Indkaldt den",
            )
        # Nothing of it was recorded, and the pathway takes a normal command: from a form, and from the API.
        p = (await a.get(f"/pathways/{pathway_id}")).json()
        assert p["status"] == "active" and p["phase"] == 1
        assert not [h for h in p["history"] if h["type"] in ("PathwayEnded", "AdmissionRecorded")]
        r = await c.post(
            f"{base}/samtykke",
            data=form(idem="ok-1", scope="dialogue", counterpart="751", state="given", consent_form="written"),
        )
        assert r.status_code == 303, text(r)[:400]
        await liveness.pathway_takes_a_command(a, pathway_id)


async def test_the_referral_form_refuses_a_date_far_away_and_the_future(api):
    async with signed_in(api, "clinician", REGION) as c:
        token = await csrf(c, "/henvisning")
        form = {
            "csrf": token,
            "idem": "",
            "cpr": cpr(),
            "municipality": "751",
            "source": "general_practice",
            "psychiatric_contact": "current",
            "municipal_substance_treatment": "ja",
            "mental_illness": "severe",
            "substance_problem": "ja",
            "reduced_functioning": "ja",
            "parallel_treatment_insufficient": "ja",
        }
        for day in ("9999-12-31", "0001-01-01", "2999-01-01"):
            refused(await c.post("/henvisning", data={**form, "received_on": day}), "Modtaget den")
        r = await c.post("/henvisning", data={**form, "received_on": ""})
        assert r.status_code == 200, text(r)[:400]


@pytest.mark.parametrize("path", ["/forloeb/%00", "/forloeb/x%00y", "/henvisninger/%00"])
async def test_an_address_with_nul_for_an_id_is_not_found(api, path):
    async with signed_in(api, "clinician", REGION) as c:
        r = await c.get(path)
        assert r.status_code == 404 and "Ikke fundet" in text(r)
        token = await csrf(c)
        r = await c.post(f"{path}/fase", data={"csrf": token, "to": "2"})
        assert r.status_code == 404


async def test_a_worklist_filter_with_nul_is_refused_not_a_server_error(api):
    async with signed_in(api, "clinician", REGION) as c:
        r = await c.get("/arbejdsliste", params={"type": NUL})
        assert r.status_code == 422
        assert (await c.get("/arbejdsliste", params={"type": "crisis_plan"})).status_code == 200


async def test_a_tampered_form_token_or_key_is_refused_not_a_server_error(api, http):
    """Found by the fuzzer: a CSRF token or an idempotency key with non-ASCII characters was a 500."""
    pathway_id = await accepted_pathway(http)
    async with signed_in(api, "clinician", REGION) as c:
        token = await csrf(c, f"/forloeb/{pathway_id}")
        r = await c.post(f"/forloeb/{pathway_id}/fase", data={"csrf": "\u009b\u00e6", "to": "2"})
        assert r.status_code == 403
        r = await c.post(f"/forloeb/{pathway_id}/fase", data={"csrf": token, "idem": "\u009f0\u0097", "to": "2"})
        assert r.status_code == 422 and "Idempotency-Key" in text(r)
