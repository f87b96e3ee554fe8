"""The funnel, its drill-down and its checks in headless Chromium at 390 and 1440 px: no sideways
scrolling, no policy violations, a dismissal without a reason refused beside the field
(screenshots in var/screenshots/)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from router.core.models import AdSpend, Appointment, FunnelEvent, Lead, Practice, Provider
from router.funnel.findings import run_checks
from tests.board.helpers import new_lead
from tests.factories import make_practice
from tests.fixtures.browser import save_screenshot
from tests.fixtures.screens import SHOTS, WIDTHS, open_page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}
NAMES = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan")


async def _seed(domain):
    """Ten leads at every stage, a provider, two days of ad spend, and the checks run once."""
    bright = await make_practice(
        domain, locations=OFFICES, staff={"admin@bright.example": {"role": "practice_admin", "locations": []}}
    )
    ids = [
        await new_lead(domain, bright, location="downtown" if n % 3 else "lakeway", first_name=name)
        for n, name in enumerate(NAMES)
    ]
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        provider = await session.scalar(select(Provider.id).where(Provider.practice_id == bright.practice.id))
        for n, lead_id in enumerate(ids):
            lead = await session.get(Lead, lead_id)
            if n < 8 and n != 5:
                lead.first_contact_at = now - timedelta(hours=20)
            if n < 6 or n == 8:  # the tenth came without contact on record: a finding
                session.add(_visit(bright, lead, provider, now, completed=n < 4 or n == 8))
            if n == 9:  # marked as come, with no appointment anywhere: another finding
                session.add(
                    FunnelEvent(
                        practice_id=bright.practice.id,
                        lead_id=lead_id,
                        stage="appointment_completed",
                        occurred_at=now,
                    )
                )
            if n < 2:
                session.add(
                    FunnelEvent(
                        practice_id=bright.practice.id,
                        lead_id=lead_id,
                        stage="treatment_accepted",
                        occurred_at=now,
                    )
                )
        for day in (1, 2):
            session.add(
                AdSpend(
                    practice_id=bright.practice.id,
                    day=datetime.combine((now - timedelta(days=day)).date(), datetime.min.time()),
                    channel="google_ads",
                    campaign="Implants spring",
                    spend=120.0,
                    impressions=5400,
                    clicks=180,
                    imported_at=now,
                )
            )
        await run_checks(session, bright.practice.id, now=now)
    return bright


def _visit(bright, lead, provider, now, *, completed):
    return Appointment(
        id=uuid.uuid4(),
        practice_id=bright.practice.id,
        lead_id=lead.id,
        location_id=lead.location_id,
        starts_at=now - timedelta(hours=3) if completed else now + timedelta(days=2),
        provider_id=provider,
        status="completed" if completed else "booked",
        source="pms",
    )


async def test_the_funnel_pages_fit_a_phone_and_a_desktop(chromium, live_server, domain):
    bright = await _seed(domain)
    admin = bright.staff["admin@bright.example"]
    screens = {
        "funnel": "/funnel",
        "funnel-leads": "/funnel/leads?stage=appointment_completed",
        "funnel-checks": "/funnel/checks",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for width in WIDTHS:
        for name, path in screens.items():
            context, page = await open_page(chromium, live_server, domain, admin, path, width=width)
            assert page.policy_violations == [], (name, page.policy_violations)
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                too_wide.append((name, width, overflow))
            await save_screenshot(page, str(SHOTS / f"{name}-{width}.png"))
            await context.close()
    assert too_wide == []


async def test_a_dismissal_without_a_reason_is_refused_beside_the_field(chromium, live_server, domain):
    bright = await _seed(domain)
    context, page = await open_page(
        chromium, live_server, domain, bright.staff["admin@bright.example"], "/funnel/checks"
    )
    first = page.locator("article.finding").first
    await first.get_by_role("button", name="Dismiss").click()
    await page.wait_for_load_state()
    assert (
        await page.locator(".field-error .field-message").inner_text()
        == "Say why this is not a problem (for the audit log)."
    )
    await page.locator(".field-error input[name=reason]").fill(
        "Booked by phone; the desk forgot to log the call"
    )
    await page.locator("article.finding:has(.field-error)").get_by_role("button", name="Dismiss").click()
    await page.wait_for_load_state()
    assert "Dismissed; the audit log has it." in await page.locator("p.notice").inner_text()
    await context.close()
    async with domain.sessionmaker() as session:
        assert await session.get(Practice, bright.practice.id)
