"""The sign-in, second-factor set-up and account pages in headless Chromium, at phone and desk widths."""

from __future__ import annotations

import os
import re

import pyotp
import pytest
from playwright.async_api import async_playwright

from tests.board.helpers import watch_policy_violations
from tests.factories import PASSWORD, make_practice
from tests.fixtures.browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.integration]
WIDTHS = (390, 1440)
SHOTS = os.environ.get("LEADROUTER_SCREENSHOTS")
"""A folder to save the pages' screenshots in, for a person to look at (unset: none saved)."""


async def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def shot(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    assert await no_sideways_scroll(page), (name, width)
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
async def test_a_manager_signs_in_sets_up_the_authenticator_and_changes_the_password(
    live_server, domain, width
):
    await make_practice(domain, staff={f"boss{width}@x.example": {"role": "manager"}})
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": width, "height": 900})
        violations = watch_policy_violations(page)
        await page.goto(live_server.url + "/login")
        await page.fill("input[name=email]", f"boss{width}@x.example")
        await page.fill("input[name=password]", "not the password")
        await page.click("button[type=submit]")
        await page.wait_for_selector("p.error")
        await shot(page, "login-error", width)
        await page.fill("input[name=email]", f"boss{width}@x.example")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("img.qr")
        await page.locator("img.qr").evaluate(
            "img => img.complete || new Promise(done => { img.onload = img.onerror = done; })"
        )
        loaded = await page.evaluate("document.querySelector('img.qr').naturalWidth")
        assert loaded > 100  # the QR code is drawn by our server and allowed by the policy
        await shot(page, "second-factor-setup", width)
        secret = await page.inner_text("code.secret")
        await page.fill("input[name=code]", pyotp.TOTP(secret).now())
        await page.click("button[type=submit]")
        await page.wait_for_selector("ul.codes")
        assert len(re.findall(r"[a-z2-7]{4}-", await page.inner_text("ul.codes"))) >= 10
        await shot(page, "recovery-codes", width)
        await page.goto(live_server.url + "/account")
        await page.fill("input[name=current]", PASSWORD)
        await page.fill("input[name=new]", "password1234")
        await page.click("form[action='/account/password'] button")
        await page.wait_for_selector(".error-summary")
        await shot(page, "account-password-refused", width)
        await page.fill("input[name=current]", PASSWORD)
        await page.fill("input[name=new]", "Tuesday lighthouse pickle")
        await page.click("form[action='/account/password'] button")
        await page.wait_for_selector("p.notice")
        await shot(page, "account-password-changed", width)
        assert violations == []
        await browser.close()
