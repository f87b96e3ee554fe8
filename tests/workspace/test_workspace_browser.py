"""The workspace in headless Chromium against the real app: texts arriving live, the agent's booking
reaching the practice, a call-back coming back at its time, and the console's chime per new entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from router.leads.call_backs import surface_due_call_backs
from router.phones.inbound_texts import receive_text
from tests.board.helpers import until_true, watch_policy_violations
from tests.factories import open_staff_session
from tests.fixtures.browser import open_page, shot
from tests.phones.helpers import CALLER, TRACKING, form_lead, new_sid, phone_practice
from tests.workspace.support import overflow_agent, overflowed_lead

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DESK = {"desk@bright.example": {"name": "Dana Desk"}}


async def _live(page) -> None:  # type: ignore[no-untyped-def]
    await page.wait_for_selector('[data-live-state="live"]', timeout=5000)


async def _console(chromium, server, domain, agent):  # type: ignore[no-untyped-def]
    context, page = await open_page(chromium, server, await open_staff_session(domain, agent), "/overflow")
    page.policy_violations = watch_policy_violations(page)
    await page.wait_for_selector('#console-connection[data-state="live"]', timeout=5000)
    return context, page


async def test_a_patients_reply_appears_in_the_inbox_and_on_the_lead_page_live(chromium, live_server, domain):
    practice = await phone_practice(domain, staff=DESK)
    lead_id = await form_lead(domain, practice, phone=CALLER)
    token = await open_staff_session(domain, practice.staff["desk@bright.example"])
    (inbox_context, inbox), (lead_context, lead_page) = await asyncio.gather(
        open_page(chromium, live_server, token, "/inbox"),
        open_page(chromium, live_server, token, f"/leads/{lead_id}"),
    )
    await asyncio.gather(_live(inbox), _live(lead_page))
    assert await inbox.locator(f"#conversation-{lead_id}").count() == 0
    await receive_text(
        domain, message_sid=new_sid("SM"), sender=CALLER, to=TRACKING, body="Can I come at 4 today?", ip=None
    )
    await lead_page.wait_for_selector(".activity-entry.text_in >> text=Can I come at 4 today?", timeout=5000)
    row = await inbox.wait_for_selector(f"#conversation-{lead_id}", timeout=5000)
    assert "Can I come at 4 today?" in await row.inner_text()
    await shot(inbox, "inbox")
    await shot(lead_page, "lead-page-with-reply")
    await inbox_context.close()
    await lead_context.close()


async def test_the_agents_booking_closes_and_hands_back_and_the_practice_sees_it(
    chromium, live_server, domain
):
    practice = await phone_practice(domain, staff=DESK)
    lead_id = await overflowed_lead(domain, practice, phone=CALLER)
    desk_token = await open_staff_session(domain, practice.staff["desk@bright.example"])
    (board_context, board), (lead_context, lead_page) = await asyncio.gather(
        open_page(chromium, live_server, desk_token, "/"),
        open_page(chromium, live_server, desk_token, f"/leads/{lead_id}"),
    )
    await board.wait_for_selector(f"#lead-{lead_id}", timeout=5000)
    await _live(lead_page)
    context, console = await _console(chromium, live_server, domain, await overflow_agent(domain, practice))
    await console.click(f"#overflow-{lead_id} button[data-claim]")
    await console.wait_for_selector("form.outcome-form", timeout=5000)
    await console.check("input[name=disposition][value=booked]")
    await console.fill("input[name=appointment_at]", "2031-03-04T09:30")
    await console.fill("form.outcome-form textarea[name=note]", "Booked a cleaning, confirm insurance")
    await shot(console, "console-booking")
    await console.click("form.outcome-form button[type=submit]")
    await console.wait_for_selector("text=Booked and handed back", timeout=5000)
    await shot(console, "console-booked")
    # no longer open work: the row moves to the folded "Recently closed" group
    await board.wait_for_selector(f'#lead-{lead_id}[data-group="closed"]', state="attached", timeout=5000)
    stream = lead_page.locator(".activity")
    await lead_page.wait_for_selector(".activity-entry.handback >> text=confirm insurance", timeout=5000)
    text = await stream.inner_text()
    assert "Appointment booked at Downtown Office" in text and "Closed: Appointment booked" in text
    assert "Mar 4 2031, 09:30 CST" in text
    assert "Closed: Appointment booked" in await lead_page.inner_text(".lead-state")
    assert console.policy_violations == []
    for each in (context, board_context, lead_context):
        await each.close()


async def test_a_call_back_comes_back_on_top_with_its_note_at_its_time(chromium, frozen_live_server, domain):
    server, clock = frozen_live_server
    practice = await phone_practice(domain, staff=DESK)
    waiting = await overflowed_lead(domain, practice, phone="+15125550140", email="a@example.com")
    clock.advance(timedelta(minutes=1))
    lead_id = await overflowed_lead(domain, practice, phone=CALLER)
    context, console = await _console(chromium, server, domain, await overflow_agent(domain, practice))
    await console.click(f"#overflow-{lead_id} button[data-claim]")
    await console.check("input[name=disposition][value=call_back]")
    await console.fill("input[name=call_back_at]", "2026-12-04T09:25")  # passed: refused beside the field
    await console.fill("form.outcome-form textarea[name=note]", "Call after the school run")
    await console.click("form.outcome-form button[type=submit]")
    await console.wait_for_selector(".field-error >> text=That time has passed", timeout=5000)
    await shot(console, "console-call-back-refused")
    await console.fill("input[name=call_back_at]", "2026-12-04T10:25")  # 24 minutes from now, their time
    await console.fill("form.outcome-form textarea[name=note]", "Call after the school run")
    await console.click("form.outcome-form button[type=submit]")
    await console.wait_for_selector("text=Call-back set", timeout=5000)
    await console.wait_for_selector(f"#overflow-{lead_id}", state="detached", timeout=5000)
    desk_token = await open_staff_session(domain, practice.staff["desk@bright.example"])
    lead_context, lead_page = await open_page(chromium, server, desk_token, f"/leads/{lead_id}")
    await _live(lead_page)

    clock.advance(timedelta(minutes=20))
    assert await surface_due_call_backs(domain) == 0
    clock.advance(timedelta(minutes=4, seconds=5))
    assert await surface_due_call_backs(domain) == 1
    await console.wait_for_selector(f"#overflow-{lead_id}", timeout=5000)
    first = await console.wait_for_selector("#overflow-queue li.queue-item", timeout=5000)
    assert await first.get_attribute("data-lead-id") == str(lead_id)  # on top, before the older lead
    assert "Call after the school run" in await first.inner_text()
    assert "Call back now" in await first.inner_text()
    await shot(console, "console-call-back-due")
    await lead_page.wait_for_selector(".lead-state .badge.due", timeout=5000)
    await shot(lead_page, "lead-page-call-back-due")
    assert "Call after the school run" in await lead_page.inner_text(".activity")
    assert await console.locator(f"#overflow-{waiting}").count() == 1
    await context.close()
    await lead_context.close()


async def test_the_console_chimes_once_per_new_queue_entry(chromium, live_server, domain):
    practice = await phone_practice(domain)
    agent = await overflow_agent(domain, practice)
    context, console = await _console(chromium, live_server, domain, agent)
    await console.click("#sound-toggle")
    assert await console.get_attribute("#sound-toggle", "aria-pressed") == "true"
    await until_true(console, "window.leadrouterConsoleChimes === 1")  # the switch's own chime
    first = await overflowed_lead(domain, practice, phone="+15125550141", email="b@example.com")
    await console.wait_for_selector(f"#overflow-{first}", timeout=5000)
    await until_true(console, "window.leadrouterConsoleChimes === 2")
    assert await console.inner_text("#console-announce") == "A lead entered the queue."  # for screen readers
    second = await overflowed_lead(domain, practice, phone="+15125550142", email="c@example.com")
    third = await overflowed_lead(domain, practice, phone="+15125550143", email="d@example.com")
    for lead_id in (second, third):
        await console.wait_for_selector(f"#overflow-{lead_id}", timeout=5000)
    await until_true(console, "window.leadrouterConsoleChimes === 4")
    await console.click(f"#overflow-{first} button[data-claim]")  # a change, not a new entry: no chime
    await console.wait_for_selector(f"#overflow-{first}.mine", timeout=5000)
    await asyncio.sleep(0.5)
    assert await console.evaluate("window.leadrouterConsoleChimes") == 4
    await context.close()
