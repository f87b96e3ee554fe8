"""The match review page in headless Chromium at 390 and 1440 px: both sides readable, no sideways
scrolling, no policy violations, a decision made with one click (screenshots in var/screenshots/)."""

from __future__ import annotations

import pytest

from router.matching.queue import match_leads_task
from tests.factories import make_practice
from tests.fixtures.browser import save_screenshot
from tests.fixtures.live import LiveServer, serve_in_thread
from tests.fixtures.screens import SHOTS, WIDTHS, open_page
from tests.matching.helpers import STAFF, _people

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def live_server(settings, domain, patient_book):
    """The production app on a free port, its own runtime reading the same patient book."""
    from leadrouter.runtime import build_runtime, build_web_app

    runtime = build_runtime(settings)
    runtime.domain.patients = patient_book
    server, thread, url = serve_in_thread(build_web_app(runtime))
    try:
        yield LiveServer(url, None)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def test_the_review_page_fits_and_a_decision_takes_one_click(
    chromium, live_server, domain, patient_book
):
    bright = await make_practice(domain, staff=STAFF)
    await _people(domain, bright, patient_book)
    await match_leads_task({"domain": domain})
    boss = bright.staff["boss@bright.example"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context, page = await open_page(chromium, live_server, domain, boss, "/matching/review", width=width)
        assert page.policy_violations == []
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, width
        await save_screenshot(page, str(SHOTS / f"matching-review-{width}.png"))
        await context.close()
    context, page = await open_page(chromium, live_server, domain, boss, "/matching/review")
    await page.get_by_role("button", name="Different people").click()
    await page.wait_for_load_state()
    assert "will not be asked again" in await page.locator("p.notice").inner_text()
    await context.close()
