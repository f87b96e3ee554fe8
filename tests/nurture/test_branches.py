"""Branches on behaviour, staff calls for high-score leads, and the hourly limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from router.core.models import Lead, NurtureCallTask, NurtureMessage
from router.nurture.call_tasks import due_call_tasks
from router.nurture.links import make_token
from router.nurture.outbox import RATE_WINDOW, send_due_messages
from router.nurture.responses import follow_click
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.nurture.support import SCHEDULING, daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration


async def _rows(domain, model):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(model).order_by(model.created_at))).all()


async def test_a_lead_who_clicked_the_booking_link_gets_a_staff_call_instead_of_the_text(
    nurture_domain, fake_twilio
):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    await send_due_messages(domain)
    [welcome] = await _rows(domain, NurtureMessage)
    token = make_token(domain.blind_index, welcome.id, "click", clock.now())
    assert await follow_click(domain, token) == SCHEDULING
    clock.advance(timedelta(days=1))
    await nurture_tick(domain)  # step 2 (the text) branches on "clicked" to step 4 (a staff call)
    assert [m.step_index for m in await _rows(domain, NurtureMessage)] == [0]
    [task] = await _rows(domain, NurtureCallTask)
    assert task.lead_id == lead_id and task.step_index == 3
    assert task.location_id == practice.locations["downtown"].id, (task.location_id, task.due_at, clock.now())
    async with domain.sessionmaker() as session:
        due = await due_call_tasks(session, practice.locations["downtown"].id, clock.now())
    assert [d.lead_id for d in due] == [lead_id] and not due[0].overdue
    assert fake_twilio.made("Messages") == []


async def test_a_high_score_lead_gets_a_call_task_not_an_automated_message(nurture_domain, mailbox):
    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain, call_task_score=70)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == lead_id).values(score=85))
    await nurture_tick(domain)
    await send_due_messages(domain)
    assert await _rows(domain, NurtureMessage) == [] and mailbox.messages == []
    [task] = await _rows(domain, NurtureCallTask)
    assert task.step_index == 0 and task.status == "open"


async def test_the_hourly_email_limit_puts_the_rest_off_never_drops_them(nurture_domain, mailbox):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain, emails_per_hour=1)
    await form_lead(domain, practice, first_name="Ana", email="ana@example.com", phone="(512) 867-1001")
    await form_lead(domain, practice, first_name="Bo", email="bo@example.com", phone="(512) 867-1002")
    await nurture_tick(domain)
    await send_due_messages(domain)
    assert len(mailbox.messages) == 1
    waiting = [m for m in await _rows(domain, NurtureMessage) if m.status == "queued"]
    assert len(waiting) == 1 and waiting[0].send_after == clock.now() + RATE_WINDOW
    clock.advance(RATE_WINDOW)
    await send_due_messages(domain)
    assert len(mailbox.messages) == 2


async def test_a_sequence_runs_to_its_end_and_the_last_message_still_goes(
    nurture_domain, mailbox, fake_twilio
):
    from router.core.models import NurtureEnrolment

    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain, treatments=("emergency",))
    await form_lead(domain, practice, first_name="Ana", treatment_interest="emergency")
    for wait in (timedelta(0), timedelta(minutes=30), timedelta(days=1)):  # text, staff call, email
        clock.advance(wait)
        await nurture_tick(domain)
        await send_due_messages(domain)
    assert len(fake_twilio.made("Messages")) == 1 and len(mailbox.messages) == 1
    assert len(await _rows(domain, NurtureCallTask)) == 1
    async with domain.sessionmaker() as session:
        enrolment = await session.scalar(select(NurtureEnrolment))
    assert enrolment.status == "finished" and enrolment.exit_reason is None
