"""Mail that comes back: late bounces (RFC 3464) mark the email, replies take the "replied" branch."""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import EmailMessage, Message

import pytest
from sqlalchemy import select, update

from router.core.models import NurtureCallTask, NurtureMessage, NurtureSequenceVersion, NurtureSettings
from router.core.phi_columns import NURTURE_BODY, NURTURE_RECIPIENT, NURTURE_SUBJECT
from router.nurture.links import inbound_key
from router.nurture.outbox import send_due_messages, send_message
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.factories import make_practice, sign_in
from tests.nurture.support import daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration

MAYA = "maya@bright.example"


async def _sent_welcome(domain, mailbox, **settings):  # type: ignore[no-untyped-def]
    """A practice, a lead, and the welcome email as the local SMTP server received it."""
    practice = await nurture_practice(domain, staff={MAYA: {"role": "manager"}}, **settings)
    lead_id = await form_lead(domain, practice, first_name="Ana", email="ana@example.com")
    await nurture_tick(domain)
    await send_due_messages(domain)
    [(_, _, sent)] = mailbox.messages
    return practice, lead_id, sent


def _report(original: EmailMessage, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A delivery status notification as a receiving mail server writes it (RFC 3464)."""
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.net>"
    report["To"] = "hello@brightsmile.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("This is the mail system at host mx.example.net. Your message could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_recipient["Final-Recipient"] = f"rfc822; {original['To']}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = (
        f"smtp; 550 {status} <{original['To']}>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    status_part = Message()
    status_part["Content-Type"] = "message/delivery-status"
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    headers = EmailMessage()
    headers["Content-Type"] = "text/rfc822-headers"
    headers.set_payload("".join(f"{k}: {v}\n" for k, v in original.items() if k.lower() != "content-type"))
    report.attach(headers)
    return report.as_bytes()


def _reply(sent: EmailMessage, *, to: str, threaded: bool, automatic: bool = False) -> bytes:
    reply = EmailMessage()
    reply["From"] = "Ana <ana@example.com>"
    reply["To"] = to
    reply["Subject"] = "Re: " + str(sent["Subject"])
    if threaded:
        reply["In-Reply-To"] = sent["Message-ID"]
        reply["References"] = sent["Message-ID"]
    if automatic:
        reply["Auto-Submitted"] = "auto-replied"
    reply.set_content("Yes please, Thursday works for me.")
    return reply.as_bytes()


async def _post(client, domain, practice_id, raw: bytes):  # type: ignore[no-untyped-def]
    key = inbound_key(domain.blind_index, practice_id)
    return await client.post(
        f"/webhooks/email/{key}", content=raw, headers={"content-type": "message/rfc822"}
    )


async def _message(domain):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(NurtureMessage).where(NurtureMessage.step_index == 0))


async def test_a_late_bounce_marks_the_email_bounced_once_and_the_lead_page_says_why(
    client, nurture_domain, mailbox
):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice, lead_id, sent = await _sent_welcome(domain, mailbox)
    delayed = await _post(
        client, domain, practice.practice.id, _report(sent, action="delayed", status="4.4.1")
    )
    assert delayed.json()["outcome"] == "report_not_a_failure" and (await _message(domain)).status == "sent"
    clock.advance(timedelta(hours=6))
    answer = await _post(client, domain, practice.practice.id, _report(sent))
    assert answer.status_code == 200 and answer.json()["outcome"] == "bounce"
    message = await _message(domain)
    assert message.status == "bounced" and message.bounced_at == clock.now()
    assert message.detail.startswith(
        "the mail server said: 5.1.1; 550 5.1.1 the address: Recipient address rejected"
    )
    assert "@" not in message.detail
    clock.advance(timedelta(hours=1))
    again = await _post(client, domain, practice.practice.id, _report(sent))
    assert again.json()["outcome"] == "bounce" and (await _message(domain)).bounced_at == message.bounced_at
    await sign_in(client, domain, MAYA)
    page = await client.get(f"/leads/{lead_id}", headers={"accept": "text/html"})
    assert "Bounced" in page.text and "Recipient address rejected" in page.text
    settings = await client.get("/nurture", headers={"accept": "text/html"})
    assert f"/webhooks/email/{inbound_key(domain.blind_index, practice.practice.id)}" in settings.text


async def test_no_further_email_goes_to_an_address_that_bounced(client, nurture_domain, mailbox):
    domain = nurture_domain
    freeze(domain, daytime())
    practice, lead_id, sent = await _sent_welcome(domain, mailbox)
    await _post(client, domain, practice.practice.id, _report(sent))
    bounced = await _message(domain)

    async def queue(address: str) -> dict:  # type: ignore[type-arg]
        message_id = uuid.uuid4()
        async with domain.sessionmaker() as session, session.begin():
            session.add(
                NurtureMessage(
                    id=message_id,
                    practice_id=bounced.practice_id,
                    lead_id=lead_id,
                    purpose="thank_you",
                    channel="email",
                    recipient_enc=domain.cipher.seal(address, column=NURTURE_RECIPIENT, row_id=message_id),
                    subject_enc=bounced.subject_enc
                    and domain.cipher.seal("Hello", column=NURTURE_SUBJECT, row_id=message_id),
                    body_enc=domain.cipher.seal("Hello again", column=NURTURE_BODY, row_id=message_id),
                    status="queued",
                    send_after=domain.clock.now(),
                    created_at=domain.clock.now(),
                )
            )
        return await send_message(domain, message_id)

    refused = await queue("ana@example.com")
    assert refused["status"] == "blocked" and len(mailbox.messages) == 1
    async with domain.sessionmaker() as session:
        details = (
            await session.scalars(select(NurtureMessage.detail).where(NurtureMessage.status == "blocked"))
        ).all()
    assert details == ["this address bounced an earlier email: correct it on the lead page"]
    assert (await queue("ana.lopez@example.com"))["status"] == "sent" and len(mailbox.messages) == 2


async def test_inbound_mail_is_refused_without_the_practice_key_and_never_crosses_practices(
    client, nurture_domain, mailbox
):
    domain = nurture_domain
    freeze(domain, daytime())
    practice, _, sent = await _sent_welcome(domain, mailbox)
    other = await make_practice(domain, slug="other")
    forged = await client.post(
        "/webhooks/email/" + inbound_key(domain.blind_index, practice.practice.id)[:-2] + "AA",
        content=_report(sent),
    )
    assert forged.status_code == 404 and forged.headers["content-type"].startswith("application/problem+json")
    crossed = await _post(client, domain, other.practice.id, _report(sent))
    assert crossed.json() == {"outcome": "unmatched"}
    unreadable = await _post(client, domain, practice.practice.id, b"")
    assert unreadable.status_code == 400
    assert (await _message(domain)).status == "sent"


async def _branch_on_reply(domain, practice):  # type: ignore[no-untyped-def]
    """The second step (a text the next day) goes to the staff call (step 4) when they replied."""
    async with domain.sessionmaker() as session, session.begin():
        version = await session.scalar(select(NurtureSequenceVersion))
        steps = [dict(step) for step in version.steps]
        steps[1]["branch_on"], steps[1]["branch_to"] = "replied", 3
        version.steps = steps


@pytest.mark.parametrize("route", ["tagged reply address", "in-reply-to"])
async def test_an_email_reply_takes_the_replied_branch(client, nurture_domain, mailbox, fake_twilio, route):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    tagged = route == "tagged reply address"
    practice, _, sent = await _sent_welcome(
        domain, mailbox, reply_to="frontdesk@brightsmile.example", tag_reply_address=tagged
    )
    await _branch_on_reply(domain, practice)
    if tagged:
        assert str(sent["Reply-To"]).startswith("frontdesk+") and str(sent["Reply-To"]).endswith(
            "@brightsmile.example"
        )
    raw = _reply(sent, to=str(sent["Reply-To"]), threaded=not tagged)
    answer = await _post(client, domain, practice.practice.id, raw)
    assert answer.json()["outcome"] == "reply"
    assert (await _message(domain)).replied_at == clock.now()
    clock.advance(timedelta(days=1))
    await nurture_tick(domain)
    async with domain.sessionmaker() as session:
        [task] = (await session.scalars(select(NurtureCallTask))).all()
    assert task.step_index == 3 and fake_twilio.made("Messages") == []


async def test_an_out_of_office_answer_is_not_a_reply(client, nurture_domain, mailbox, fake_twilio):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice, _, sent = await _sent_welcome(domain, mailbox)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(NurtureSettings).values(reply_to="frontdesk@brightsmile.example"))
    await _branch_on_reply(domain, practice)
    raw = _reply(sent, to="frontdesk@brightsmile.example", threaded=True, automatic=True)
    assert (await _post(client, domain, practice.practice.id, raw)).json()[
        "outcome"
    ] == "automatic_reply_ignored"
    clock.advance(timedelta(days=1))
    await nurture_tick(domain)
    await send_due_messages(domain)
    assert len(fake_twilio.made("Messages")) == 1  # no reply: the text goes
