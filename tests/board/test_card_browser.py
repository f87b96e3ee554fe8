"""Calling and texting from a board card in headless Chromium, against a local Twilio-format server;
the card's confirmations and refusals shown beside it; the board at 1440 and 390 px (screenshots)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import update

from router.core.models import StaffUser
from router.phones.inbound_texts import receive_text
from tests.board.helpers import until_true
from tests.factories import open_staff_session
from tests.fixtures.browser import CHROMIUM_ARGS, save_screenshot
from tests.phones.helpers import CALLER, TRACKING, form_lead, phone_practice

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
STAFF_PHONE = "+15125550177"


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def board_page(browser, server, token, width=1440, height=900):
    context = await browser.new_context(viewport={"width": width, "height": height})
    await context.add_cookies([{"name": "lr_session", "value": token, "url": server.url}])
    page = await context.new_page()
    await page.goto(server.url + "/")
    await page.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
    return context, page


async def no_sideways_scroll(page):
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_call_and_text_from_a_card(browser, live_phone_server, domain):
    server, fake = live_phone_server
    practice = await phone_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    ana = practice.staff["ana@bright.example"]
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(StaffUser).where(StaffUser.id == ana.id).values(phone=STAFF_PHONE))
    lead_id = await form_lead(
        domain, practice, phone=CALLER, message="Chipped a front tooth, can you see me?"
    )
    # The patient texted a moment ago: a reply typed now goes out whatever the hour (not quiet hours).
    await receive_text(
        domain, message_sid="SM" + uuid.uuid4().hex, sender=CALLER, to=TRACKING, body="Still there?", ip=None
    )
    context, page = await board_page(browser, server, await open_staff_session(domain, ana))
    card = f"#lead-{lead_id}"
    await page.wait_for_selector(f"{card} .contact-phone", timeout=5000)
    assert await page.inner_text(f"{card} .contact-phone") == "(512) 867-5309"
    assert await page.get_attribute(f"{card} .contact-phone", "href") == f"tel:{CALLER}"
    assert "Chipped a front tooth" in await page.inner_text(f"{card} .patient-message")
    await save_screenshot(page, str(SHOTS / "board-card-1440.png"))

    await page.click(f"{card} button.call")
    await until_true(
        page, f"document.querySelector('{card} .lead-feedback').textContent.includes('Calling your phone')"
    )
    [call] = fake.made("Calls")
    assert call.value("To") == STAFF_PHONE and call.value("From") == TRACKING

    await page.click(f"{card} details.compose summary")
    await page.click(f"{card} details.compose button[type=submit]")  # nothing written yet
    message = f"{card} details.compose .field-message"
    await page.wait_for_selector(message, timeout=5000)
    assert await page.inner_text(message) == "Write the message first."
    assert await page.get_attribute(f"{card} textarea[name=body]", "aria-invalid") == "true"
    await save_screenshot(page, str(SHOTS / "board-card-text-refused-1440.png"))
    assert fake.made("Messages") == []

    await page.fill(f"{card} textarea[name=body]", "Yes! Can you come in at 3 today?")
    await page.click(f"{card} details.compose button[type=submit]")
    await until_true(
        page, f"document.querySelector('{card} .lead-feedback').textContent.includes('Text sent')"
    )
    [text] = fake.made("Messages")
    assert (text.value("To"), text.value("Body")) == (CALLER, "Yes! Can you come in at 3 today?")
    assert await page.locator(message).count() == 0  # the refusal is gone once it went
    # The card's own push (the text is on the lead's timeline) re-renders the row: what it said stays.
    await until_true(
        page, f"document.querySelector('{card} .lead-feedback').textContent.includes('Text sent')"
    )
    await context.close()


async def test_the_card_at_phone_width_does_not_scroll_sideways(browser, live_phone_server, domain):
    server, _fake = live_phone_server
    practice = await phone_practice(domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}})
    ana = practice.staff["ana@bright.example"]
    lead_id = await form_lead(
        domain,
        practice,
        phone=CALLER,
        email="a.very.long.address.for.a.patient@some-long-domain-name.example.com",
        message="Implant consult please. " * 20,
    )
    context, page = await board_page(browser, server, await open_staff_session(domain, ana), 390, 844)
    await page.wait_for_selector(f"#lead-{lead_id} .contact-phone", timeout=5000)
    assert await page.is_disabled(f"#lead-{lead_id} button.call")  # no phone on Ana's profile
    assert "adds your number on the Staff screen" in await page.inner_text(f"#lead-{lead_id} .phone-actions")
    await page.click(f"#lead-{lead_id} details.compose summary")
    assert await no_sideways_scroll(page)
    await save_screenshot(page, str(SHOTS / "board-card-390.png"))
    await context.close()
