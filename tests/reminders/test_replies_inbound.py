"""Replies to a reminder through the real Twilio webhook (signed as Twilio signs): every reply class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from connectors.twilio.twiml import SMS_PATH
from router.core.models import Appointment, Interaction, PmsConnection, ScheduleAlert
from router.core.phi_columns import INTERACTION_NOTE
from router.nurture.outbox import send_due_messages
from router.reminders.planning import plan_due_reminders
from tests.escalation.support import freeze
from tests.factories import csrf_of, sign_in
from tests.phones.helpers import form_lead, new_sid, post_signed, sms_params
from tests.reminders.helpers import book, reminder_practice

pytestmark = pytest.mark.integration

CENTRAL = ZoneInfo("America/Chicago")
VISIT = datetime(2026, 3, 9, 10, 0, tzinfo=CENTRAL)
DESK = "desk@bright.example"


async def _reminded(domain, **fields):  # type: ignore[no-untyped-def]
    """A booked lead whose 48 h reminder text went out; the clock an hour after it."""
    freeze(domain, datetime(2026, 3, 3, 10, 0, tzinfo=CENTRAL))
    practice = await reminder_practice(domain, confirmation=False, staff={DESK: {"name": "Dee Desk"}})
    lead_id = await form_lead(domain, practice, first_name="Ana")
    appointment_id = await book(domain, practice, lead_id, VISIT, **fields)
    await plan_due_reminders(domain)
    domain.clock.set(datetime(2026, 3, 7, 10, 0, tzinfo=CENTRAL))
    assert (await send_due_messages(domain))["sent"] == 1
    domain.clock.advance(timedelta(hours=1))
    return practice, lead_id, appointment_id


async def _reply(client, config, body: str, sid: str | None = None):  # type: ignore[no-untyped-def]
    answer = await post_signed(client, config, SMS_PATH, sms_params(body, sid=sid or new_sid("SM")))
    assert answer.status_code == 200, answer.text


async def _state(domain, appointment_id):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        appointment = await session.get(Appointment, appointment_id)
        alerts = (await session.scalars(select(ScheduleAlert))).all()
        notes = (await session.scalars(select(Interaction).where(Interaction.kind == "reminder_reply"))).all()
    words = [domain.cipher.open(n.note_enc, column=INTERACTION_NOTE, row_id=n.id) for n in notes]
    return appointment, alerts, words


@pytest.mark.parametrize("body", ["C", "Yes!", "confirmed 👍", "👍🏽"])
async def test_a_confirming_reply_confirms_the_appointment(twilio_client, twilio_config, reminders, body):
    _, _, appointment_id = await _reminded(reminders)
    sid = new_sid("SM")
    await _reply(twilio_client, twilio_config, body, sid)
    await _reply(twilio_client, twilio_config, body, sid)  # Twilio retries: read once
    appointment, alerts, notes = await _state(reminders, appointment_id)
    assert appointment.status == "confirmed" and appointment.confirmed_at is not None
    assert [(a.meaning, a.handled_at is not None) for a in alerts] == [("confirmed", True)]
    assert notes == ["Replied to the reminder: confirmed Mon 9 Mar 10:00 CDT at Downtown Office."]


async def test_a_confirmation_is_written_back_to_a_pms_that_takes_writes(
    twilio_client, twilio_config, reminders, fhir_server
):
    stored = fhir_server.change(
        {
            "resourceType": "Appointment",
            "status": "booked",
            "start": VISIT.astimezone(UTC).isoformat(),
            "participant": [{"actor": {"reference": "Patient/p-1"}, "status": "needs-action"}],
        }
    )
    practice, _, appointment_id = await _reminded(reminders, pms_id=stored["id"], pms_version="1")
    async with reminders.sessionmaker() as session, session.begin():
        session.add(
            PmsConnection(
                practice_id=practice.practice.id,
                kind="fhir",
                base_url=fhir_server.base_url,
                writable=True,
                cursor={},
                updated_at=reminders.clock.now(),
            )
        )
    await _reply(twilio_client, twilio_config, "confirm")
    appointment, _, notes = await _state(reminders, appointment_id)
    in_pms = fhir_server.get("Appointment", stored["id"])
    assert in_pms["participant"][0]["status"] == "accepted" and in_pms["meta"]["versionId"] == "2"
    assert any(e["url"].endswith("patient-confirmed") for e in in_pms["extension"])
    assert appointment.status == "confirmed" and appointment.pms_version == "2"
    assert notes[0].endswith("Written to the practice system.")


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("Sorry can't make it", "Wants to cancel Mon 9 Mar 10:00 CDT"),
        ("CANCEL", "Wants to cancel Mon 9 Mar 10:00 CDT"),
        ("yes but I need to reschedule", "Wants to reschedule Mon 9 Mar 10:00 CDT"),
        ("can we do another day", "Wants to reschedule Mon 9 Mar 10:00 CDT"),
    ],
)
async def test_cancel_and_reschedule_replies_raise_a_schedule_alert_in_the_inbox(
    twilio_client, twilio_config, reminders, body, shown
):
    _, _, appointment_id = await _reminded(reminders)
    await _reply(twilio_client, twilio_config, body)
    appointment, alerts, notes = await _state(reminders, appointment_id)
    assert appointment.status == "booked" and len(alerts) == 1 and alerts[0].handled_at is None
    assert notes == [f"Replied to the reminder: {shown[0].lower()}{shown[1:]} at Downtown Office."]

    await sign_in(twilio_client, reminders, DESK)
    page = await twilio_client.get("/inbox")
    assert page.status_code == 200 and f"<strong>Schedule:</strong> {shown}" in page.text
    done = await twilio_client.post(
        f"/inbox/alerts/{alerts[0].id}/handled",
        headers={"x-csrftoken": await csrf_of(twilio_client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Schedule:" not in (await twilio_client.get("/inbox")).text


async def test_anything_else_stays_in_the_inbox_unparsed(twilio_client, twilio_config, reminders):
    _, _, appointment_id = await _reminded(reminders)
    await _reply(twilio_client, twilio_config, "Is there parking near the office?")
    appointment, alerts, notes = await _state(reminders, appointment_id)
    assert appointment.status == "booked" and alerts == [] and notes == []
    await sign_in(twilio_client, reminders, DESK)
    page = (await twilio_client.get("/inbox")).text
    assert "Is there parking near the office?" in page and "Schedule:" not in page


async def test_a_reply_with_no_recent_reminder_is_not_read(twilio_client, twilio_config, reminders):
    _, _, appointment_id = await _reminded(reminders)
    reminders.clock.advance(timedelta(days=4))  # after the visit and past the window
    await _reply(twilio_client, twilio_config, "C")
    appointment, alerts, _ = await _state(reminders, appointment_id)
    assert appointment.status == "booked" and alerts == []
