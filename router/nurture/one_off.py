"""One message outside any sequence (a review request, a thank-you), to a lead, in the outbox.

It goes through the same rules as a sequence step: the approved wording in the lead's language,
consent and opt-outs now and again when it is sent, quiet hours for texts, and the outbox's
at-most-once sending. `purpose` says why it exists; `patient_id` and `appointment_id` what about.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, NurtureMessage, NurtureSettings
from router.core.phi_columns import (
    LEAD_EMAIL,
    LEAD_PHONE,
    NURTURE_BODY,
    NURTURE_RECIPIENT,
    NURTURE_SUBJECT,
)
from router.nurture.compose import (
    CLICK_PATH,
    approved_wording,
    automated_refusal,
    message_values,
    text_from_and_when,
)
from router.nurture.engine import lead_language
from router.nurture.links import make_token
from router.nurture.rendering import MissingVariable, render
from router.phones.numbers import practice_number


@dataclass(frozen=True)
class OneOff:
    """What to send: why, which wording (by template key per channel), and the extra variables."""

    purpose: str
    templates: dict[str, str]
    """Channel -> template key, in the order of preference (a text first where consent allows)."""
    values: dict[str, str | None]
    patient_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None


async def choose_channel(session: AsyncSession, domain: Domain, lead: Lead, channels: list[str]) -> str:
    """The first channel that may carry an automated message to this lead (else the last one asked,
    whose message is then recorded as blocked, saying why)."""
    for channel in channels:
        if await _refusal(session, domain, lead, channel) is None:
            return channel
    return channels[-1]


async def compose_one_off(
    session: AsyncSession, domain: Domain, lead: Lead, what: OneOff, *, now: datetime
) -> NurtureMessage:
    """The outbox row (queued, held or blocked); the caller adds it and schedules a queued one."""
    channel = await choose_channel(session, domain, lead, list(what.templates))
    message_id = uuid.uuid4()
    message = NurtureMessage(
        id=message_id,
        practice_id=lead.practice_id,
        lead_id=lead.id,
        purpose=what.purpose,
        patient_id=what.patient_id,
        appointment_id=what.appointment_id,
        channel=channel,
        variant="A",
        status="queued",
        created_at=now,
    )
    blocked = await _refusal(session, domain, lead, channel)
    if blocked:
        message.status, message.detail = "blocked", blocked
        return message
    key = what.templates[channel]
    wording = await approved_wording(session, lead.practice_id, key, await lead_language(session, lead))
    if wording is None:
        message.status, message.detail = "held", f'held: the message "{key}" has no approved wording'
        return message
    _, version = wording
    message.template_version_id = version.id
    settings = await session.get(NurtureSettings, lead.practice_id)
    click_url = (
        domain.settings.intake.public_url.rstrip("/")
        + CLICK_PATH
        + make_token(domain.blind_index, message_id, "click", now)
    )
    values = {**await message_values(session, domain, lead, settings, click_url), **what.values}
    try:
        rendered = render(version.subject if channel == "email" else None, version.body, values)
    except MissingVariable as exc:
        message.status, message.detail = "held", str(exc)
        return message
    recipient = _recipient(domain, lead, channel)
    message.recipient_enc = domain.cipher.seal(recipient, column=NURTURE_RECIPIENT, row_id=message_id)
    message.subject_enc = domain.cipher.seal(rendered.subject, column=NURTURE_SUBJECT, row_id=message_id)
    message.body_enc = domain.cipher.seal(rendered.body, column=NURTURE_BODY, row_id=message_id)
    message.send_after = now
    if channel == "sms":
        await text_from_and_when(session, message, lead, recipient, now)
    return message


def _recipient(domain: Domain, lead: Lead, channel: str) -> str | None:
    column = LEAD_EMAIL if channel == "email" else LEAD_PHONE
    return domain.cipher.open(getattr(lead, column.column), column=column, row_id=lead.id)


async def _refusal(session: AsyncSession, domain: Domain, lead: Lead, channel: str) -> str | None:
    """Why this lead may not get an automated message on this channel now, or None: the rules of
    every automated message, and for a text, a number to send it from (checked before consent)."""
    recipient = _recipient(domain, lead, channel)
    if (
        channel == "sms"
        and recipient
        and await practice_number(session, lead.practice_id, lead.location_id) is None
    ):
        return "the practice has no number to text from"
    return await automated_refusal(session, lead, channel, recipient)
