"""A patient's text reply to a reminder: confirmed, cancel, reschedule, or left to a person.

Called for every inbound text once it is stored (the Twilio webhook, after the phones layer filed it
in the text inbox). When the sender's number had a reminder texted within `RECENT`, for an
appointment still ahead, the reply is classified (router/reminders/replies.py):
- confirmed: the appointment is marked confirmed (written back to the PMS when the practice's
  connection can write), with a note on the lead;
- cancel or reschedule: a schedule alert in the text inbox, in plain words, with a note on the lead;
- anything else: nothing more (the text is in the inbox, unparsed, as every text is).
One reading per text: a retried webhook finds the stored reading and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.pms_booking import writable_pms
from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import (
    Appointment,
    Interaction,
    Lead,
    Location,
    NurtureMessage,
    ScheduleAlert,
    SmsMessage,
)
from router.core.phi_columns import INTERACTION_NOTE, SMS_BODY
from router.core.pms_ports import PmsRefused, PmsUnavailable
from router.reminders.replies import ReplyMeaning, classify_reply

log = logging.getLogger("leadrouter.reminders")

RECENT = timedelta(days=3)
"""A reply within three days of a reminder answers it: longer than the 48 h reminder's lead time."""
LATE = timedelta(hours=2)
"""A reply up to two hours after the visit's start still concerns it ("running late, still coming")."""
MEANING_WORDS = {
    ReplyMeaning.CONFIRMED: "Confirmed",
    ReplyMeaning.CANCEL: "Wants to cancel",
    ReplyMeaning.RESCHEDULE: "Wants to reschedule",
}


@dataclass(frozen=True)
class ReplyRead:
    meaning: str
    appointment_id: uuid.UUID
    written_to_pms: bool = False


def alert_words(meaning: str, starts_at: datetime, zone: str) -> str:
    """ "Wants to reschedule Tue 3 Mar 10:00": what the patient asked, about which visit."""
    local = starts_at.astimezone(ZoneInfo(zone))
    return f"{MEANING_WORDS[ReplyMeaning(meaning)]} {local:%a} {local.day} {local:%b %H:%M %Z}"


async def reminded_appointment(session: AsyncSession, sms: SmsMessage) -> Appointment | None:
    """The appointment a text from this number most recently had a reminder about, if still ahead."""
    if sms.phone_index is None:
        return None
    return await session.scalar(
        select(Appointment)
        .join(NurtureMessage, NurtureMessage.appointment_id == Appointment.id)
        .join(Lead, Lead.id == NurtureMessage.lead_id)
        .where(
            Lead.practice_id == sms.practice_id,
            Lead.phone_index == sms.phone_index,
            NurtureMessage.purpose == "reminder",
            NurtureMessage.channel == "sms",
            NurtureMessage.status.in_(("sent", "sending")),
            NurtureMessage.attempt_started_at >= sms.created_at - RECENT,
            NurtureMessage.attempt_started_at <= sms.created_at,
            Appointment.status.in_(("booked", "confirmed")),
            Appointment.starts_at >= sms.created_at - LATE,
        )
        .order_by(NurtureMessage.attempt_started_at.desc())
        .limit(1)
        .with_for_update(of=Appointment)
    )


async def read_reminder_reply(domain: Domain, sms_message_id: uuid.UUID) -> ReplyRead | None:
    """Read one stored inbound text as a reply to a reminder (see the module); None: not one."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        sms = await session.get(SmsMessage, sms_message_id)
        if sms is None or sms.direction != "inbound":
            return None
        appointment = await reminded_appointment(session, sms)
        if appointment is None or appointment.lead_id is None:
            return None
        body = domain.cipher.open(sms.body_enc, column=SMS_BODY, row_id=sms.id) or ""
        meaning = classify_reply(body)
        if meaning is ReplyMeaning.UNPARSED:
            return None
        alert_id = await session.scalar(
            insert(ScheduleAlert)
            .values(
                id=uuid.uuid4(),
                practice_id=appointment.practice_id,
                lead_id=appointment.lead_id,
                appointment_id=appointment.id,
                sms_message_id=sms.id,
                meaning=meaning.value,
                appointment_at=appointment.starts_at,
                created_at=now,
                handled_at=now if meaning is ReplyMeaning.CONFIRMED else None,
            )
            .on_conflict_do_nothing()
            .returning(ScheduleAlert.id)
        )
        if alert_id is None:
            return None  # this text was read before (a retried webhook)
        written = False
        if meaning is ReplyMeaning.CONFIRMED:
            written = await _confirm(session, domain, appointment, now)
        await _note(session, domain, appointment, meaning, written=written, now=now)
    return ReplyRead(meaning.value, appointment.id, written)


async def _confirm(session: AsyncSession, domain: Domain, appointment: Appointment, now: datetime) -> bool:
    """Mark it confirmed; write that to the PMS when the practice's connection can write."""
    appointment.status, appointment.confirmed_at, appointment.updated_at = "confirmed", now, now
    address = await writable_pms(session, appointment.practice_id)
    if address is None or not appointment.pms_id:
        return False
    client = domain.pms.client(address)
    try:
        written = await client.confirm(appointment.pms_id, confirmed_at=now)
    except (PmsUnavailable, PmsRefused) as exc:
        log.warning("confirmation of appointment %s not written to the PMS: %s", appointment.id, exc)
        appointment.pms_error = f"The patient's confirmation was not written: {exc}"[:500]
        return False
    finally:
        await client.close()
    appointment.pms_version = written.version  # the sync then skips our own change
    return True


async def _note(
    session: AsyncSession,
    domain: Domain,
    appointment: Appointment,
    meaning: ReplyMeaning,
    *,
    written: bool,
    now: datetime,
) -> None:
    """The reading on the lead's activity, and an event so the board, lead page and inbox refresh."""
    lead = await session.get(Lead, appointment.lead_id, with_for_update=True)
    location = await session.get(Location, appointment.location_id)
    if lead is None or location is None:
        return
    said = alert_words(meaning.value, appointment.starts_at, location.time_zone)
    note = f"Replied to the reminder: {said[0].lower()}{said[1:]} at {location.name}."
    if meaning is ReplyMeaning.CONFIRMED:
        note += " Written to the practice system." if written else ""
    note_id = uuid.uuid4()
    session.add(
        Interaction(
            id=note_id,
            lead_id=lead.id,
            practice_id=lead.practice_id,
            kind="reminder_reply",
            channel="sms",
            outcome=meaning.value,
            note_enc=domain.cipher.seal(note, column=INTERACTION_NOTE, row_id=note_id),
            occurred_at=now,
            details={"appointment_id": str(appointment.id), "by": "patient"},
        )
    )
    lead.last_activity_at = max(lead.last_activity_at, now)
    await record_lead_event(
        session,
        lead,
        "lead.appointment_changed",
        {"appointment_id": str(appointment.id), "status": appointment.status, "reply": meaning.value},
    )
