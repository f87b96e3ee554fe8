"""The administration screens in headless Chromium against the real app: each screen's main path and
its refusal (the message beside the field, nothing stored), a deactivated person's open board closed
at once, the invitation link's expiry, another practice's screens out of reach by editing the URL,
and every screen at 390 and 1440 px without sideways scrolling (screenshots in var/screenshots/)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select

from router.core.models import Location, Practice, StaffUser
from router.privacy.account_links import issue_link
from router.privacy.auth import create_user
from tests.admin.conftest import Practices
from tests.board.helpers import new_lead, until_true, watch_policy_violations
from tests.factories import PASSWORD, open_staff_session
from tests.fixtures.browser import CHROMIUM_ARGS, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}


@pytest.fixture(scope="module")
async def browser():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_as(browser, live_server, domain, user, path, *, width="desktop"):
    w, h = WIDTHS[width]
    context = await browser.new_context(viewport={"width": w, "height": h})
    if user is not None:
        token = await open_staff_session(domain, user)
        await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    page.policy_violations = watch_policy_violations(page)
    await page.goto(live_server.url + path)
    return context, page


async def stored_settings(domain, practice_id):
    async with domain.sessionmaker() as session:
        return (await session.get(Practice, practice_id, populate_existing=True)).settings


async def test_settings_save_and_a_bad_value_shown_beside_its_field(
    browser, live_server, domain, practices: Practices
):
    context, page = await open_as(
        browser, live_server, domain, practices.user("maya@bright.example"), "/admin/settings"
    )
    await page.fill("#sla_minutes", "12")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector("p.notice >> text=Saved.")
    assert (await stored_settings(domain, practices.bright.practice.id))["sla_minutes"] == 12
    await page.fill("#sla_minutes", "twelve")
    await page.fill("#fallback-email", "owner-at-example")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector("#error-summary")
    assert await page.is_visible("#sla_minutes-error") and await page.is_visible("#fallback-email-error")
    assert "whole number" in await page.inner_text("#sla_minutes-error")
    assert (
        await page.evaluate("document.activeElement.id") == "error-summary"
    )  # read first by a screen reader
    assert (await stored_settings(domain, practices.bright.practice.id))["sla_minutes"] == 12
    assert page.policy_violations == []
    await context.close()


async def test_office_hours_saved_and_a_bad_zip_refused(browser, live_server, domain, practices: Practices):
    downtown = practices.bright.locations["downtown"]
    context, page = await open_as(
        browser,
        live_server,
        domain,
        practices.user("admin@bright.example"),
        f"/admin/locations/{downtown.id}",
    )
    await page.fill("[name=hours-mon-1-from]", "08:00")
    await page.fill("[name=hours-mon-1-until]", "12:00")
    await page.fill("[name=hours-mon-2-from]", "13:00")
    await page.fill("[name=hours-mon-2-until]", "17:00")
    await page.click("form.admin-form >> text=Save office")
    await page.wait_for_selector("p.notice >> text=Saved.")
    await page.fill("#zip", "12")
    await page.click("form.admin-form >> text=Save office")
    await page.wait_for_selector("#zip-error")
    async with domain.sessionmaker() as session:
        location = await session.get(Location, downtown.id)
    assert (
        location.business_hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]] and location.zip == "78701"
    )
    await context.close()


async def test_an_invitation_and_an_email_that_has_an_account(
    browser, live_server, domain, practices: Practices
):
    context, page = await open_as(
        browser, live_server, domain, practices.user("admin@bright.example"), "/admin/staff"
    )
    await page.fill("#email", "ana@bright.example")
    await page.fill("#display_name", "Ana Again")
    await page.check("input[name=locations] >> nth=0")
    await page.click("text=Send invitation")
    await page.wait_for_selector("#email-error")
    assert "already has an account here" in await page.inner_text("#email-error")
    await page.fill("#email", "nina@bright.example")  # the rest of the form kept what was typed
    await page.click("text=Send invitation")
    await page.wait_for_selector("p.notice")
    notice = await page.inner_text("p.notice")
    assert "Ana Again is invited" in notice and "email is not set up on this server" in notice
    async with domain.sessionmaker() as session:
        emails = (await session.scalars(select(StaffUser.email))).all()
    assert "nina@bright.example" in emails and emails.count("ana@bright.example") == 1
    await context.close()


async def test_the_invitation_link_expires(browser, live_server, domain, practices: Practices):
    async with domain.sessionmaker() as session, session.begin():
        user = await create_user(
            session,
            email="late@bright.example",
            display_name="Late",
            password=PASSWORD,
            role="front_desk",
            practice_id=practices.bright.practice.id,
        )
        old = await issue_link(
            session, user, purpose="invite", now=domain.clock.now() - timedelta(hours=49), created_by=None
        )
    context, page = await open_as(browser, live_server, domain, None, f"/account/set-password/{old}")
    assert "This link has expired (links last 48 hours)" in await page.inner_text("main")
    async with domain.sessionmaker() as session, session.begin():
        fresh = await issue_link(
            session,
            await session.get(StaffUser, user.id),
            purpose="invite",
            now=domain.clock.now(),
            created_by=None,
        )
    await page.goto(f"{live_server.url}/account/set-password/{fresh}")
    await page.fill("#password", "a long new password")
    await page.fill("#repeat", "a long new password")
    await page.click("text=Set password")
    await page.wait_for_selector("text=Your password is set")
    await page.goto(f"{live_server.url}/login")
    await page.fill("input[name=email]", "late@bright.example")
    await page.fill("input[name=password]", "a long new password")
    await page.click("button[type=submit]")
    await page.wait_for_url(live_server.url + "/")
    await context.close()


async def test_a_deactivated_persons_open_board_is_closed_at_once(
    browser, live_server, domain, practices: Practices
):
    ana = practices.user("ana@bright.example")
    board_context, board = await open_as(browser, live_server, domain, ana, "/")
    await board.wait_for_selector('#board-connection[data-state="live"]', timeout=5000)
    admin_context, admin = await open_as(
        browser, live_server, domain, practices.user("maya@bright.example"), f"/admin/staff/{ana.id}"
    )
    await admin.click(f"text=Deactivate {ana.display_name}")
    await admin.wait_for_selector("text=their open boards closed")
    await board.wait_for_selector('#board-connection[data-state="ended"]', timeout=5000)
    await board_context.close()
    await admin_context.close()


async def test_a_manager_cannot_reach_another_practices_screens_by_editing_the_url(
    browser, live_server, domain, practices: Practices
):
    foreign_office = practices.other.locations["downtown"].id
    foreign_person = practices.user("max@other.example").id
    context, page = await open_as(
        browser, live_server, domain, practices.user("maya@bright.example"), "/admin/locations"
    )
    for path in (
        f"/admin/locations/{foreign_office}",
        f"/admin/staff/{foreign_person}",
        f"/admin/audit/leads/{uuid.uuid4()}",
    ):
        answer = await page.goto(live_server.url + path)
        text = await page.inner_text("main")
        assert answer.status in (404, 200) and "Max" not in text and "Downtown Office" not in text, path
        if "locations" in path or "staff" in path:
            assert answer.status == 404 and "Not found" in text
    for path in ("/admin/forms", "/admin/phones", "/admin/practices"):
        answer = await page.goto(live_server.url + path)
        assert answer.status == 403, path
    await context.close()


async def test_spend_upload_and_a_workbook_refused(
    browser, live_server, domain, practices: Practices, tmp_path
):
    good, bad = tmp_path / "spend.csv", tmp_path / "spend.xlsx"
    good.write_text("date,channel,spend\n2026-03-01,Google Ads,120\n2026-03-02,Meta,x\n")
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    context, page = await open_as(
        browser, live_server, domain, practices.user("maya@bright.example"), "/admin/spend"
    )
    await page.set_input_files("#spend-file", str(bad))
    await page.click("button:has-text('Upload')")
    await page.wait_for_selector("#spend-error")
    assert "not a CSV file" in await page.inner_text("#spend-error")
    await page.set_input_files("#spend-file", str(good))
    await page.click("button:has-text('Upload')")
    await page.wait_for_selector("text=1 day and campaign row stored")
    assert "line 3" in await page.inner_text("main")
    await context.close()


async def test_a_form_secret_shown_once_and_a_test_inquiry(
    browser, live_server, domain, practices: Practices
):
    context, page = await open_as(
        browser, live_server, domain, practices.user("admin@bright.example"), "/admin/forms"
    )
    await page.click("text=Add web form")
    await page.wait_for_selector("#name-error")
    await page.fill("#name", "Landing page")
    await page.click("text=Add web form")
    secret = await page.inner_text("#secret")
    assert secret.startswith("whsec_")
    await page.click("text=Send a test inquiry")
    await page.wait_for_selector("text=The test inquiry arrived")
    assert secret not in await page.inner_text("main")
    await context.close()


async def test_an_attribution_run_started_on_the_page_shows_its_results_without_a_reload(
    browser, live_server, domain, practices: Practices
):
    from router.core.models import AttributionRun
    from router.marketing.attribution_runs import execute_run

    context, page = await open_as(
        browser, live_server, domain, practices.user("maya@bright.example"), "/attribution"
    )
    await page.evaluate("window.notReloaded = true")
    await page.click("text=Run now")
    await page.wait_for_selector("text=This page shows its results by itself")
    async with domain.sessionmaker() as session:
        run_id = await session.scalar(select(AttributionRun.id).where(AttributionRun.status == "queued"))
    await execute_run(domain, run_id)
    await until_true(page, "document.body.textContent.includes('The run you started is done')", within=10)
    assert await page.evaluate("window.notReloaded") is True
    assert page.policy_violations == []
    await context.close()


async def _seed_screens(domain, practices: Practices) -> dict[str, str]:
    """Some of everything the screens show: a waiting lead past its deadline, a delivery, an audit trail."""
    bright = practices.bright
    lead_id = await new_lead(domain, bright, location="downtown")
    async with domain.sessionmaker() as session, session.begin():
        from router.core.models import Lead

        lead = await session.get(Lead, lead_id)
        lead.received_at = lead.received_at - timedelta(minutes=30)
        lead.sla_due_at = lead.received_at + timedelta(minutes=5)
        operator = await create_user(
            session,
            email="olivia@ops.example",
            display_name="Olivia Ops",
            password=PASSWORD,
            role="platform_operator",
        )
    form_id = str(await _first_form(domain, bright.practice.id))
    return {"lead": str(lead_id), "operator": str(operator.id), "form": form_id}


async def _first_form(domain, practice_id):
    from router.core.models import FormSource

    async with domain.sessionmaker() as session:
        return await session.scalar(select(FormSource.id).where(FormSource.practice_id == practice_id))


async def test_every_screen_fits_a_phone_and_a_desktop_without_sideways_scrolling(
    browser, live_server, domain, practices: Practices
):
    seeded = await _seed_screens(domain, practices)
    downtown = practices.bright.locations["downtown"].id
    ana = practices.user("ana@bright.example").id
    admin = practices.user("admin@bright.example")
    async with domain.sessionmaker() as session:
        operator = await session.get(StaffUser, uuid.UUID(seeded["operator"]))
    screens = {
        "admin": (admin, "/admin"),
        "settings": (admin, "/admin/settings"),
        "locations": (admin, "/admin/locations"),
        "location": (admin, f"/admin/locations/{downtown}"),
        "staff": (admin, "/admin/staff"),
        "staff-member": (admin, f"/admin/staff/{ana}"),
        "forms": (admin, "/admin/forms"),
        "form": (admin, f"/admin/forms/{seeded['form']}"),
        "phones": (admin, "/admin/phones"),
        "spend": (admin, "/admin/spend"),
        "audit": (admin, "/admin/audit"),
        "access-report": (admin, f"/admin/audit/leads/{seeded['lead']}"),
        "dashboard": (admin, "/dashboard"),
        "models": (admin, "/models"),
        "attribution": (admin, "/attribution"),
        "practices": (operator, "/admin/practices"),
        "call-centers": (operator, "/admin/call-centers"),
    }
    too_wide = []
    for width, (w, h) in WIDTHS.items():
        for user in {user.id: user for user, _ in screens.values()}.values():
            context = await browser.new_context(viewport={"width": w, "height": h})
            token = await open_staff_session(domain, user)
            await context.add_cookies([{"name": "lr_session", "value": token, "url": live_server.url}])
            page = await context.new_page()
            violations = watch_policy_violations(page)
            for name, path in ((name, path) for name, (who, path) in screens.items() if who.id == user.id):
                await page.goto(live_server.url + path)
                assert violations == [], (name, violations)
                overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    too_wide.append((name, width, overflow))
                await save_screenshot(page, str(SHOTS / f"{name}-{width}.png"))
            await context.close()
    assert too_wide == []
