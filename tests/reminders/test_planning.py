"""Planning a booked appointment's confirmation and reminders into the outbox, and sending them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from router.core.models import Appointment, Touchpoint
from router.nurture.outbox import send_due_messages
from router.reminders.planning import plan_due_reminders
from tests.escalation.support import freeze
from tests.phones.helpers import form_lead
from tests.reminders.helpers import body_of, book, plan_of, reminder_practice, reminder_rows

pytestmark = pytest.mark.integration

CENTRAL = ZoneInfo("America/Chicago")


def central(*args: int) -> datetime:
    return datetime(*args, tzinfo=CENTRAL)


async def _sent_at_each_time(domain, fake_twilio, rows) -> list[str]:
    """Move the clock to each planned time and run the sender: the bodies of the texts that went."""
    bodies = []
    for row in sorted(rows, key=lambda r: r.send_after):
        domain.clock.set(row.send_after)
        assert (await send_due_messages(domain))["sent"] == 1
        bodies.append(fake_twilio.made("Messages")[-1].value("Body"))
    return bodies


async def test_spring_forward_keeps_the_offices_clock_from_planning_to_the_texts(reminders, fake_twilio):
    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))  # Tuesday, standard time
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    visit = central(2026, 3, 9, 10, 0)  # Monday after the change (Sunday 8 March), daylight time
    appointment_id = await book(domain, practice, lead_id, visit)

    report = await plan_due_reminders(domain)
    assert report["planned"] == 1 and report["messages"] == 3
    rows = await reminder_rows(domain, appointment_id)
    assert {r.status for r in rows} == {"queued"} and {r.channel for r in rows} == {"sms"}
    assert {r.purpose for r in rows} == {"reminder"} and {r.appointment_at for r in rows} == {visit}
    plan = plan_of(rows)
    assert plan["confirmation"] == central(2026, 3, 3, 10, 0)
    assert plan["reminder_48h"] == central(2026, 3, 7, 10, 0)  # 10:00 CST: 49 elapsed hours, same clock
    assert plan["reminder_48h"].astimezone(UTC).hour == 16
    assert plan["reminder_2h"] == central(2026, 3, 9, 8, 0)  # 08:00 CDT

    bodies = await _sent_at_each_time(domain, fake_twilio, rows)
    assert len(bodies) == 3 and all("Mon 9 Mar at 10:00 AM" in b for b in bodies)
    assert bodies[0].startswith("Hi Ana, your visit at Bright Dental, Downtown Office, is booked")
    assert "a reminder from Bright Dental" in bodies[1] and "Reply STOP" in bodies[2]
    assert [r.status for r in await reminder_rows(domain, appointment_id)] == ["sent"] * 3


async def test_fall_back_keeps_the_offices_clock_too(reminders, fake_twilio):
    domain = reminders
    freeze(domain, central(2026, 10, 28, 10, 0))  # Wednesday, daylight time
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    visit = central(2026, 11, 2, 10, 0)  # Monday after the change (Sunday 1 November), standard time
    appointment_id = await book(domain, practice, lead_id, visit)
    await plan_due_reminders(domain)
    rows = await reminder_rows(domain, appointment_id)
    plan = plan_of(rows)
    assert plan["reminder_48h"] == central(2026, 10, 31, 10, 0)  # 10:00 CDT: 47 elapsed hours
    assert plan["reminder_48h"].astimezone(UTC).hour == 15
    assert plan["reminder_2h"] == central(2026, 11, 2, 8, 0)
    bodies = await _sent_at_each_time(domain, fake_twilio, rows)
    assert all("Mon 2 Nov at 10:00 AM" in b for b in bodies)


async def test_quiet_hours_move_a_reminder_earlier_and_a_late_confirmation_to_the_morning(reminders):
    domain = reminders
    freeze(domain, central(2026, 3, 2, 22, 30))  # Monday night: quiet hours (9 pm to 8 am)
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    visit = central(2026, 3, 5, 9, 0)  # Thursday 9:00: 2 h before is 7:00, in quiet hours
    appointment_id = await book(domain, practice, lead_id, visit)
    await plan_due_reminders(domain)
    plan = plan_of(await reminder_rows(domain, appointment_id))
    assert plan["confirmation"] == central(2026, 3, 3, 8, 0)  # waits for the morning
    assert plan["reminder_48h"] == central(2026, 3, 3, 9, 0)
    moved = plan["reminder_2h"].astimezone(CENTRAL)
    assert moved < visit and (moved.date(), moved.hour) == (central(2026, 3, 4, 0, 0).date(), 20)


async def test_planning_again_never_duplicates(reminders):
    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    appointment_id = await book(domain, practice, lead_id, central(2026, 3, 9, 10, 0))
    assert (await plan_due_reminders(domain))["messages"] == 3
    assert (await plan_due_reminders(domain))["planned"] == 0  # nothing left to plan
    async with domain.sessionmaker() as session, session.begin():  # as if the mark were lost
        await session.execute(
            update(Appointment).where(Appointment.id == appointment_id).values(reminders_planned_for=None)
        )
    assert (await plan_due_reminders(domain))["messages"] == 0
    assert len(await reminder_rows(domain, appointment_id)) == 3


async def test_a_moved_appointment_cancels_the_old_reminders_and_plans_the_new_time(reminders, fake_twilio):
    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))
    practice = await reminder_practice(domain)
    lead_id = await form_lead(domain, practice, first_name="Ana")
    appointment_id = await book(domain, practice, lead_id, central(2026, 3, 9, 10, 0))
    await plan_due_reminders(domain)
    assert (await send_due_messages(domain))["sent"] == 1  # the confirmation
    domain.clock.advance(timedelta(hours=1))
    later = central(2026, 3, 12, 15, 30)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Appointment).where(Appointment.id == appointment_id).values(starts_at=later)
        )
    await plan_due_reminders(domain)
    rows = await reminder_rows(domain, appointment_id)
    old = [r for r in rows if r.appointment_at != later]
    assert [(r.reminder_kind, r.status) for r in old] == [
        ("confirmation", "sent"),
        ("reminder_48h", "cancelled"),
        ("reminder_2h", "cancelled"),
    ]
    new = plan_of([r for r in rows if r.appointment_at == later], status="queued")
    assert new == {
        "confirmation": central(2026, 3, 3, 11, 0),
        "reminder_48h": central(2026, 3, 10, 15, 30),
        "reminder_2h": central(2026, 3, 12, 13, 30),
    }
    assert (await send_due_messages(domain))["sent"] == 1
    assert "Thu 12 Mar at 3:30 PM" in fake_twilio.made("Messages")[-1].value("Body")


async def test_timings_per_appointment_type_and_no_confirmation_when_switched_off(reminders):
    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))
    practice = await reminder_practice(
        domain, confirmation=False, hours_before=[24], type_hours={"new patient exam": [72, 3]}
    )
    lead_id = await form_lead(domain, practice, first_name="Ana")
    exam = await book(
        domain, practice, lead_id, central(2026, 3, 9, 10, 0), appointment_type="New Patient Exam"
    )
    cleaning = await book(domain, practice, lead_id, central(2026, 3, 10, 10, 0), appointment_type="Cleaning")
    await plan_due_reminders(domain)
    exam_plan = plan_of(await reminder_rows(domain, exam))
    assert set(exam_plan) == {"reminder_72h", "reminder_3h"}  # the type's own timings, no confirmation
    assert exam_plan["reminder_72h"] == central(2026, 3, 6, 10, 0)
    evening = exam_plan["reminder_3h"].astimezone(CENTRAL)  # 7:00 is quiet: the evening before
    assert (evening.day, evening.hour) == (8, 20)
    assert plan_of(await reminder_rows(domain, cleaning)) == {"reminder_24h": central(2026, 3, 9, 10, 0)}


async def test_email_in_spanish_without_text_consent_and_nothing_when_reminders_are_off(reminders, mailbox):
    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))
    practice = await reminder_practice(domain)
    lead_id = await form_lead(
        domain, practice, first_name="Lucía", sms_consent=False, email="lucia@example.com"
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Touchpoint).where(Touchpoint.lead_id == lead_id).values(details={"language": "es"})
        )
    appointment_id = await book(domain, practice, lead_id, central(2026, 3, 9, 10, 0))
    await plan_due_reminders(domain)
    rows = await reminder_rows(domain, appointment_id)
    assert {r.channel for r in rows} == {"email"}
    assert "lun 9 mar a las 10:00" in body_of(domain, rows[0])
    assert (await send_due_messages(domain))["sent"] == 1
    assert mailbox.messages[-1][1] == ["lucia@example.com"]

    async with domain.sessionmaker() as session, session.begin():
        from router.core.models import ReminderSettings

        await session.execute(update(ReminderSettings).values(enabled=False))
    other = await book(domain, practice, lead_id, central(2026, 3, 11, 10, 0))
    assert (await plan_due_reminders(domain))["planned"] == 0
    assert await reminder_rows(domain, other) == []
    domain.clock.set(central(2026, 3, 7, 10, 0))
    assert (await send_due_messages(domain))["sent"] == 0  # the 48 h email is stopped at the send
    assert {r.reminder_kind: r.status for r in await reminder_rows(domain, appointment_id)}[
        "reminder_48h"
    ] == ("cancelled")


async def test_a_booking_closed_on_the_board_is_planned_and_shown_on_the_lead_page(client, reminders):
    from tests.factories import csrf_of, sign_in

    domain = reminders
    freeze(domain, central(2026, 3, 3, 10, 0))
    practice = await reminder_practice(domain, staff={"dee@bright.example": {"name": "Dee"}})
    lead_id = await form_lead(domain, practice, first_name="Ana")
    await sign_in(client, domain, "dee@bright.example")
    closed = await client.post(
        f"/board/leads/{lead_id}/close",
        data={"reason": "appointment_booked", "appointment_at": "2026-03-09T10:00"},
        headers={"x-csrftoken": await csrf_of(client)},
    )
    assert closed.status_code == 204, closed.text
    assert (await plan_due_reminders(domain))["messages"] == 3
    page = (await client.get(f"/leads/{lead_id}")).text
    assert "(appointment confirmation)" in page and "(appointment reminder, 48 h before)" in page


async def test_the_planners_query_uses_its_partial_index(domain):
    from sqlalchemy import text

    from router.reminders.planning import due_for_planning_query

    compiled = due_for_planning_query(datetime.now(UTC), 200).compile(
        dialect=domain.sessionmaker.kw["bind"].dialect, compile_kwargs={"literal_binds": True}
    )
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    assert "ix_appointments_reminders_due" in plan
