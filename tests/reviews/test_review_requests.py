"""Review requests: one message with the review link after a new patient's first completed visit,
at most once per patient in 12 months, even when two workers look at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from router.nurture.outbox import send_due_messages
from router.privacy.audit import Actor
from router.reviews.requests import queue_review_requests, request_review
from tests.escalation.support import freeze
from tests.nurture.support import daytime
from tests.phones.helpers import form_lead
from tests.reviews.helpers import (
    REVIEW_URL,
    appointment_id,
    becomes_patient,
    review_practice,
    review_requests,
    visit,
)

pytestmark = pytest.mark.integration


async def test_a_first_completed_visit_gets_one_text_with_the_review_link(outbox_domain, outbox_twilio):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain)
    await form_lead(domain, practice, first_name="Ana")
    patient_id = await becomes_patient(domain, practice)

    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="booked")
    assert await queue_review_requests(domain) == {}  # booked is not a visit yet
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    assert await queue_review_requests(domain) == {"queued": 1}
    assert (await send_due_messages(domain))["sent"] == 1

    [text] = outbox_twilio.made("Messages")
    assert text.value("Body").startswith("Hi Ana, thanks for visiting Bright Dental!")
    assert REVIEW_URL in text.value("Body") and "Reply STOP" in text.value("Body")
    [message] = await review_requests(domain, patient_id)
    assert (message.status, message.channel) == ("sent", "sms")
    assert message.appointment_id == await appointment_id(domain, practice, "A-1")

    # A second completed visit is not a first visit; the sweep asks nothing more.
    await visit(domain, practice, appointment="A-2", start="2026-03-03 09:00", status="completed")
    assert await queue_review_requests(domain) == {}
    assert len(outbox_twilio.made("Messages")) == 1


async def test_without_text_consent_the_request_is_an_email_with_the_link(outbox_domain, outbox_mailbox):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain)
    await form_lead(domain, practice, first_name="Ana", email="ana.lopez@example.com", sms_consent=False)
    await becomes_patient(domain, practice)
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")

    assert await queue_review_requests(domain) == {"queued": 1}
    assert (await send_due_messages(domain))["sent"] == 1
    [(_, rcpt, email)] = outbox_mailbox.messages
    assert rcpt == ["ana.lopez@example.com"]
    assert email["Subject"] == "How was your visit to Bright Dental, Ana?"
    assert REVIEW_URL in email.get_body(("plain",)).get_content()


async def test_at_most_one_request_per_patient_in_12_months(outbox_domain):
    domain = outbox_domain
    clock = freeze(domain, daytime())
    practice = await review_practice(domain)
    await form_lead(domain, practice, first_name="Ana")
    patient_id = await becomes_patient(domain, practice)
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    await visit(domain, practice, appointment="A-2", start="2026-03-03 09:00", status="completed")

    assert await request_review(domain, await appointment_id(domain, practice, "A-1")) == "queued"
    # Another trigger for another visit (a PMS that re-dated its visits) within the year: not asked.
    assert await request_review(domain, await appointment_id(domain, practice, "A-2")) == "already asked"
    clock.advance(timedelta(days=364))
    assert await request_review(domain, await appointment_id(domain, practice, "A-2")) == "already asked"
    clock.advance(timedelta(days=2))
    await visit(domain, practice, appointment="A-3", start="2027-03-04 08:00", status="completed")
    assert await request_review(domain, await appointment_id(domain, practice, "A-3")) == "queued"
    assert [m.status for m in await review_requests(domain, patient_id)] == ["queued", "queued"]


async def test_two_triggers_at_once_ask_once(outbox_domain):
    domain = outbox_domain
    freeze(domain, daytime())
    practice = await review_practice(domain)
    await form_lead(domain, practice, first_name="Ana")
    patient_id = await becomes_patient(domain, practice)
    await visit(domain, practice, appointment="A-1", start="2026-03-03 08:00", status="completed")
    await visit(domain, practice, appointment="A-2", start="2026-03-03 08:00", status="completed")
    first = await appointment_id(domain, practice, "A-1")
    second = await appointment_id(domain, practice, "A-2")

    outcomes = await asyncio.gather(
        queue_review_requests(domain),
        queue_review_requests(domain),
        request_review(domain, first),
        request_review(domain, second),
    )
    assert len(await review_requests(domain, patient_id)) == 1
    assert sum(o.get("queued", 0) for o in outcomes[:2]) + outcomes[2:].count("queued") == 1


async def test_nobody_is_asked_when_the_practice_is_off_or_the_patient_has_no_lead(outbox_domain):
    domain = outbox_domain
    freeze(domain, daytime())
    off = await review_practice(domain, asking=False)
    await form_lead(domain, off, first_name="Ana")
    await becomes_patient(domain, off)
    await visit(domain, off, appointment="A-1", start="2026-03-03 08:00", status="completed")
    assert await queue_review_requests(domain) == {}
    # A patient known only to the PMS (no lead here: no contact consent on file) is not asked either.
    stranger = await becomes_patient(
        domain, off, pms_id="P-9", first="Zed", last="Nolead", phone="(512) 555-0199"
    )
    assert stranger is not None
    await visit(domain, off, appointment="A-9", patient="P-9", start="2026-03-03 08:00", status="completed")
    assert await request_review(domain, await appointment_id(domain, off, "A-9")) == "review requests are off"


async def test_the_settings_screen_turns_requests_on_only_with_a_review_page(domain):
    from router.core.errors import InvalidFields
    from router.practices.settings_admin import load_settings_screen, save_settings
    from router.privacy.access import Viewer

    practice = await review_practice(domain, asking=False)
    maya = practice.staff["maya@bright.example"]
    viewer = Viewer(maya.id, "manager", "Maya", practice.practice.id, frozenset(), frozenset())
    actor = Actor("user", str(maya.id))
    form = (await load_settings_screen(domain, viewer)).values()
    with pytest.raises(InvalidFields) as refused:
        await save_settings(domain, viewer, {**form, "reviews.on": "1", "reviews.page_url": ""}, actor=actor)
    assert refused.value.errors == {
        "reviews.page_url": "Give the review page's address to turn review requests on."
    }
    with pytest.raises(InvalidFields) as refused:
        await save_settings(
            domain, viewer, {**form, "reviews.on": "1", "reviews.page_url": "g.page/r/x"}, actor=actor
        )
    assert "starting with https://" in refused.value.errors["reviews.page_url"]
    saved = await save_settings(
        domain,
        viewer,
        {**form, "reviews.on": "1", "reviews.page_url": "https://g.page/r/x/review"},
        actor=actor,
    )
    assert saved.changed
    screen = await load_settings_screen(domain, viewer)
    assert (screen.settings.review_requests, screen.settings.review_page_url) == (
        True,
        "https://g.page/r/x/review",
    )
