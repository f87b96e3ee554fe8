"""At most once: a worker stopped after the provider took a message and before that was recorded.

The local servers count what they received: after recovery they must hold exactly one message.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from router.core.models import NurtureMessage
from router.nurture import outbox
from router.nurture.outbox import recover_stalled, send_due_messages, send_message
from router.nurture.worker import nurture_tick
from tests.escalation.support import freeze
from tests.nurture.support import daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration


class WorkerStopped(BaseException):
    """What a killed worker looks like from inside: nothing after this line runs, no handler sees it."""


async def _stop(message_id):  # type: ignore[no-untyped-def]
    raise WorkerStopped(str(message_id))


@pytest.fixture
def crash_after_accept():  # type: ignore[no-untyped-def]
    outbox.after_provider_accepted = _stop
    yield
    outbox.after_provider_accepted = None


async def _only_message(domain, channel):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(NurtureMessage).where(NurtureMessage.channel == channel))


async def _queued_text(domain):  # type: ignore[no-untyped-def]
    """A lead on the emergency sequence: its first step is a text, queued at once."""
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain, treatments=("emergency",))
    await form_lead(domain, practice, first_name="Ana", treatment_interest="emergency")
    await nurture_tick(domain)
    return clock, await _only_message(domain, "sms")


async def test_a_text_taken_by_twilio_before_a_crash_is_found_in_twilios_list_not_resent(
    nurture_domain, fake_twilio, crash_after_accept
):
    domain = nurture_domain
    clock, message = await _queued_text(domain)
    with pytest.raises(WorkerStopped):
        await send_message(domain, message.id)
    assert len(fake_twilio.made("Messages")) == 1
    assert (await _only_message(domain, "sms")).status == "sending"

    outbox.after_provider_accepted = None
    assert (await send_due_messages(domain))["due"] == 0  # "sending" is never picked up as due
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    report = await recover_stalled(domain)
    assert report["sent"] == 1 and report["requeued"] == 0
    settled = await _only_message(domain, "sms")
    assert settled.status == "sent" and settled.provider_id == fake_twilio.created[0]["sid"]
    assert [r.method for r in fake_twilio.requests].count("GET") == 1  # it asked Twilio's list
    await send_due_messages(domain)
    assert len(fake_twilio.made("Messages")) == 1


async def test_a_text_twilio_never_took_is_sent_once_after_the_check(nurture_domain, fake_twilio):
    domain = nurture_domain
    clock, message = await _queued_text(domain)
    async with domain.sessionmaker() as session, session.begin():  # claimed, then the worker died
        await session.execute(
            update(NurtureMessage)
            .where(NurtureMessage.id == message.id)
            .values(status="sending", attempt_started_at=clock.now())
        )
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    assert (await recover_stalled(domain))["requeued"] == 1
    await send_due_messages(domain)
    assert len(fake_twilio.made("Messages")) == 1
    assert (await _only_message(domain, "sms")).status == "sent"


async def test_an_email_whose_outcome_is_unknown_is_shown_so_and_never_resent(
    nurture_domain, mailbox, crash_after_accept
):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    message = await _only_message(domain, "email")
    with pytest.raises(WorkerStopped):
        await send_message(domain, message.id)
    outbox.after_provider_accepted = None
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    assert (await recover_stalled(domain))["unknown"] == 1
    await send_due_messages(domain)
    assert len(mailbox.messages) == 1
    settled = await _only_message(domain, "email")
    assert settled.status == "unknown" and settled.detail.startswith("may not have been sent")


async def test_the_lead_page_says_an_email_may_not_have_been_sent_and_staff_can_stop_the_sequence(
    nurture_domain, mailbox, crash_after_accept, client
):
    from router.core.models import NurtureEnrolment
    from tests.factories import csrf_of, sign_in

    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain, staff={"maya@bright.example": {"role": "manager"}})
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    with pytest.raises(WorkerStopped):
        await send_message(domain, (await _only_message(domain, "email")).id)
    outbox.after_provider_accepted = None
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    await recover_stalled(domain)
    await sign_in(client, domain, "maya@bright.example")
    page = await client.get(f"/leads/{lead_id}")
    assert "Follow-up: Orthodontics" in page.text and "May not have been sent" in page.text
    stopped = await client.post(
        f"/leads/{lead_id}/follow-up/stop", data={"_csrf_token": await csrf_of(client)}
    )
    assert stopped.status_code == 303
    async with domain.sessionmaker() as session:
        enrolment = await session.scalar(select(NurtureEnrolment).where(NurtureEnrolment.lead_id == lead_id))
    assert enrolment.status == "exited" and enrolment.exit_reason == "stopped"
    assert "Stopped: Stopped by staff" in (await client.get(f"/leads/{lead_id}")).text


async def test_a_status_callback_naming_our_id_settles_a_half_sent_text_without_asking_twilio(
    nurture_domain, fake_twilio, crash_after_accept
):
    from router.phones.texts import record_text_status

    domain = nurture_domain
    clock, message = await _queued_text(domain)
    with pytest.raises(WorkerStopped):
        await send_message(domain, message.id)
    outbox.after_provider_accepted = None
    sid = fake_twilio.created[0]["sid"]
    # Twilio's callback to .../sms/status?message_id=<our id>, as the webhook applies it:
    await record_text_status(domain, message_sid=sid, status="delivered", message_id=message.id)
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    assert (await recover_stalled(domain))["sent"] == 1
    assert [r.method for r in fake_twilio.requests] == ["POST"]  # no list query was needed
    assert (await _only_message(domain, "sms")).provider_id == sid


async def test_a_sweep_that_read_a_stalled_text_before_another_sweep_resent_it_leaves_the_resend_alone(
    nurture_domain, fake_twilio
):
    domain = nurture_domain
    clock, message = await _queued_text(domain)
    async with domain.sessionmaker() as session, session.begin():  # claimed, then the worker died
        await session.execute(
            update(NurtureMessage)
            .where(NurtureMessage.id == message.id)
            .values(status="sending", attempt_started_at=clock.now())
        )
    clock.advance(outbox.STALLED_AFTER + timedelta(seconds=1))
    stale = await _only_message(domain, "sms")  # what a slow sweep read before asking Twilio
    resent_at = clock.now()
    async with domain.sessionmaker() as session, session.begin():  # another sweep requeued it; now resending
        await session.execute(
            update(NurtureMessage)
            .where(NurtureMessage.id == message.id)
            .values(status="sending", attempt_started_at=resent_at)
        )
    assert await outbox._settle(domain, stale) == "settled_elsewhere"
    row = await _only_message(domain, "sms")
    assert (row.status, row.attempt_started_at) == ("sending", resent_at)  # not queued for a second send
    await send_due_messages(domain)
    assert fake_twilio.made("Messages") == []
