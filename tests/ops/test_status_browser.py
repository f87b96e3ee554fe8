"""The status page in headless Chromium at a phone's and a desktop's width: no sideways scrolling, no
policy violations, a stale worker shown red with what to do (screenshots in var/screenshots/)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from router.ops.marks import AUDIT_SEAL, BACKUP, ESCALATION_SWEEP, WORKER_HEARTBEAT, record_mark
from router.privacy.auth import create_user
from tests.board.helpers import watch_policy_violations
from tests.factories import PASSWORD, open_staff_session
from tests.fixtures.browser import CHROMIUM_ARGS, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}


async def test_the_status_page_fits_a_phone_and_a_desktop(live_server, domain):
    now = domain.clock.now()
    await record_mark(domain, WORKER_HEARTBEAT, {"host": "app-1", "pid": 4242}, at=now - timedelta(minutes=3))
    await record_mark(
        domain, ESCALATION_SWEEP, {"overdue": 0, "escalated": 0}, at=now - timedelta(seconds=70)
    )
    await record_mark(domain, AUDIT_SEAL, {"sealed": 3}, at=now - timedelta(seconds=4))
    backup = {"file": "leadrouter-20261204-0300.dump", "bytes": 48_200_000, "leads": 120_000, "seconds": 41}
    await record_mark(domain, BACKUP, backup, at=now - timedelta(hours=19))
    async with domain.sessionmaker() as session, session.begin():
        operator = await create_user(
            session,
            email="olivia@ops.example",
            display_name="Olivia",
            password=PASSWORD,
            role="platform_operator",
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for width, (w, h) in WIDTHS.items():
                context = await browser.new_context(viewport={"width": w, "height": h})
                token = await open_staff_session(domain, operator)
                await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
                page = await context.new_page()
                violations = watch_policy_violations(page)
                await page.goto(live_server.url + "/status")
                worker = page.locator(".status-item", has_text="Worker")
                assert "Down" in await worker.inner_text() and "What to do" in await worker.inner_text()
                assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
                await save_screenshot(page, str(SHOTS / f"status-{width}.png"))
                assert violations == []
                await context.close()
        finally:
            await browser.close()
