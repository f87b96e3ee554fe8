"""The follow-up screens in headless Chromium: a sequence built by clicking, and each screen's
screenshot at 1440 and 390 px (var/screenshots/), with no sideways scrolling."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from router.core.models import Lead, NurtureMessage, NurtureSequence, NurtureSequenceVersion, NurtureTemplate
from router.nurture.outbox import send_due_messages
from router.nurture.starter import install_starter
from router.nurture.worker import nurture_tick
from tests.factories import open_staff_session
from tests.fixtures.browser import shoot_at_width, signed_in_page
from tests.nurture.support import nurture_practice, seed_ab_results
from tests.phones.helpers import form_lead

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDTHS = (1440, 390)


async def _manager(domain, practice):  # type: ignore[no-untyped-def]
    return await open_staff_session(domain, practice.staff["maya@bright.example"])


STAFF = {"maya@bright.example": {"role": "manager"}, "max@bright.example": {"role": "manager"}}


async def test_a_manager_builds_a_three_step_sequence_with_a_branch_by_clicking(
    chromium, live_server, domain
):
    practice = await nurture_practice(domain, staff=STAFF, treatments=())
    context, page = await signed_in_page(chromium, live_server, await _manager(domain, practice))
    await page.goto(live_server.url + "/nurture")
    await page.fill("#name", "Implants, high value")
    await page.click("text=Create sequence")
    await page.wait_for_selector("h1:has-text('Implants, high value')")
    for wait, unit, action, template in (
        ("0", "minutes", "email", "implants-welcome"),
        ("1", "days", "sms", "implants-text"),
        ("2", "days", "call", ""),
    ):
        await page.fill("#wait_amount", wait)
        await page.select_option("#wait_unit", unit)
        await page.select_option("#action", action)
        if template:
            await page.select_option("#template", template)
        await page.click("text=Add step")
        await page.wait_for_selector("p.notice")
    await page.select_option("#branch-on-1", "clicked")
    await page.select_option("#branch-to-1", "3")
    await page.click("#steps + ol li:first-child >> text=Save branch")
    await page.wait_for_selector("text=If they clicked a link in a message: go to step 3")
    assert await page.locator("figure.sequence-diagram g.node").count() == 3
    assert await page.locator("figure.sequence-diagram path.branch").count() == 1
    async with domain.sessionmaker() as session:
        sequence = await session.scalar(
            select(NurtureSequence).where(NurtureSequence.name == "Implants, high value")
        )
        version = await session.scalar(
            select(NurtureSequenceVersion).where(
                NurtureSequenceVersion.sequence_id == sequence.id,
                NurtureSequenceVersion.version == sequence.current_version,
            )
        )
    assert [s["action"] for s in version.steps] == ["email", "sms", "call"]
    assert version.steps[0]["branch_on"] == "clicked" and version.steps[0]["branch_to"] == 2
    assert sequence.current_version == 5  # created empty, three steps, one branch: each a version
    assert page.policy_violations == []
    await context.close()


async def test_screenshots_of_every_follow_up_screen(chromium, live_server, nurture_domain, mailbox):
    domain = nurture_domain
    staff = {**STAFF, "desk@bright.example": {"role": "front_desk"}}
    practice = await nurture_practice(
        domain, staff=staff, treatments=("orthodontics", "emergency"), call_task_score=70
    )
    async with domain.sessionmaker() as session, session.begin():
        await install_starter(session, practice.practice.id, domain.clock.now())
    lead_id = await form_lead(domain, practice, first_name="Ana")
    luis = await form_lead(
        domain,
        practice,
        first_name="Luis",
        treatment_interest="emergency",
        phone="(512) 867-1111",
        email="luis@example.com",
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == luis).values(score=85))  # a staff call instead
    await nurture_tick(domain)
    await send_due_messages(domain)
    sequence, version, templates = await _screens_data(domain)
    counted = await form_lead(
        domain, practice, first_name="Bo", phone="(512) 867-2222", email="bo@example.com"
    )
    await _with_bounce_reply_and_ab_test(domain, practice, version, lead_id, counted)
    unsubscribe = mailbox.messages[0][2]["List-Unsubscribe"].strip("<>").split("/n/u/")[1]
    token = await _manager(domain, practice)
    pages = {
        "overview": "/nurture",
        "sequence": f"/nurture/sequences/{sequence.id}",
        "template": f"/nurture/templates/{templates['orthodontics-text']}",
        "alert-template": f"/nurture/templates/{templates['alert-level-2']}",
        "lead": f"/leads/{lead_id}",
        "unsubscribe": f"/n/u/{unsubscribe}",
        "bad-link": "/n/u/not-a-link",
    }
    desk = await open_staff_session(domain, practice.staff["desk@bright.example"])
    for width in WIDTHS:
        context, page = await signed_in_page(chromium, live_server, token, width=width)
        for name, path in pages.items():
            await page.goto(live_server.url + path)
            await shoot_at_width(page, f"nurture-{name}", width)
        assert await page.goto(live_server.url + pages["sequence"]) and await page.is_visible(
            "text=Make variant B the only message"
        )
        assert page.policy_violations == []
        await context.close()
        context, page = await signed_in_page(chromium, live_server, desk, width=width)
        await page.goto(live_server.url + "/")
        await page.wait_for_selector(".follow-up-call")
        await shoot_at_width(page, "nurture-board-follow-up-call", width)
        await context.close()


async def _screens_data(domain):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        sequence = await session.scalar(
            select(NurtureSequence).where(NurtureSequence.treatment == "orthodontics")
        )
        version = await session.scalar(
            select(NurtureSequenceVersion).where(NurtureSequenceVersion.sequence_id == sequence.id)
        )
        templates = dict(
            (
                await session.execute(
                    select(NurtureTemplate.key, NurtureTemplate.id).where(NurtureTemplate.language == "en")
                )
            ).all()
        )
    return sequence, version, templates


async def _with_bounce_reply_and_ab_test(domain, practice, version, lead_id, counted):  # type: ignore[no-untyped-def]
    """Ana's welcome email bounced after a reply; the first step runs an A/B test B has won (its
    results carried by another lead, so Ana's page lists only her own messages)."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(NurtureMessage)
            .where(NurtureMessage.lead_id == lead_id)
            .values(
                status="bounced",
                bounced_at=now,
                replied_at=now,
                detail="the mail server said: 5.2.2; 552 5.2.2 the address: mailbox full",
            )
        )
        row = await session.get(NurtureSequenceVersion, version.id)
        steps = [dict(step) for step in row.steps]
        steps[0]["variant_template"] = "orthodontics-follow-up"
        row.steps = steps
    await seed_ab_results(domain, practice, version.id, counted, a=(100, 1000), b=(160, 1000))
