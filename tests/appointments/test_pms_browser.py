"""The PMS settings screen and a lead's pending booking, in headless Chromium at 390 and 1440 px
(no sideways scrolling, no policy violations; screenshots in var/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select

from router.appointments.booking import booking_from_form
from router.appointments.pms_settings import import_export
from router.appointments.sync import sync_practice
from router.core.models import Appointment
from router.leads import actions
from router.privacy.audit import Actor
from tests.appointments.helpers import PATIENTS
from tests.board.helpers import new_lead, watch_policy_violations
from tests.factories import open_staff_session, viewer_of
from tests.fixtures.browser import CHROMIUM_ARGS, save_screenshot
from tests.fixtures.pms import connect_practice

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}


async def test_the_settings_screen_and_a_pending_booking_fit_a_phone_and_a_desktop(
    live_server, domain, fhir_server
):
    connected = await connect_practice(
        domain,
        fhir_server,
        staff={
            "ana@bright.example": {"name": "Ana Ruiz"},
            "maya@bright.example": {"name": "Maya", "role": "manager"},
        },
    )
    maya = connected.practice.staff["maya@bright.example"]
    ana = await viewer_of(domain, connected.practice.staff["ana@bright.example"])
    manager = await viewer_of(domain, maya)
    await import_export(
        domain, manager, text=PATIENTS, file_name="patients.csv", actor=Actor("user", str(maya.id))
    )
    fhir_server.change({"resourceType": "Patient", "name": [{"family": "Stone", "given": ["Ben"]}]})
    await sync_practice(domain, connected.practice_id)
    fhir_server.down = True
    await sync_practice(domain, connected.practice_id)
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    await actions.close_lead(
        domain,
        ana,
        lead_id,
        reason="appointment_booked",
        actor=Actor("user", str(ana.user_id)),
        booking=booking_from_form({"appointment_at": "2031-03-04T09:30"}),
    )
    async with domain.sessionmaker() as session:
        assert (await session.scalar(select(Appointment.pms_state))) == "pending"

    screens = {"pms-settings": "/admin/pms", "lead-pending-in-pms": f"/leads/{lead_id}"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = await open_staff_session(domain, maya)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for width, (w, h) in WIDTHS.items():
                for name, path in screens.items():
                    context = await browser.new_context(viewport={"width": w, "height": h})
                    await context.add_cookies(
                        [{"name": "lr_session", "value": token, "url": live_server.url}]
                    )
                    page = await context.new_page()
                    violations = watch_policy_violations(page)
                    answer = await page.goto(live_server.url + path)
                    assert answer.status == 200, (name, answer.status)
                    text = await page.inner_text("main")
                    if name == "pms-settings":
                        assert "failing" in text and "1 pending in PMS" in text and "file upload" in text
                    else:
                        assert "pending in PMS" in text
                    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, (name, width, overflow)
                    assert violations == [], (name, violations)
                    await save_screenshot(page, str(SHOTS / f"{name}-{width}.png"))
                    await context.close()
        finally:
            await browser.close()
