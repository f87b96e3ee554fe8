"""The rules around sending: consent, per-channel opt-out, exits (and the booking race), quiet hours,
missing variables, and the tick's index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from router.appointments.booking import BookingRequest
from router.core.models import Appointment, NurtureEnrolment, NurtureMessage
from router.leads.actions import close_lead
from router.nurture.consent import email_opt_out
from router.nurture.engine import due_enrolments_query, enrol_new_leads
from router.nurture.outbox import send_due_messages, send_message
from router.nurture.worker import nurture_tick
from router.privacy.audit import Actor
from tests.escalation.support import freeze, load_lead
from tests.factories import add_desk_staff, make_practice, viewer_of
from tests.nurture.support import daytime, nurture_practice
from tests.phones.helpers import form_lead

pytestmark = pytest.mark.integration


async def _messages(domain):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(NurtureMessage).order_by(NurtureMessage.created_at))).all()


async def _enrolment(domain, lead_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await session.scalar(select(NurtureEnrolment).where(NurtureEnrolment.lead_id == lead_id))


@pytest.mark.parametrize("consent", [False, None])
async def test_automated_texts_need_a_stored_consent_the_absence_of_stop_is_not_consent(
    nurture_domain, fake_twilio, consent
):
    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain, treatments=("emergency",))
    await form_lead(domain, practice, treatment_interest="emergency", sms_consent=consent)
    await nurture_tick(domain)
    [message] = await _messages(domain)
    said = (
        "opted out of texts (STOP, or no on the form)"
        if consent is False
        else "no consent to texts on record"
    )
    assert message.status == "blocked" and message.detail == said
    await send_due_messages(domain)
    assert fake_twilio.made("Messages") == []


async def test_an_email_unsubscribe_stops_emails_only_and_stop_stops_texts_only(
    nurture_domain, mailbox, fake_twilio
):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    lead = await load_lead(domain, lead_id)
    async with domain.sessionmaker() as session, session.begin():
        session.add(email_opt_out(lead.practice_id, lead.id, lead.email_index, clock.now(), "one_click"))
    await nurture_tick(domain)
    clock.advance(timedelta(days=1))
    await nurture_tick(domain)
    await send_due_messages(domain)
    assert [(m.channel, m.status) for m in await _messages(domain)] == [("email", "blocked"), ("sms", "sent")]
    assert mailbox.messages == [] and len(fake_twilio.made("Messages")) == 1


async def test_a_lead_who_books_while_a_message_is_queued_gets_nothing(nurture_domain, mailbox):
    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    [message] = await _messages(domain)
    assert message.status == "queued"
    [desk] = await add_desk_staff(domain, practice, 1)
    viewer = await viewer_of(domain, desk)
    booking = BookingRequest(starts_at=domain.clock.now() + timedelta(days=2), outside_hours_confirmed=True)
    await close_lead(
        domain,
        viewer,
        lead_id,
        reason="appointment_booked",
        actor=Actor("user", str(desk.id)),
        booking=booking,
    )
    # The queued job fires after the booking: the claim sees the booking and cancels.
    assert (await send_message(domain, message.id))["status"] == "cancelled"
    assert mailbox.messages == []
    enrolment = await _enrolment(domain, lead_id)
    assert enrolment.status == "exited" and enrolment.exit_reason == "booked"


async def test_a_booking_from_the_overflow_console_or_phone_exits_at_the_next_tick(nurture_domain):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    async with domain.sessionmaker() as session, session.begin():  # what every booking path writes
        await session.execute(
            text(
                "INSERT INTO funnel_events (practice_id, lead_id, stage, occurred_at, actor) "
                "VALUES (:p, :l, 'appointment_scheduled', now(), 'overflow')"
            ),
            {"p": practice.practice.id, "l": lead_id},
        )
    clock.advance(timedelta(days=1))
    report = await nurture_tick(domain)
    assert report["steps"] == 0 and report["exited"] == 1
    assert (await _enrolment(domain, lead_id)).exit_reason == "booked"


async def test_an_appointment_from_the_practice_system_exits_at_the_next_tick(nurture_domain):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    practice = await nurture_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await nurture_tick(domain)
    async with domain.sessionmaker() as session, session.begin():  # as the PMS sync stores one
        session.add(
            Appointment(
                practice_id=practice.practice.id,
                lead_id=lead_id,
                location_id=practice.locations["downtown"].id,
                starts_at=clock.now() + timedelta(days=3),
                source="pms",
            )
        )
    clock.advance(timedelta(days=1))
    report = await nurture_tick(domain)
    assert report["steps"] == 0 and report["exited"] == 1
    assert (await _enrolment(domain, lead_id)).exit_reason == "booked"


async def test_a_text_due_at_night_waits_for_8am_across_the_daylight_saving_change(
    nurture_domain, fake_twilio
):
    domain = nurture_domain
    # Saturday 7 March 2026, 9:30 pm in Austin (CST); clocks go forward at 2 am on Sunday.
    clock = freeze(domain, datetime(2026, 3, 8, 3, 30, tzinfo=UTC))
    practice = await nurture_practice(domain, treatments=("emergency",))
    await form_lead(domain, practice, first_name="Ana", treatment_interest="emergency", zip="78701")
    await nurture_tick(domain)
    [message] = await _messages(domain)
    assert message.status == "queued"
    assert message.send_after == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 8:00 CDT, not 8:00 CST
    clock.set(datetime(2026, 3, 8, 12, 59, tzinfo=UTC))
    assert (await send_message(domain, message.id))["status"] == "queued"
    assert fake_twilio.made("Messages") == []
    clock.set(datetime(2026, 3, 8, 13, 0, tzinfo=UTC))
    assert (await send_message(domain, message.id))["status"] == "sent"


async def test_a_missing_first_name_holds_the_message_and_says_why(nurture_domain, mailbox):
    domain = nurture_domain
    freeze(domain, daytime())
    practice = await nurture_practice(domain)
    await form_lead(domain, practice, first_name="")
    await nurture_tick(domain)
    [message] = await _messages(domain)
    assert message.status == "held" and message.detail == "held: no the patient's first name on file"
    await send_due_messages(domain)
    assert mailbox.messages == []


async def test_the_tick_finds_due_steps_through_the_partial_index(domain):
    compiled = due_enrolments_query(datetime.now(UTC), 500).compile(
        dialect=domain.sessionmaker.kw["bind"].dialect, compile_kwargs={"literal_binds": True}
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    assert "ix_nurture_enrolments_due" in plan


async def test_a_day_of_leads_no_sequence_fits_does_not_keep_newer_leads_from_enrolling(nurture_domain):
    domain = nurture_domain
    clock = freeze(domain, daytime())
    elsewhere = await make_practice(domain, slug="no-follow-ups")  # no sequence switched on
    practice = await nurture_practice(domain)
    for n in range(3):  # older than the batch: read every tick, never enrolled
        other = {"email": f"other{n}@example.com", "phone": f"(512) 555-02{n:02d}"}
        await form_lead(domain, elsewhere, first_name=f"Other{n}", **other)
        kid = {"email": f"kid{n}@example.com", "phone": f"(512) 555-03{n:02d}"}
        # the practice has no emergency sequence on: nothing fits
        await form_lead(domain, practice, first_name=f"Kid{n}", treatment_interest="emergency", **kid)
    clock.advance(timedelta(minutes=1))
    lead_id = await form_lead(domain, practice, first_name="Ana")
    assert await enrol_new_leads(domain, limit=2) == 1
    async with domain.sessionmaker() as session:
        enrolled = (await session.scalars(select(NurtureEnrolment.lead_id))).all()
    assert enrolled == [lead_id]
