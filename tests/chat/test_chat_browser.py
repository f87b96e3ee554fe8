"""A chat lead's page in headless Chromium: the transcript, a reply reaching Chatwoot, at 390 and 1440 px."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.board.helpers import watch_policy_violations
from tests.chat.conftest import conversation_created, signed
from tests.factories import open_staff_session
from tests.fixtures.browser import save_screenshot

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


@pytest.mark.parametrize("width", [390, 1440])
async def test_staff_read_the_chat_on_the_lead_page_and_reply(
    browser, live_server, domain, chat_world, width
):
    first = {
        "id": 501,
        "content": "Do you do Invisalign for teens?",
        "message_type": 0,
        "created_at": 1764884402,
    }
    body, headers = signed(conversation_created(60 + width, messages=[first]))
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{live_server.url}/webhooks/chatwoot/bright-chat", content=body, headers=headers
        )
    lead_id = answer.json()["lead_id"]
    context = await browser.new_context(viewport={"width": width, "height": 900})
    token = await open_staff_session(domain, chat_world.practice.staff["desk@bright.example"])
    await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    violations = watch_policy_violations(page)
    await page.goto(f"{live_server.url}/leads/{lead_id}")
    await page.wait_for_selector(".lead-chat .transcript li", timeout=5000)
    await page.fill(".chat-reply textarea", "Yes! Mornings or afternoons?")
    await page.click(".chat-reply button[type=submit]")
    await page.locator(".transcript li.out", has_text="Mornings or afternoons").wait_for(timeout=5000)
    assert [sent["content"] for sent in chat_world.chatwoot.sent] == ["Yes! Mornings or afternoons?"]
    await page.locator(".lead-chat").scroll_into_view_if_needed()
    await save_screenshot(page, str(SCREENSHOTS / f"lead-chat-{width}.png"))
    assert await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert violations == []
    await context.close()
