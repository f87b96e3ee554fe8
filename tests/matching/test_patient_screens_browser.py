"""The screens this work touched, in headless Chromium at 390 and 1440 px: the board card's
"Existing patient", the lead page's, the settings screen's matching and outcome fields, and the
funnel's cancelled bookings. No sideways scrolling, no policy violations; screenshots in
var/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from router.matching.patients import SyncedPatients
from router.matching.queue import match_practice
from tests.board.helpers import watch_policy_violations
from tests.factories import make_practice, open_staff_session
from tests.fixtures.browser import CHROMIUM_ARGS
from tests.matching.helpers import new_lead, stored_patient, visit

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}


async def _practice(domain):
    practice = await make_practice(domain, staff={"maya@bright.example": {"name": "Maya", "role": "manager"}})
    lead = await new_lead(
        domain, practice, first_name="Marisol", last_name="Quintero", phone="(512) 555-0161", zip="78704"
    )
    patient = await stored_patient(
        domain,
        practice.practice.id,
        first_name="Marisol",
        last_name="Quintero",
        phone="+15125550161",
        zip="78704",
    )
    await visit(domain, practice, patient, starts_at=domain.clock.now() - timedelta(days=200))
    await match_practice(domain, SyncedPatients(domain.cipher), practice.practice.id, now=domain.clock.now())
    cancelled = await new_lead(
        domain, practice, first_name="Dana", last_name="Cole", phone="(512) 555-0170", email="d@example.org"
    )
    await visit(
        domain,
        practice,
        None,
        starts_at=domain.clock.now() + timedelta(days=2),
        status="cancelled",
        lead_id=cancelled,
    )
    return practice, lead


async def test_the_touched_screens_fit_a_phone_and_a_desktop(live_server, domain):
    practice, lead = await _practice(domain)
    token = await open_staff_session(domain, practice.staff["maya@bright.example"])
    screens = {
        "board-existing-patient": ("/", f"#lead-{lead} .existing-patient"),
        "lead-existing-patient": (f"/leads/{lead}", ".existing-patient"),
        "settings-patients-outcomes": ("/admin/settings", "#match_auto_link"),
        "funnel-cancelled": ("/funnel", ".funnel-cancelled"),
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for width, (w, h) in WIDTHS.items():
                for name, (path, selector) in screens.items():
                    context = await browser.new_context(viewport={"width": w, "height": h})
                    await context.add_cookies(
                        [{"name": "lr_session", "value": token, "url": live_server.url}]
                    )
                    page = await context.new_page()
                    violations = watch_policy_violations(page)
                    answer = await page.goto(live_server.url + path)
                    assert answer.status == 200, (name, answer.status)
                    if path == "/":
                        await page.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
                        await page.locator(f"#lead-{lead} .lead-contact").scroll_into_view_if_needed()
                    await page.wait_for_selector(selector, timeout=10_000)  # the card's side loads in view
                    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, (name, width, overflow)
                    assert violations == [], (name, violations)
                    await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                    await context.close()
        finally:
            await browser.close()
