"""The referral portal in headless Chromium: a referral reaches the board live, its status reaches the
physician, another physician never sees it; the pages at phone and desk widths, with screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select

from router.core.models import Referral
from router.leads.actions import log_contact_made
from router.privacy.audit import Actor
from router.referrals.destinations import destinations_for
from router.referrals.submit import send_referral
from tests.board.helpers import watch_policy_violations
from tests.factories import open_staff_session, viewer_of
from tests.fixtures.browser import save_screenshot
from tests.fixtures.referrers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SCREENSHOTS = Path("var/screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
async def browser():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_as(browser, live_server, domain, user, path, width=1440):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": width, "height": 900})
    token = await open_staff_session(domain, user)
    await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    page.policy_violations = watch_policy_violations(page)
    await page.goto(live_server.url + path)
    return context, page


async def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


async def test_a_referral_reaches_the_board_live_and_its_status_reaches_only_its_physician(
    browser, live_server, domain, referral_world
):
    desk_context, board = await open_as(
        browser, live_server, domain, referral_world.person("desk@bright.example"), "/"
    )
    await board.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
    doc_context, portal = await open_as(
        browser, live_server, domain, referral_world.person("house@hill.example"), "/referrals/new"
    )
    await portal.fill("#first_name", "Rosa")
    await portal.fill("#last_name", "Quintero")
    await portal.fill("#phone", "(512) 555-0142")
    await portal.fill("#date_of_birth", "2014-05-02")
    await portal.select_option("#destination", label="Bright Dental: Downtown Office")
    await portal.check("input[name=urgency][value=urgent]")
    await portal.fill("#reason", "Crossbite, needs an orthodontic evaluation")
    await portal.set_input_files(
        "#attachments", {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await save_screenshot(portal, str(SCREENSHOTS / "referral-form-filled-1440.png"))
    await portal.click("form.referral-form button[type=submit]")
    await portal.wait_for_url("**/referrals?sent=1")
    assert "Rosa Quintero" in await portal.inner_text("#referral-list")

    row = board.locator("li.lead", has_text="Rosa Quintero")
    await row.wait_for(timeout=5000)
    assert "Urgent referral" in await row.inner_text()

    async with domain.sessionmaker() as session:
        referral = await session.scalar(select(Referral))
    desk = referral_world.person("desk@bright.example")
    await log_contact_made(
        domain,
        await viewer_of(domain, desk),
        referral.lead_id,
        channel="phone",
        actor=Actor("user", str(desk.id)),
    )
    status = portal.locator(f"#referral-{referral.id} .referral-status")
    await status.filter(has_text="Contacted").wait_for(timeout=15000)  # the page's own refresh
    await save_screenshot(portal, str(SCREENSHOTS / "referrals-status-1440.png"))
    assert portal.policy_violations == [] and board.policy_violations == []

    other_context, other = await open_as(
        browser, live_server, domain, referral_world.person("cuddy@lake.example"), "/"
    )
    assert other.url.endswith("/referrals")  # a physician's landing page, never the board
    assert "Rosa" not in await other.content()
    for context in (desk_context, doc_context, other_context):
        await context.close()


@pytest.mark.parametrize("width", [390, 1440])
async def test_the_portal_and_the_scorecards_fit_phone_and_desk_widths(
    browser, live_server, domain, referral_world, width
):
    house = referral_world.person("house@hill.example")
    viewer = await viewer_of(domain, house)
    async with domain.sessionmaker() as session:
        destination = (await destinations_for(session, viewer))[0].value
    for first, urgency in (("Rosa", "urgent"), ("Tomas", "routine")):
        form = {
            "first_name": first,
            "last_name": "Quintero",
            "phone": f"(512) 555-01{len(first)}2",
            "destination": destination,
            "urgency": urgency,
            "reason": "Crossbite, needs an orthodontic evaluation",
            "submission_key": first,
        }
        sent = await send_referral(
            domain, viewer, form, [("letter.pdf", PDF)], actor=Actor("user", str(house.id))
        )
        if first == "Rosa":
            desk = referral_world.person("desk@bright.example")
            await log_contact_made(
                domain, await viewer_of(domain, desk), sent.lead_id, channel="phone", actor=Actor("user", "t")
            )
    pages = (
        ("house@hill.example", "/referrals", "referrals"),
        ("house@hill.example", "/referrals/new", "referral-form"),
        ("maya@bright.example", "/referrers", "referrers"),
    )
    for email, path, name in pages:
        context, page = await open_as(browser, live_server, domain, referral_world.person(email), path, width)
        await save_screenshot(page, str(SCREENSHOTS / f"{name}-{width}.png"))
        assert await no_sideways_scroll(page), (path, width)
        assert page.policy_violations == [], path
        await context.close()
