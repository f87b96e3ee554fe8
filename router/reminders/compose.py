"""One reminder as an outbox row: the patient's channel and language, the approved wording, the times.

The channel is the patient's: a text when they agreed to texts (a stored consent, as for every
automated text) and the office has a number to text from, else an email, else a row that says why
nothing can be sent (the lead page shows it). Wording is the practice's approved template in the
patient's language (English when no Spanish version is approved); a template with nothing approved
holds the row, as for any nurture message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Appointment, Lead, Location
from router.core.phi_columns import (
    LEAD_EMAIL,
    LEAD_PHONE,
    NURTURE_BODY,
    NURTURE_RECIPIENT,
    NURTURE_SUBJECT,
)
from router.nurture.compose import approved_wording, message_values
from router.nurture.consent import email_opted_out, latest_sms_consent
from router.nurture.rendering import MissingVariable, render
from router.phones.numbers import practice_number
from router.reminders.timing import PlannedMessage

SPANISH_DAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
SPANISH_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


@dataclass(frozen=True)
class Channel:
    """Where the patient's reminders go, or why they cannot go anywhere."""

    channel: str
    recipient: str | None
    from_number: str | None = None
    refusal: str | None = None


async def patient_channel(
    session: AsyncSession, domain: Domain, lead: Lead, location_id: uuid.UUID
) -> Channel:
    """Text with consent, else email, else a refusal in plain words (see the module)."""
    phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
    email = domain.cipher.open(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id)
    text_refusal = "no mobile number on file"
    if phone:
        consent = await latest_sms_consent(session, lead.practice_id, lead.phone_index)
        number = await practice_number(session, lead.practice_id, location_id)
        if consent is True and number:
            return Channel("sms", phone, from_number=number)
        text_refusal = (
            "opted out of texts"
            if consent is False
            else "no consent to texts on record"
            if consent is None
            else "the practice has no number to text from"
        )
    if email and not await email_opted_out(session, lead.practice_id, lead.email_index):
        return Channel("email", email)
    email_refusal = "unsubscribed from emails" if email else "no email address on file"
    return Channel(
        "sms" if phone else "email", phone or email, refusal=f"not sent: {text_refusal}, {email_refusal}"
    )


def appointment_words(starts_at: datetime, zone: str, language: str) -> dict[str, str]:
    """The visit's day and time as the patient reads them, at the office's clock."""
    local = starts_at.astimezone(ZoneInfo(zone))
    if language == "es":
        day = f"{SPANISH_DAYS[local.weekday()]} {local.day} {SPANISH_MONTHS[local.month - 1]}"
        return {"appointment_day": day, "appointment_time": local.strftime("%H:%M")}
    return {"appointment_day": f"{local:%a} {local.day} {local:%b}", "appointment_time": f"{local:%-I:%M %p}"}


def template_key(kind: str, channel: str) -> str:
    what = "confirmation" if kind == "confirmation" else "reminder"
    return f"appointment-{what}-{'text' if channel == 'sms' else 'email'}"


async def reminder_row(
    session: AsyncSession,
    domain: Domain,
    *,
    appointment: Appointment,
    lead: Lead,
    location: Location,
    channel: Channel,
    language: str,
    planned: PlannedMessage,
    now: datetime,
) -> dict[str, Any]:
    """The outbox row's values for one planned message (inserted by the caller, once)."""
    message_id = uuid.uuid4()
    row: dict[str, Any] = {
        "id": message_id,
        "practice_id": appointment.practice_id,
        "lead_id": lead.id,
        "purpose": "reminder",
        "appointment_id": appointment.id,
        "patient_id": appointment.patient_id,
        "reminder_kind": planned.kind,
        "appointment_at": appointment.starts_at,
        "channel": channel.channel,
        "variant": "A",
        "status": "queued",
        "send_after": planned.send_at,
        "from_number": channel.from_number,
        "created_at": now,
    }
    if channel.refusal:
        return {**row, "status": "blocked", "detail": channel.refusal}
    key = template_key(planned.kind, channel.channel)
    wording = await approved_wording(session, appointment.practice_id, key, language)
    if wording is None:
        return {**row, "status": "held", "detail": f'held: the message "{key}" has no approved wording'}
    _, version = wording
    values = await message_values(session, domain, lead, None, None)
    values.update(
        office_name=location.name,
        office_phone=location.phone or values.get("office_phone"),
        **appointment_words(appointment.starts_at, location.time_zone, language),
    )
    try:
        rendered = render(version.subject if channel.channel == "email" else None, version.body, values)
    except MissingVariable as exc:
        return {**row, "status": "held", "detail": str(exc), "template_version_id": version.id}
    seal = domain.cipher.seal
    return {
        **row,
        "template_version_id": version.id,
        "recipient_enc": seal(channel.recipient, column=NURTURE_RECIPIENT, row_id=message_id),
        "subject_enc": seal(rendered.subject, column=NURTURE_SUBJECT, row_id=message_id),
        "body_enc": seal(rendered.body, column=NURTURE_BODY, row_id=message_id),
    }
