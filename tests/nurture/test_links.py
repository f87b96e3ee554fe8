"""The links in a patient email: one-click unsubscribe (RFC 8058), the page, a bad link, clicks, opens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import ConsentRecord, NurtureMessage
from router.nurture.links import make_token
from router.nurture.outbox import send_due_messages
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.nurture.support import SCHEDULING, daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration


async def _sent_email(domain, mailbox):  # type: ignore[no-untyped-def]
    freeze(domain, daytime())
    practice = await nurture_practice(domain)
    await form_lead(domain, practice, first_name="Ana", email="ana.lopez@example.com")
    await nurture_tick(domain)
    await send_due_messages(domain)
    [(_, _, email)] = mailbox.messages
    return email


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


async def _email_consents(domain):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(ConsentRecord).where(ConsentRecord.channel == "email"))).all()


async def test_one_click_unsubscribe_needs_no_page_and_stops_emails(nurture_domain, mailbox, client):
    email = await _sent_email(nurture_domain, mailbox)
    url = _path(email["List-Unsubscribe"].strip("<>"))
    page = await client.get(url)  # a mail scanner following the link unsubscribes nobody
    assert page.status_code == 200 and "Stop emails from Bright Dental?" in page.text
    assert await _email_consents(nurture_domain) == []
    answer = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text
    [record] = await _email_consents(nurture_domain)
    assert record.granted is False and record.source == "one_click" and record.email_index is not None


async def test_a_forged_or_expired_link_still_lets_the_person_opt_out(nurture_domain, mailbox, client):
    domain = nurture_domain
    await _sent_email(domain, mailbox)
    forged = await client.get("/n/u/" + "A" * 55)
    assert forged.status_code == 400 and "This link does not work" in forged.text
    async with domain.sessionmaker() as session:
        message_id = await session.scalar(select(NurtureMessage.id))
    old = make_token(domain.blind_index, message_id, "unsubscribe", domain.clock.now() - timedelta(days=400))
    expired = await client.post(f"/n/u/{old}")
    assert expired.status_code == 400 and "This link has expired" in expired.text
    assert await _email_consents(domain) == []
    typo = await client.post("/n/u", data={"email": "not an address"})
    assert typo.status_code == 422 and "Enter your email address" in typo.text
    done = await client.post("/n/u", data={"email": "Ana.Lopez@example.com"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    [record] = await _email_consents(domain)
    assert record.granted is False and record.source == "unsubscribe_page"


async def test_a_click_is_counted_once_and_goes_to_the_scheduling_page(nurture_domain, mailbox, client):
    email = await _sent_email(nurture_domain, mailbox)
    link = re.search(r"https?://\S+/n/c/\S+", email.get_body(("plain",)).get_content()).group(0)
    first = await client.get(_path(link))
    assert first.status_code == 303 and first.headers["location"] == SCHEDULING
    async with nurture_domain.sessionmaker() as session:
        message = await session.scalar(select(NurtureMessage))
    assert message.clicked_at is not None and message.opened_at is not None
    assert (await client.get("/n/c/" + "B" * 55)).status_code == 404


async def test_the_pixel_is_always_a_gif_and_counts_an_open(nurture_domain, mailbox, client):
    email = await _sent_email(nurture_domain, mailbox)
    pixel = re.search(r'src="([^"]+/n/o/[^"]+)"', email.get_body(("html",)).get_content()).group(1)
    answer = await client.get(_path(pixel))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/gif"
    assert (await client.get(f"/n/o/{uuid.uuid4().hex}.gif")).status_code == 200
    async with nurture_domain.sessionmaker() as session:
        assert (await session.scalar(select(NurtureMessage))).opened_at is not None
