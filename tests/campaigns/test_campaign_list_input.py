"""A campaign list (CSV) with text the engine cannot take is refused row by row, and the campaign goes on.

Over real HTTP: a cell with NUL or a control character, a file that is neither UTF-8 nor Windows-1252,
a CPR number whose birth date has not come: 422 naming the row and the column, nothing imported, the
text never echoed; afterwards the campaign takes a normal command (a good list, the KKR contacts).
"""

from datetime import timedelta

from dualpath.domain import copenhagen
from tests.api import liveness
from tests.api.helpers import cpr

REGION = "region:1084"
HEADER = "cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit"


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


async def _upload(c, cid: str, body: bytes):
    return await c.put(f"/campaigns/{cid}/lists/clinic", content=body, headers={"Content-Type": "text/csv"})


async def test_a_list_with_unstorable_text_is_refused_and_the_campaign_goes_on(http):
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            "/campaigns",
            json={
                "centre": "Psykiatrisk Center København",
                "municipality": "101",
                "collaboration_meeting_on": str(copenhagen.today() + timedelta(days=20)),
            },
        )
        assert r.status_code == 201, r.text
        cid = r.json()["campaign_id"]
        a, b = cpr(), cpr()
        for unit, what in [("Amb\u0000Nord", "U+0000"), ("Amb\u001bNord", "U+001B"), ("Amb\tNord", "single line")]:
            r = await _upload(c, cid, _csv(f"{a};current;ja;{unit}", f"{b};current;ja;Amb Syd"))
            assert r.status_code == 422, r.text
            assert [(f["row"], f["column"]) for f in r.json()["fields"]] == [(2, "clinic_or_unit")]
            assert what in r.json()["message"] and "Amb" not in r.json()["message"]
        r = await _upload(c, cid, HEADER.encode() + b"\n" + a.encode() + b";current;ja;Amb \x81\x8d\n")
        assert r.status_code == 422 and "neither UTF-8 nor Windows-1252" in r.json()["message"], r.text
        born_later = f"0101{(copenhagen.today().year + 1) % 100:02d}4123"
        r = await _upload(c, cid, _csv(f"{born_later};current;ja;", f"{b};current;ja;"))
        assert r.status_code == 422 and r.json()["fields"][0]["column"] == "cpr", r.text
        assert born_later not in r.text
        assert (await c.get(f"/campaigns/{cid}")).json()["lists"] == {"clinic": 0, "municipality": 0}
        # The campaign goes on: a good list, and the KKR contacts.
        r = await _upload(c, cid, _csv(f"{a};current;ja;Amb Nord", f"{b};current;ja;"))
        assert r.status_code == 200 and r.json()["lists"]["clinic"] == 2, r.text
        await liveness.campaign_takes_a_command(c, cid)
