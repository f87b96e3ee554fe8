"""The board's groups, order and filters in headless Chromium: Needs contact (escalated, then urgent,
then score), In progress, Recently closed (folded); Mine / Unassigned / All and office tabs with
counts, remembered for the person; compact rows; keyboard reach; 1440 and 390 px screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from router.core.events import record_event
from router.core.models import Lead
from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import TWO_OFFICES, new_lead, until_true
from tests.factories import make_practice, open_staff_session, viewer_of
from tests.fixtures.browser import CHROMIUM_ARGS, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_board(browser, server, token, width=1440, height=900):
    context = await browser.new_context(viewport={"width": width, "height": height})
    await context.add_cookies([{"name": "lr_session", "value": token, "url": server.url}])
    page = await context.new_page()
    await page.goto(server.url + "/")
    await page.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
    return context, page


async def ids_in(page, group):
    return await page.evaluate(
        f"""Array.from(document.querySelectorAll('ol[data-group="{group}"] > li.lead'))
            .filter(row => getComputedStyle(row).display !== 'none').map(row => row.id.slice(5))"""
    )


async def count(page, selector):
    return (await page.inner_text(selector)).strip()


async def test_groups_order_and_filters(browser, live_server, domain):
    practice = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={
            "boss@bright.example": {"role": "manager", "name": "Bo Lee"},
            "ana@bright.example": {"locations": ["downtown"], "name": "Ana Ruiz"},
        },
    )
    boss = await viewer_of(domain, practice.staff["boss@bright.example"])
    ana = await viewer_of(domain, practice.staff["ana@bright.example"])
    plain = await new_lead(
        domain, practice, location="downtown", first_name="Plain", message="Cleaning please"
    )
    urgent = await new_lead(
        domain,
        practice,
        location="lakeway",
        first_name="Urgent",
        message="Tooth broke, in pain, need help today",
    )
    escalated = await new_lead(domain, practice, location="downtown", first_name="Late", message="Braces?")
    mine = await new_lead(domain, practice, location="lakeway", first_name="Mine", message="Implants")
    closed = await new_lead(domain, practice, location="downtown", first_name="Done", message="Whitening")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).values(assigned_user_id=None, assigned_at=None, score=50))
        await session.execute(update(Lead).where(Lead.id == plain).values(score=90))
        (await session.get(Lead, escalated)).escalation_level = 1
        await record_event(
            session,
            kind="lead.escalated",
            practice_id=practice.practice.id,
            location_id=practice.locations["downtown"].id,
            lead_id=escalated,
        )
    await actions.claim_lead(domain, boss, mine, actor=Actor("user", str(boss.user_id)))
    await actions.close_lead(domain, boss, closed, reason="spam", actor=Actor("user", str(boss.user_id)))

    token = await open_staff_session(domain, practice.staff["boss@bright.example"])
    context, page = await open_board(browser, live_server, token)
    # Escalated first, then the one who says it is urgent, then score (the plain lead scores 90).
    assert await ids_in(page, "needs") == [str(escalated), str(urgent), str(plain)]
    assert await ids_in(page, "progress") == [str(mine)]
    assert await count(page, '[data-count-group="needs"]') == "3"
    assert await count(page, '[data-count-group="closed"]') == "1"
    assert not await page.is_visible(f"#lead-{closed}")  # the closed group starts folded
    assert "says urgent" in await page.inner_text(f"#lead-{urgent}")
    assert "The rule" not in await page.inner_text(".order-rule") and "escalated first" in (
        await page.inner_text(".order-rule")
    )
    await save_screenshot(page, str(SHOTS / "board-groups-1440.png"))

    # Keyboard: reach the Mine tab and press it; counts say how many each filter holds.
    assert await count(page, '[data-count-filter="mine"]') == "1"
    assert await count(page, '[data-count-filter="unassigned"]') == "3"
    await page.focus('.board-filters button[data-filter="mine"]')
    await page.keyboard.press("Enter")
    assert await ids_in(page, "needs") == [] and await ids_in(page, "progress") == [str(mine)]
    assert await count(page, '[data-count-group="needs"]') == "0"
    assert await page.is_visible("section.board-group:first-child .empty-note")
    await page.click('.board-filters button[data-filter="all"]')
    await page.click(f'.board-filters button[data-location="{practice.locations["lakeway"].id}"]')
    assert await ids_in(page, "needs") == [str(urgent)]

    # A push moves a lead between groups: Ana claims the plain lead and it leaves Needs contact.
    await page.click('.board-filters button[data-location="all"]')
    await actions.claim_lead(domain, ana, plain, actor=Actor("user", str(ana.user_id)))
    await until_true(page, f"document.querySelector('ol[data-group=\"progress\"] #lead-{plain}') !== null")
    assert await ids_in(page, "needs") == [str(escalated), str(urgent)]
    await page.click(".closed-group summary")
    assert await page.is_visible(f"#lead-{closed}") and "Spam" in await page.inner_text(f"#lead-{closed}")

    # Compact rows, and the view is remembered for the person (on any device).
    await page.click("#compact-toggle")
    await page.click('.board-filters button[data-filter="unassigned"]')
    assert not await page.is_visible(f"#lead-{urgent} .lead-actions")
    assert await ids_in(page, "progress") == [] and await ids_in(page, "needs") == [
        str(escalated),
        str(urgent),
    ]
    await page.click(f"#lead-{urgent} button.expand")
    await page.wait_for_selector(f"#lead-{urgent} .lead-actions", state="visible")
    await save_screenshot(page, str(SHOTS / "board-compact-1440.png"))
    await page.wait_for_timeout(300)  # the view's save is a background request
    await context.close()

    phone, small = await open_board(browser, live_server, token, 390, 844)
    assert (
        await small.get_attribute('.board-filters button[data-filter="unassigned"]', "aria-pressed") == "true"
    )
    assert await small.evaluate("document.body.classList.contains('compact')")
    assert await small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await save_screenshot(small, str(SHOTS / "board-compact-390.png"))
    await small.click("#compact-toggle")
    await small.click('.board-filters button[data-filter="all"]')
    assert await small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await save_screenshot(small, str(SHOTS / "board-groups-390.png"))
    await phone.close()


async def test_the_close_form_answers_beside_its_fields_and_the_card_says_what_was_done(
    browser, live_server, domain
):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    lead_id = await new_lead(domain, practice, first_name="Closing")
    token = await open_staff_session(domain, practice.staff["ana@bright.example"])
    context, page = await open_board(browser, live_server, token)
    card = f"#lead-{lead_id}"
    await page.click(f"{card} button.when-unclaimed")
    await until_true(page, f"document.querySelector('{card} .lead-feedback').textContent.includes('Claimed')")
    await until_true(page, f"document.querySelector('ol[data-group=\"progress\"] {card}') !== null")
    assert "Claimed: it is yours now." in await page.inner_text(
        f"{card} .lead-feedback"
    )  # kept across the push

    await page.click(f"{card} details.more summary")
    await page.wait_for_selector(f"{card} form.close-form", timeout=5000)
    await page.select_option(f"{card} select[name=reason]", "appointment_booked")
    await page.fill(f"{card} input[name=appointment_at]", "2020-01-06T09:30")
    await page.click(f"{card} form.close-form button[type=submit]")
    beside = f"{card} form.close-form .field-message"
    await page.wait_for_selector(beside, timeout=5000)
    assert "has passed" in await page.inner_text(beside)
    assert await page.evaluate("document.activeElement.name") == "appointment_at"
    await save_screenshot(page, str(SHOTS / "board-close-refused-1440.png"))

    await page.fill(f"{card} input[name=appointment_at]", "2031-03-04T09:30")
    await page.click(f"{card} form.close-form button[type=submit]")
    await until_true(page, f"document.querySelector('ol[data-group=\"closed\"] {card}') !== null")
    # The row moved into the folded Recently closed group, and took what the card said with it.
    await until_true(page, f"document.querySelector('{card} .lead-feedback').textContent === 'Closed.'")
    assert await page.locator(beside).count() == 0
    await context.close()


async def test_the_search_page_at_desk_and_phone_width(browser, live_server, domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    await new_lead(domain, practice, first_name="Maria", phone="(512) 555-0171")
    token = await open_staff_session(domain, practice.staff["ana@bright.example"])
    for width, height in ((1440, 900), (390, 844)):
        context, page = await open_board(browser, live_server, token, width, height)
        await page.click("a.search-link")
        await page.fill("#name", "maria")
        await page.click(".search-form button[type=submit]")
        await page.wait_for_selector(".found-leads li")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await save_screenshot(page, str(SHOTS / f"board-search-{width}.png"))
        await page.fill("#phone", "call me")
        await page.click(".search-form button[type=submit]")
        await page.wait_for_selector("#phone-error")
        assert await page.evaluate("document.activeElement.id") == "error-summary"
        await save_screenshot(page, str(SHOTS / f"board-search-refused-{width}.png"))
        await context.close()
