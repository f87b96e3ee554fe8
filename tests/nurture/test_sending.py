"""The sending engine end to end: a form lead gets the welcome email at once and the text next day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import NurtureEnrolment, NurtureMessage
from router.nurture.outbox import send_due_messages
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.nurture.support import daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration


async def _messages(domain, lead_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (
            await session.scalars(
                select(NurtureMessage)
                .where(NurtureMessage.lead_id == lead_id)
                .order_by(NurtureMessage.step_index)
            )
        ).all()


async def test_a_form_lead_gets_the_welcome_email_then_a_text_the_next_day(
    nurture_domain, mailbox, fake_twilio
):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana", email="ana.lopez@example.com")

    tick = await nurture_tick(domain)
    assert tick["enrolled"] == 1 and tick["steps"] == 1
    assert (await send_due_messages(domain))["sent"] == 1

    assert len(mailbox.messages) == 1
    envelope_from, rcpt, email = mailbox.messages[0]
    assert rcpt == ["ana.lopez@example.com"] and envelope_from == "hello@brightsmile.example"
    assert email["From"] == "Bright Smile Dental <hello@brightsmile.example>"
    assert email["Subject"] == "Thanks for reaching out to Bright Dental, Ana"
    assert email["List-Unsubscribe"].startswith("<http") and "/n/u/" in email["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "braces or clear aligners" in text and "/n/c/" in text and "/n/c/" in html
    assert "Unsubscribe" in html and "<style" not in html

    clock.advance(timedelta(days=1))
    assert (await nurture_tick(domain))["steps"] == 1
    assert (await send_due_messages(domain))["sent"] == 1
    texts = fake_twilio.made("Messages")
    assert len(texts) == 1
    body = texts[0].value("Body")
    assert body.startswith("Hi Ana, it's Bright Dental.") and "Reply STOP" in body
    assert texts[0].value("StatusCallback").endswith(f"message_id={(await _messages(domain, lead_id))[1].id}")
    statuses = [m.status for m in await _messages(domain, lead_id)]
    assert statuses == ["sent", "sent"]
    async with domain.sessionmaker() as session:
        enrolment = await session.scalar(select(NurtureEnrolment).where(NurtureEnrolment.lead_id == lead_id))
    assert enrolment.status == "active" and enrolment.step_index == 2


async def test_a_lead_who_wrote_in_spanish_gets_the_spanish_wording(nurture_domain, mailbox):
    from sqlalchemy import update

    from router.core.models import Touchpoint

    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Lucía")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Touchpoint).where(Touchpoint.lead_id == lead_id).values(details={"language": "es"})
        )
    await nurture_tick(domain)
    await send_due_messages(domain)
    [(_, _, email)] = mailbox.messages
    assert email["Subject"] == "Gracias por escribir a Bright Dental, Lucía"
    assert "frenos o los alineadores" in email.get_body(("plain",)).get_content()
