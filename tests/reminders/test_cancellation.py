"""A cancelled or moved appointment's reminders stop, including one being sent at that very moment."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from router.appointments.changes import apply_appointment
from router.appointments.records import AppointmentRecord
from router.core.models import Appointment
from router.nurture import outbox
from router.nurture.outbox import send_due_messages, send_message
from router.reminders.planning import plan_due_reminders
from tests.escalation.support import freeze
from tests.phones.helpers import form_lead
from tests.reminders.helpers import book, reminder_practice, reminder_rows

pytestmark = pytest.mark.integration

CENTRAL = ZoneInfo("America/Chicago")
BOOKED = datetime(2026, 3, 3, 10, 0, tzinfo=CENTRAL)
VISIT = datetime(2026, 3, 9, 10, 0, tzinfo=CENTRAL)
FORTY_EIGHT_BEFORE = datetime(2026, 3, 7, 10, 0, tzinfo=CENTRAL)


async def _planned(domain, *, confirmation: bool = False):  # type: ignore[no-untyped-def]
    freeze(domain, BOOKED)
    practice = await reminder_practice(domain, confirmation=confirmation)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    appointment_id = await book(domain, practice, lead_id, VISIT, pms_id="A-1", pms_version="1")
    await plan_due_reminders(domain)
    return practice, appointment_id


async def _cancel(session, appointment_id) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        update(Appointment).where(Appointment.id == appointment_id).values(status="cancelled")
    )


async def _lock_waiters(domain) -> int:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )


async def test_a_cancellation_from_the_pms_stops_the_reminders(reminders, fake_twilio):
    domain = reminders
    practice, appointment_id = await _planned(domain)
    async with domain.sessionmaker() as session, session.begin():
        applied = await apply_appointment(
            domain,
            session,
            practice.practice.id,
            AppointmentRecord(pms_id="A-1", version="2", status="cancelled", starts_at=VISIT),
            now=domain.clock.now(),
        )
    assert applied.changed
    domain.clock.set(FORTY_EIGHT_BEFORE)
    assert (await send_due_messages(domain))["sent"] == 0  # the sender itself refuses
    assert (await plan_due_reminders(domain))["cancelled"] == 1  # the sweep tidies the other
    rows = await reminder_rows(domain, appointment_id)
    assert [(r.status, r.detail) for r in rows] == [("cancelled", "the appointment was cancelled")] * 2
    assert fake_twilio.made("Messages") == []


async def test_a_cancelled_visit_booked_again_at_the_same_time_gets_its_reminders_again(reminders):
    domain = reminders
    practice, appointment_id = await _planned(domain)
    for version, status in (("2", "cancelled"), ("3", "booked")):
        async with domain.sessionmaker() as session, session.begin():
            record = AppointmentRecord(pms_id="A-1", version=version, status=status, starts_at=VISIT)
            await apply_appointment(domain, session, practice.practice.id, record, now=domain.clock.now())
        await plan_due_reminders(domain)
    rows = await reminder_rows(domain, appointment_id)
    assert sorted(r.status for r in rows) == ["cancelled", "cancelled", "queued", "queued"]


async def test_a_visit_confirmed_by_reply_stays_confirmed_when_the_pms_still_says_booked(reminders):
    domain = reminders
    practice, appointment_id = await _planned(domain)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Appointment).where(Appointment.id == appointment_id).values(status="confirmed")
        )

    async def sync(version: str, starts_at: datetime) -> str:
        async with domain.sessionmaker() as session, session.begin():
            record = AppointmentRecord(pms_id="A-1", version=version, status="booked", starts_at=starts_at)
            await apply_appointment(domain, session, practice.practice.id, record, now=domain.clock.now())
        async with domain.sessionmaker() as session:
            return (await session.get(Appointment, appointment_id, populate_existing=True)).status

    assert await sync("2", VISIT) == "confirmed"
    assert await sync("3", FORTY_EIGHT_BEFORE) == "booked"  # moved: the new time is not confirmed yet


async def test_a_send_racing_a_cancellation_waits_for_it_and_sends_nothing(reminders, fake_twilio):
    domain = reminders
    _, appointment_id = await _planned(domain)
    message = (await reminder_rows(domain, appointment_id))[0]
    domain.clock.set(FORTY_EIGHT_BEFORE)
    async with domain.sessionmaker() as session, session.begin():
        await _cancel(session, appointment_id)  # not committed yet
        sending = asyncio.create_task(send_message(domain, message.id))
        for _ in range(200):  # until the sender waits on the appointment's lock
            if await _lock_waiters(domain) or sending.done():
                break
            await asyncio.sleep(0.01)
        assert not sending.done()
    assert await sending == {"status": "cancelled"}
    assert fake_twilio.made("Messages") == []
    assert (await reminder_rows(domain, appointment_id))[0].detail == "the appointment was cancelled"


async def test_a_reminder_claimed_before_the_cancellation_commits_is_sent_once(reminders, fake_twilio):
    domain = reminders
    _, appointment_id = await _planned(domain)
    first, second = await reminder_rows(domain, appointment_id)
    domain.clock.set(FORTY_EIGHT_BEFORE)

    async def cancel_meanwhile(message_id) -> None:  # type: ignore[no-untyped-def]
        async with domain.sessionmaker() as session, session.begin():
            await _cancel(session, appointment_id)

    outbox.after_provider_accepted = cancel_meanwhile
    try:
        assert await send_message(domain, first.id) == {"status": "sent"}
    finally:
        outbox.after_provider_accepted = None
    assert (await plan_due_reminders(domain))["cancelled"] == 1
    assert [r.status for r in await reminder_rows(domain, appointment_id)] == ["sent", "cancelled"]
    assert await send_message(domain, second.id) == {"status": "cancelled"}
    assert len(fake_twilio.made("Messages")) == 1


async def test_a_send_racing_a_move_sends_nothing_with_the_old_time(reminders, fake_twilio):
    domain = reminders
    _, appointment_id = await _planned(domain)
    message = (await reminder_rows(domain, appointment_id))[0]
    domain.clock.set(FORTY_EIGHT_BEFORE)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(starts_at=datetime(2026, 3, 10, 11, 0, tzinfo=CENTRAL))
        )
        sending = asyncio.create_task(send_message(domain, message.id))
        for _ in range(200):
            if await _lock_waiters(domain) or sending.done():
                break
            await asyncio.sleep(0.01)
    assert await sending == {"status": "cancelled"}
    assert fake_twilio.made("Messages") == []
    await plan_due_reminders(domain)
    async with domain.sessionmaker() as session:
        moved = await session.scalar(
            select(func.count()).where(Appointment.reminders_planned_for == Appointment.starts_at)
        )
    assert moved == 1
    live = [r for r in await reminder_rows(domain, appointment_id) if r.status == "queued"]
    assert {r.appointment_at for r in live} == {datetime(2026, 3, 10, 11, 0, tzinfo=CENTRAL)}


async def test_a_visit_the_pms_sync_finds_for_a_lead_is_planned_and_a_move_there_replans(reminders):
    import uuid

    from router.core.models import LeadPatientMatch, Patient

    domain = reminders
    freeze(domain, BOOKED)
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        patient = Patient(
            id=uuid.uuid4(),
            practice_id=practice.practice.id,
            pms_id="P-9",
            source="fhir",
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        await session.flush()
        session.add(
            LeadPatientMatch(
                practice_id=practice.practice.id,
                lead_id=lead_id,
                patient_id=patient.id,
                method="exact",
                score=1.0,
                created_at=now,
            )
        )

    async def pms_says(version: str, starts_at: datetime) -> None:
        async with domain.sessionmaker() as session, session.begin():
            record = AppointmentRecord(
                pms_id="A-9", version=version, status="booked", starts_at=starts_at, patient_pms_id="P-9"
            )
            await apply_appointment(domain, session, practice.practice.id, record, now=domain.clock.now())

    await pms_says("1", VISIT)
    assert (await plan_due_reminders(domain))["messages"] == 3
    async with domain.sessionmaker() as session:
        appointment = await session.scalar(select(Appointment).where(Appointment.pms_id == "A-9"))
    assert appointment.lead_id == lead_id and appointment.source == "pms"
    await pms_says("2", datetime(2026, 3, 10, 15, 0, tzinfo=CENTRAL))
    assert (await plan_due_reminders(domain))["messages"] == 3
    statuses = sorted(
        (r.appointment_at.astimezone(CENTRAL).day, r.status)
        for r in await reminder_rows(domain, appointment.id)
    )
    assert statuses == [(9, "cancelled")] * 3 + [(10, "queued")] * 3
