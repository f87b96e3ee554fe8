"""Level 2 reaches managers: an email through a real local SMTP server and an SMS port, without PHI."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from router.core.models import StaffUser
from router.leads.escalation import escalate_lead
from tests.escalation.support import freeze, new_lead
from tests.factories import make_practice

pytestmark = pytest.mark.integration

WEDNESDAY_10AM_CHICAGO = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


async def test_smtp_sender_delivers_to_a_local_server(smtp_server):
    controller, mailbox = smtp_server
    sender = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1", port=controller.port, from_address="alerts@bright.example", starttls=False
        )
    )
    message_id = await sender.send_email(to="boss@bright.example", subject="Test", body="Hello")
    [(mail_from, rcpt_tos, message)] = mailbox.messages
    assert (mail_from, rcpt_tos) == ("alerts@bright.example", ["boss@bright.example"])
    assert message["Message-ID"] == message_id and message["Subject"] == "Test"


async def test_smtp_sender_raises_when_the_server_is_down():
    from tests.fixtures.live import free_port

    sender = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1", port=free_port(), from_address="a@b.example", starttls=False, timeout_seconds=2
        )
    )
    with pytest.raises(OSError):
        await sender.send_email(to="boss@bright.example", subject="Test", body="Hello")


async def test_level2_emails_and_texts_the_managers_on_duty_without_phi(notifying_domain, smtp_server):
    domain = notifying_domain
    _, mailbox = smtp_server
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(
        domain,
        staff={
            "desk@bright.example": {},
            "boss@bright.example": {"role": "manager"},
            "away@bright.example": {"role": "manager", "availability": "away"},
        },
    )
    async with domain.sessionmaker() as session, session.begin():
        boss = await session.get(StaffUser, practice.staff["boss@bright.example"].id)
        boss.phone = "+15125550111"
    lead = await new_lead(
        domain,
        practice.practice.id,
        first_name="Ana",
        last_name="Lopez",
        phone="(512) 867-5309",
        email="ana.lopez@example.com",
    )
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    assert mailbox.messages == [] and domain.sms.sent == []  # level 1 is in-app only

    clock.advance(timedelta(minutes=15))
    outcome = await escalate_lead(domain, lead.id, 2)
    assert [(d["channel"], d["status"]) for d in outcome.deliveries] == [("sms", "sent"), ("email", "sent")]

    [(_, rcpt_tos, message)] = mailbox.messages
    assert rcpt_tos == ["boss@bright.example"]
    body = message.get_content()
    assert message["Subject"] == "Lead waiting 20 min at Downtown Office, still not contacted"
    assert f"http://127.0.0.1:8000/leads/{lead.id}" in body or f"/leads/{lead.id}" in body
    [sms] = domain.sms.sent
    assert sms["to"] == "+15125550111" and sms["automated"] is True
    for text in (body, message["Subject"], sms["body"]):
        for phi in ("Ana", "Lopez", "867", "5309", "ana.lopez", "braces", "Delta"):
            assert phi not in text

    again = await escalate_lead(domain, lead.id, 2)
    assert again.reason == "already_escalated" and len(mailbox.messages) == 1


async def test_a_failing_sms_does_not_stop_the_email(notifying_domain, smtp_server):
    domain = notifying_domain
    _, mailbox = smtp_server

    class BrokenSms:
        async def send_sms(self, **_: object) -> str | None:
            raise ConnectionError("twilio unreachable")

    domain.sms = BrokenSms()
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff={"boss@bright.example": {"role": "manager"}})
    async with domain.sessionmaker() as session, session.begin():
        boss = await session.get(StaffUser, practice.staff["boss@bright.example"].id)
        boss.phone = "+15125550111"
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    await escalate_lead(domain, lead.id, 1)
    clock.advance(timedelta(minutes=15))
    outcome = await escalate_lead(domain, lead.id, 2)
    assert [(d["channel"], d["status"]) for d in outcome.deliveries] == [("sms", "failed"), ("email", "sent")]
    assert "ConnectionError" in outcome.deliveries[0]["detail"]
    assert len(mailbox.messages) == 1
