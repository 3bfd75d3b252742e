"""A group-2 phase-in campaign through the staff API on the dev server, and the CVD referral."""

from datetime import timedelta

from dualpath.domain import copenhagen
from tests.api.helpers import cpr
from tests.poll import eventually

REGION, MUNICIPALITY = "region:1084", "municipality:101"  # Hovedstaden, København
OTHER_MUNICIPALITY = "municipality:751"
TODAY = copenhagen.today()
HEADER = "cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit"
CRITERIA = {
    "mental_illness": "severe",
    "substance_problem": True,
    "reduced_functioning": True,
    "parallel_treatment_insufficient": True,
}


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


async def _upload(c, cid: str, side: str, body: bytes, status: int = 200) -> dict:
    r = await c.put(f"/campaigns/{cid}/lists/{side}", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == status, r.text
    return r.json()


async def _post(c, path: str, body: dict | None = None, status: int = 200) -> dict:
    r = await c.post(path, json=body if body is not None else {})
    assert r.status_code == status, r.text
    return r.json()


async def _open(c, meeting_in_days: int = 20) -> dict:
    return await _post(
        c,
        "/campaigns",
        {
            "centre": "Psykiatrisk Center København",
            "municipality": "101",
            "collaboration_meeting_on": str(TODAY + timedelta(days=meeting_in_days)),
        },
        status=201,
    )


def _by_row(campaign: dict, side: str) -> dict[int, dict]:
    return {p["row"]: p for p in campaign["people"] if side in p["on_lists"]}


async def test_a_campaign_with_two_lists_consent_sharing_and_a_too_early_meeting(http, pool, client):
    a, b, c_, d = cpr(), cpr(), cpr(), cpr()
    async with (
        http.as_("clinician", REGION) as clinic,
        http.as_("municipality", MUNICIPALITY) as kommune,
        http.as_("ops", "ops:national") as ops,
        http.as_("municipality", OTHER_MUNICIPALITY) as other,
    ):
        opened = await _open(clinic)
        cid = opened["campaign_id"]
        assert opened["phase"] == "collecting_lists" and opened["region"] == "1084"
        assert opened["share_by"] == str(TODAY + timedelta(days=6))
        # Only the region opens a campaign.
        r = await kommune.post(
            "/campaigns",
            json={"centre": "x", "municipality": "101", "collaboration_meeting_on": str(TODAY + timedelta(days=20))},
        )
        assert r.status_code == 403

        kkr = await kommune.put(
            f"/campaigns/{cid}/kkr-contacts",
            json={
                "contacts": [
                    {
                        "role": "rusmiddelleder",
                        "name_or_function": "leder, Rusmiddelcenter København",
                        "organisation": "Københavns Kommune",
                    }
                ]
            },
        )
        assert kkr.status_code == 200 and kkr.json()["kkr_contacts"][0]["role"] == "rusmiddelleder"

        # A bad row: 422 naming the row and the column, and nothing imported.
        bad = await _upload(
            clinic,
            cid,
            "clinic",
            _csv(f"{a};current;ja;Amb. Nord", "0101901234X;current;ja;", f"{b};current;maybe;"),
            status=422,
        )
        assert bad["error"] == "invalid_list" and "nothing imported" in bad["message"]
        assert {(f["row"], f["column"]) for f in bad["fields"]} == {(3, "cpr"), (4, "municipal_substance_treatment")}
        after_bad = (await clinic.get(f"/campaigns/{cid}")).json()
        assert after_bad["people"] == [] and after_bad["lists"] == {"clinic": 0, "municipality": 0}
        assert await pool.fetchval("SELECT count(*) FROM rm_campaign_people WHERE campaign_id = $1", cid) == 0

        # The good lists: the clinic's a, b, c; the municipality's b, c, d (b and c on both).
        await _upload(
            clinic, cid, "clinic", _csv(f"{a};current;ja;Amb. Nord", f"{b};within_last_year;ja;", f"{c_};current;ja;")
        )
        # The municipality uploads comma-separated; the side is its own.
        r = await kommune.put(
            f"/campaigns/{cid}/lists/clinic", content=_csv(f"{d};current;ja;"), headers={"Content-Type": "text/csv"}
        )
        assert r.status_code == 403
        muni = await _upload(
            kommune,
            cid,
            "municipality",
            _csv(f"{b},current,ja,", f"{c_},current,ja,", f"{d},within_last_year,ja,", header=HEADER.replace(";", ",")),
        )
        assert muni["lists"] == {"clinic": 3, "municipality": 3}
        # Before sharing each side sees only its own people; no CPR number anywhere.
        assert {p["row"] for p in muni["people"]} == {2, 3, 4} and all(
            p["psychiatric_contact"] is None for p in muni["people"]
        )
        assert cpr_free(muni, a, b, c_, d)
        clinic_view = (await clinic.get(f"/campaigns/{cid}")).json()
        assert len(clinic_view["people"]) == 3 and cpr_free(clinic_view, a, b, c_, d)
        ids = {row: p["patient_id"] for row, p in _by_row(clinic_view, "clinic").items()}
        pa, pb, pc = ids[2], ids[3], ids[4]
        pd = _by_row(muni, "municipality")[4]["patient_id"]
        assert _by_row(muni, "municipality")[2]["patient_id"] == pb

        # Consent per person per side: b and d from both sides; c only the clinic's (the municipality refuses).
        for pid in (pa, pb, pc):
            await _post(clinic, f"/campaigns/{cid}/people/{pid}/consent", {"state": "given", "form": "written"})
        for pid in (pb, pd):
            await _post(kommune, f"/campaigns/{cid}/people/{pid}/consent", {"state": "given", "form": "oral"})
        await _post(clinic, f"/campaigns/{cid}/people/{pd}/consent", {"state": "given"})
        await _post(kommune, f"/campaigns/{cid}/people/{pc}/consent", {"state": "refused"})
        shared = await _post(clinic, f"/campaigns/{cid}/share")
        assert shared["phase"] == "lists_shared" and shared["shared_on"] == str(TODAY)
        assert shared["earliest_meeting_on"] == str(TODAY + timedelta(days=14))
        marks = {p["patient_id"]: p for p in shared["people"]}
        # People without consent stay on the list, marked, and are not discussed.
        assert not marks[pc]["discussed"] and marks[pc]["not_discussed"].startswith("not discussed: no consent")
        assert not marks[pa]["discussed"] and "municipality not recorded" in marks[pa]["not_discussed"]
        assert marks[pb]["discussed"] and marks[pb]["not_discussed"] is None and pd in marks  # d shared with consent
        # Shared: the municipality now sees the clinic's a too (the clinic has a's consent), b and c as its own.
        muni_after = (await kommune.get(f"/campaigns/{cid}")).json()
        assert {p["patient_id"] for p in muni_after["people"]} == {pa, pb, pc, pd}
        assert shared["without_consent"] == 2

        # No list after sharing.
        await _upload(clinic, cid, "clinic", _csv(f"{a};current;ja;"), status=409)
        # Too early: refused with the earliest date, nothing recorded.
        early = await _post(clinic, f"/campaigns/{cid}/collaboration-meeting", {"held_on": str(TODAY)}, status=409)
        assert str(TODAY + timedelta(days=14)) in early["message"] and "at the earliest" in early["message"]
        # Deciding for a person without consent: refused, not discussed.
        refused = await _post(
            clinic,
            f"/campaigns/{cid}/people/{pc}/decision",
            {"decision": "integrated", "from_date": str(TODAY + timedelta(days=30))},
            status=409,
        )
        assert "not discussed without consent" in refused["message"]
        # With consent, but the meeting has not been held.
        not_yet = await _post(
            clinic,
            f"/campaigns/{cid}/people/{pb}/decision",
            {"decision": "integrated", "from_date": str(TODAY + timedelta(days=30))},
            status=409,
        )
        assert "collaboration meeting" in not_yet["message"]
        # The municipality does not record decisions.
        await _post(kommune, f"/campaigns/{cid}/people/{pb}/decision", {"decision": "not_relevant"}, status=403)

        # Reads: ops see the process state, no people; another municipality sees nothing.
        seen = (await ops.get(f"/campaigns/{cid}")).json()
        assert seen["phase"] == "lists_shared" and seen["people"] == [] and seen["lists"]["clinic"] == 3
        assert (await other.get(f"/campaigns/{cid}")).status_code == 404
        assert cid not in {x["campaign_id"] for x in (await other.get("/campaigns")).json()}
        listed = (await kommune.get("/campaigns", params={"phase": "lists_shared"})).json()
        assert cid in {x["campaign_id"] for x in listed}
        template = await kommune.get("/campaigns/template.csv")
        assert template.status_code == 200 and template.text.startswith(HEADER)

    events = await pool.fetch("SELECT data::text AS d FROM events WHERE stream_id = $1", f"campaign-{cid}")
    assert len(events) >= 10 and not any(n in e["d"] for e in events for n in (a, b, c_, d))
    logged = await pool.fetchval("SELECT count(*) FROM access_log WHERE action LIKE '%/campaigns/{campaign_id}%'")
    assert logged >= 10

    # The Temporal UI's view: the campaign's search attributes (the running run: the campaign may have
    # continued as new on the test server's short history limit).
    async def _found() -> list:
        return [
            w.id
            async for w in client.list_workflows(
                f'PathwayKind = "campaign" AND Region = "1084" AND Municipality = "101" AND Phase = "lists_shared" '
                f'AND WorkflowId = "campaign-1084-{cid}" AND ExecutionStatus = "Running"'
            )
        ]

    assert await eventually(_found, what="the campaign listed by its search attributes") == [f"campaign-1084-{cid}"]


def cpr_free(answer: dict, *numbers: str) -> bool:
    text = str(answer)
    return not any(n in text for n in numbers)


async def test_a_cvd_referral_is_an_ordinary_referral_within_the_last_year(http, pool):
    async with http.as_("municipality", MUNICIPALITY) as kommune, http.as_("clinician", REGION) as clinic:
        body = {"cpr": cpr(), "treatment_ended_on": str(TODAY - timedelta(days=100)), "criteria": CRITERIA}
        r = await kommune.post("/cvd-referrals", json=body)
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["group"] == 2 and out["region"] == "1084" and out["status"] == "awaiting_visitation"
        assert "central visitation unit (CVD) of region 1084" in out["routed_to"]
        row = await pool.fetchrow(
            "SELECT source, municipality FROM rm_referrals WHERE referral_id = $1", out["referral_id"]
        )
        assert dict(row) == {"source": "municipality", "municipality": "101"}
        # Ended more than a year ago: not a CVD referral.
        too_old = await kommune.post(
            "/cvd-referrals", json={**body, "treatment_ended_on": str(TODAY - timedelta(days=400))}
        )
        assert too_old.status_code == 422 and "within the last year" in too_old.json()["message"]
        # Municipality staff only, for their own citizens.
        assert (await clinic.post("/cvd-referrals", json=body)).status_code == 403
        assert (await kommune.post("/cvd-referrals", json={**body, "municipality": "751"})).status_code == 403
