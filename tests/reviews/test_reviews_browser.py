"""The screens of review requests in headless Chromium: the desk flags a complaint on the lead page (a
missing reason answered beside the field), and each touched screen at 1440 and 390 px, screenshots in
var/screenshots/, with no sideways scrolling."""

from __future__ import annotations

import pytest

from router.privacy.audit import Actor
from router.referrals.patient_links import make_referral_link
from router.referrals.patient_thanks import patient_referrals_task
from tests.factories import open_staff_session
from tests.fixtures.browser import shoot_at_width, signed_in_page
from tests.phones.helpers import form_lead, viewer_for
from tests.reviews.helpers import becomes_patient, review_practice, visit

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDTHS = (1440, 390)


async def _referred_patient(domain, practice):  # type: ignore[no-untyped-def]
    carmen = await form_lead(
        domain,
        practice,
        first_name="Carmen",
        last_name="Ortiz",
        phone="(512) 555-0111",
        email="c@example.com",
    )
    await becomes_patient(
        domain, practice, pms_id="P-1", first="Carmen", last="Ortiz", phone="(512) 555-0111"
    )
    desk = practice.staff["desk@bright.example"]
    link = await make_referral_link(
        domain, viewer_for(practice, desk), carmen, actor=Actor("user", str(desk.id))
    )
    ivy = await form_lead(
        domain, practice, first_name="Ivy", last_name="Chen", phone="(512) 555-0188", referral_code=link.code
    )
    await becomes_patient(domain, practice, pms_id="P-2", first="Ivy", last="Chen", phone="(512) 555-0188")
    await visit(
        domain, practice, appointment="A-1", patient="P-2", start="2026-03-03 08:00", status="completed"
    )
    await patient_referrals_task({"domain": domain})
    return ivy


async def test_the_desk_flags_a_complaint_and_the_screens_fit_both_widths(chromium, live_server, domain):
    practice = await review_practice(domain)
    ivy = await _referred_patient(domain, practice)
    desk = await open_staff_session(domain, practice.staff["desk@bright.example"])
    context, page = await signed_in_page(chromium, live_server, desk)
    await page.goto(f"{live_server.url}/leads/{ivy}")
    await page.click("text=Flag a complaint")
    await page.click("button:has-text('Flag the complaint')")
    await page.wait_for_selector(".lead-care .field-message")
    assert "Say in a few words what the complaint is about." in await page.inner_text(".lead-care")
    await page.fill("textarea[name=reason]", "Waited 40 minutes past the appointment time")
    await page.click("button:has-text('Flag the complaint')")
    await page.wait_for_selector(".lead-care .badge.complaint")
    card = await page.inner_text(".lead-care")
    assert "No review requests are sent to this patient." in card and "Waited 40 minutes" in card
    assert page.policy_violations == []
    await context.close()

    manager = await open_staff_session(domain, practice.staff["maya@bright.example"])
    for width in WIDTHS:
        context, page = await signed_in_page(chromium, live_server, manager, width=width)
        await page.goto(f"{live_server.url}/leads/{ivy}")
        await page.wait_for_selector(".lead-care h3:has-text('Referred by')")
        await shoot_at_width(page, "reviews-lead-page", width)
        await page.goto(f"{live_server.url}/patient-referrals")
        await shoot_at_width(page, "reviews-patient-referrals", width)
        await page.goto(f"{live_server.url}/admin/settings#reviews")
        await shoot_at_width(page, "reviews-settings", width)
        assert page.policy_violations == []
        await context.close()
