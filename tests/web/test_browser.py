"""The staff pages end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser is ever downloaded). Few and bounded: the forms' details are
covered over plain HTTP in test_pages.py.

`make screenshots` runs the last test with DUALPATH_SCREENSHOTS_DIR=docs/screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.api.helpers import accepted_pathway, close_open_tasks, cpr
from tests.web.helpers import shared_and_private

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REGION = "region:1082"

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    expect = None

pytestmark = [
    pytest.mark.skipif(expect is None, reason="playwright is not installed (pip install -e '.[dev]')"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=(
            "Debian's chromium is not installed at /usr/bin/chromium: `make install` installs it when run as root "
            "with apt (apt-get install chromium); these tests never download a browser"
        ),
    ),
]


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    # Generous waits: the machine running the suite may be busy (CI, other suites).
    expect.set_options(timeout=20_000)

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True, timeout=30_000)
        yield b
        await b.close()


@pytest.fixture
async def page(browser, api):
    context = await browser.new_context(
        base_url=api, viewport={"width": 1280, "height": 900}, locale="da-DK", timezone_id="Europe/Copenhagen"
    )
    context.set_default_timeout(20_000)
    p = await context.new_page()
    yield p
    await context.close()


async def sign_in(page, role: str, org: str) -> None:
    await page.goto("/sign-in")
    await page.check(f'input[name="role"][value="{role}|{org}"]')
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Arbejdsliste", exact=True)).to_be_visible()


async def sign_out(page) -> None:
    await page.get_by_role("button", name="Log ud").click()
    await expect(page.get_by_text("Du er logget ud.")).to_be_visible()


async def submit(page, form_id: str, button: str) -> None:
    await page.locator(f"#{form_id}").get_by_role("button", name=button).click()


async def test_refer_accept_move_phases_and_plan_a_discharge_before_easter(page):
    # A clinician refers (the henvisning form with the eligibility criteria).
    await sign_in(page, "clinician", REGION)
    await page.get_by_role("link", name="Ny henvisning").click()
    await expect(page.get_by_text("Visitationskriterier – alle fire skal være opfyldt")).to_be_visible()
    await page.fill('input[name="cpr"]', cpr())
    await page.select_option('select[name="municipality"]', "751")
    await page.select_option('select[name="source"]', "psychiatric_clinic")
    await page.check('input[name="psychiatric_contact"][value="current"]')
    await page.check('input[name="municipal_substance_treatment"][value="ja"]')
    await page.select_option('select[name="mental_illness"]', "severe")
    for criterion in ("substance_problem", "reduced_functioning", "parallel_treatment_insufficient"):
        await page.check(f'input[name="{criterion}"][value="ja"]')
    await submit(page, "form-referral", "Send henvisningen")
    await expect(page.get_by_test_id("referral-status")).to_have_text("Afventer visitation")
    referral_href = await page.get_by_test_id("open-referral").get_attribute("href")
    await sign_out(page)

    # Psychiatry's visitation accepts it from its worklist: the pathway starts in phase 1.
    await sign_in(page, "visitation", REGION)
    await page.locator(f'a[href="{referral_href}"]').click()
    await submit(page, "form-decision", "Registrér afgørelsen")
    await expect(page.get_by_text("Henvisningen er accepteret")).to_be_visible()
    await expect(page.get_by_test_id("phase")).to_have_text("1 Opstart")
    await expect(page.locator("#form-phase")).to_have_count(0)  # visitation does not move phases
    pathway_url = page.url
    await sign_out(page)

    # The clinician: a move with open tasks is refused with the engine's reason; the input stays.
    await sign_in(page, "clinician", REGION)
    await page.goto(pathway_url)
    await page.check('#form-phase input[name="to"][value="2"]')
    await page.fill('#form-phase textarea[name="reason"]', "kaotisk hverdag")
    await submit(page, "form-phase", "Flyt forløbet")
    await expect(page.get_by_test_id("refusal")).to_contain_text("Motoren afviste handlingen")
    await expect(page.locator("#form-phase .refusal")).to_contain_text("Åbne opgaver")
    await expect(page.locator('#form-phase textarea[name="reason"]')).to_have_value("kaotisk hverdag")

    # Consent closes its own task; the other tasks are closed one by one.
    await page.get_by_text("Registrér samtykke…").click()
    await submit(page, "form-consent", "Registrér samtykket")
    await expect(page.get_by_text("Samtykket er registreret.")).to_be_visible()
    await expect(page.locator("#samtykker")).to_contain_text("Givet")

    async def close_all_tasks():
        while await page.locator("#opgaver li.task[data-task]").count():
            task_id = await page.locator("#opgaver li.task[data-task]").first.get_attribute("data-task")
            item = page.locator(f'#opgaver li.task[data-task="{task_id}"]')
            await item.locator("summary").click()
            await item.get_by_role("button", name="Luk opgave").click()
            await expect(item).to_have_count(0)
            await expect(page.get_by_text("Opgaven er lukket.")).to_be_visible()

    await close_all_tasks()
    await page.check('#form-phase input[name="to"][value="2"]')
    await submit(page, "form-phase", "Flyt forløbet")
    await expect(page.get_by_test_id("phase")).to_have_text("2 Ustabil")
    await expect(page.locator(".phase-strip .step.current")).to_contain_text("Ustabil")
    await expect(page.locator("svg.process g.phase.current")).to_have_attribute("data-node", "fase_2")
    await close_all_tasks()
    await expect(page.locator('#form-phase input[name="to"]')).to_have_count(1)  # from 2 only to 3
    await submit(page, "form-phase", "Flyt forløbet")
    await expect(page.get_by_test_id("phase")).to_have_text("3 Stabil")
    await expect(page.locator("#historik")).to_contain_text("Fase 2 Ustabil → 3 Stabil")

    # An admission, and a discharge planned for Wednesday before Easter 2026.
    await page.get_by_text("Registrér en indlæggelse…").click()
    await page.fill('#form-admit input[name="ward"]', "P3")
    await page.fill('#form-admit input[name="admitted_on"]', "2026-03-20")
    await submit(page, "form-admit", "Registrér indlæggelsen")
    await expect(page.get_by_text("Indlæggelsen er registreret.")).to_be_visible()
    stay = page.locator("article.stay").first
    await stay.locator('input[name="planned_date"]').fill("2026-04-01")
    await stay.get_by_role("button", name="Vis motorens råd").click()
    warning = page.get_by_test_id("discharge-warning")
    await expect(warning).to_contain_text("Maundy Thursday")
    await expect(page.get_by_test_id("proposed-date")).to_contain_text("tirsdag 31. marts 2026")
    await expect(page.get_by_test_id("followups").locator('[data-kind="home_visit"]')).to_contain_text(
        "tirsdag 7. april 2026"
    )
    await expect(page.get_by_test_id("discharge-advice")).to_contain_text("Netværksmøde")
    # The proposed date in one click: the advice is given again, now without a warning.
    await page.get_by_role("button", name=re.compile("Brug den foreslåede dato")).click()
    await expect(page.get_by_test_id("discharge-advice")).to_contain_text("Ingen advarsel")
    await expect(page.locator('input[name="discharged_on"]')).to_have_value("2026-03-31")


async def test_municipality_staff_see_only_what_consent_allows(page, http):
    shared, private = await shared_and_private(http)
    await sign_in(page, "municipality", "municipality:751")
    await page.get_by_role("link", name="Forløb", exact=True).click()
    await expect(page.locator(f'a[href="/forloeb/{shared}"]')).to_be_visible()
    await expect(page.locator(f'a[href="/forloeb/{private}"]')).to_have_count(0)
    await page.locator(f'a[href="/forloeb/{shared}"]').click()
    await expect(page.get_by_test_id("phase")).to_have_text("1 Opstart")
    await expect(page.locator("#samtykker")).to_contain_text("Dialog mellem region og kommune")
    await expect(page.locator("#historik")).to_contain_text("Din rolle ser hvad og hvornår")
    await expect(page.locator("#historik .ev-by")).to_have_count(0)  # not who
    await expect(page.locator("form.action")).to_have_count(0)  # no commands for this role
    await page.goto(f"/forloeb/{private}")
    await expect(page.get_by_role("heading", name="Ikke fundet")).to_be_visible()


async def _pathway_for_screenshots(http) -> str:
    """A pathway with some history: phase 2, consent, a held network meeting with a plan,
    and a finished admission whose home visit is overdue (red on the worklist)."""
    pathway_id = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        await close_open_tasks(c, pathway_id)
        await c.post(f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 2, "reason": "tiltagende kaos"})
        stay = (
            await c.post(
                f"/pathways/{pathway_id}/admissions",
                json={"via": "acute_function", "ward": "P3", "admitted_on": "2026-03-20"},
            )
        ).json()
        r = await c.post(
            f"/pathways/{pathway_id}/consents",
            json={"scope": "inform_municipal_treatment", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.status_code == 200, r.text
        for to in (2, 3, 4):
            for t in (await c.get(f"/pathways/{pathway_id}")).json()["tasks"]:
                if t["state"] == "open" and t["stay_id"]:
                    r = await c.post(f"/pathways/{pathway_id}/tasks/{t['task_id']}/complete", json={"outcome": "done"})
                    # The consent just recorded closes its own task on the stay, maybe after we read it.
                    assert r.status_code == 200 or "closed already" in r.text, r.text
            r = await c.post(f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/phase", json={"to": to})
            assert r.status_code == 200, r.text
        r = await c.post(
            f"/pathways/{pathway_id}/admissions/{stay['stay_id']}/discharge",
            json={"discharged_on": "2026-03-31", "meeting_reason": "patienten ønskede ikke et netværksmøde"},
        )
        assert r.status_code == 200, r.text
        meeting = (
            await c.post(
                f"/pathways/{pathway_id}/meetings",
                json={
                    "kind": "network_meeting",
                    "purpose": "Aftale om kriseplan og fælles mål",
                    "participants": [
                        {"role": "behandler", "organisation": REGION},
                        {"role": "rusmiddelbehandler", "organisation": "municipality:751"},
                    ],
                },
            )
        ).json()
        await c.post(
            f"/pathways/{pathway_id}/meetings/{meeting['meeting_id']}/held",
            json={
                "held_on": meeting["called_on"],
                "outcome": "Fælles mål aftalt; kriseplan næste uge",
                "joint_plan": {
                    "kind": "koordinationsplan",
                    "summary": "Hvem gør hvad de næste fire uger",
                    "agreed_by": [
                        {"role": "behandler", "organisation": REGION},
                        {"role": "rusmiddelbehandler", "organisation": "municipality:751"},
                    ],
                },
            },
        )
    return pathway_id


async def test_screenshots_of_the_worklist_and_the_pathway(page, http, tmp_path):
    target = Path(os.environ.get("DUALPATH_SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    pathway_id = await _pathway_for_screenshots(http)
    await accepted_pathway(http)  # a fresh one too: phase 1's four tasks
    await sign_in(page, "clinician", REGION)
    await page.goto("/arbejdsliste")
    await expect(page.locator("table.worklist tr.overdue").first).to_be_visible()
    await page.screenshot(path=str(target / "worklist.png"))
    await page.goto(f"/forloeb/{pathway_id}")
    await expect(page.get_by_test_id("phase")).to_have_text("2 Ustabil")
    await page.screenshot(path=str(target / "pathway.png"), full_page=True)
    for name in ("worklist.png", "pathway.png"):
        assert (target / name).stat().st_size > 20_000
    if not os.environ.get("DUALPATH_SCREENSHOTS_DIR"):
        shutil.rmtree(tmp_path, ignore_errors=True)
