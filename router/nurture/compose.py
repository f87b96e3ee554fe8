"""One step's outbox message for one lead: the approved wording, rendered, sealed, checked.

A message is born `queued` (with when it may go: quiet hours for texts), `held` (a variable the
lead lacks, or no approved wording: the lead page says which) or `blocked` (no consent, opted out,
no address). Only `queued` messages are ever sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Lead,
    Location,
    NurtureEnrolment,
    NurtureMessage,
    NurtureSettings,
    NurtureTemplate,
    NurtureTemplateVersion,
    Practice,
)
from router.core.phi_columns import (
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_PHONE,
    NURTURE_BODY,
    NURTURE_RECIPIENT,
    NURTURE_SUBJECT,
)
from router.nurture.consent import email_opted_out, latest_sms_consent
from router.nurture.links import make_token
from router.nurture.rendering import TREATMENT_WORDS, MissingVariable, render
from router.phones.numbers import practice_number
from router.phones.quiet_hours import next_allowed, recipient_zones

CLICK_PATH = "/n/c/"
"""Our redirect: a click is counted, then the browser goes on to the practice's scheduling page."""


async def approved_wording(
    session: AsyncSession, practice_id: uuid.UUID, key: str, language: str
) -> tuple[NurtureTemplate, NurtureTemplateVersion] | None:
    """The approved version of the template in the lead's language, else in English (remembered for
    the rest of the transaction: a tick composes hundreds of messages from a few templates)."""
    remembered = session.info.setdefault("nurture_wording", {})
    key_of = (practice_id, key, language)
    if key_of not in remembered:
        remembered[key_of] = await _approved_wording(session, practice_id, key, language)
    return remembered[key_of]


async def _approved_wording(
    session: AsyncSession, practice_id: uuid.UUID, key: str, language: str
) -> tuple[NurtureTemplate, NurtureTemplateVersion] | None:
    for lang in dict.fromkeys((language, "en")):
        template = await session.scalar(
            select(NurtureTemplate).where(
                NurtureTemplate.practice_id == practice_id,
                NurtureTemplate.key == key,
                NurtureTemplate.language == lang,
            )
        )
        if template is not None and template.approved_version_id is not None:
            version = await session.get(NurtureTemplateVersion, template.approved_version_id)
            if version is not None:
                return template, version
    return None


async def message_values(
    session: AsyncSession, domain: Domain, lead: Lead, settings: NurtureSettings | None, click_url: str | None
) -> dict[str, str | None]:
    """The documented variables for this lead (a missing one stays None and holds the message)."""
    practice = await session.get(Practice, lead.practice_id)
    location = await session.get(Location, lead.location_id) if lead.location_id else None
    return {
        "first_name": domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
        "practice_name": practice.name if practice else None,
        "office_name": location.name if location else None,
        "office_phone": (location.phone if location else None)
        or (practice.support_phone if practice else None),
        "scheduling_link": click_url if settings and settings.scheduling_url else None,
        "treatment": TREATMENT_WORDS.get(lead.treatment_interest or ""),
    }


async def compose_message(
    session: AsyncSession,
    domain: Domain,
    enrolment: NurtureEnrolment,
    lead: Lead,
    index: int,
    channel: str,
    key: str,
    variant: str,
    settings: NurtureSettings | None,
    now: datetime,
) -> NurtureMessage:
    message_id = uuid.uuid4()
    message = NurtureMessage(
        id=message_id,
        practice_id=lead.practice_id,
        lead_id=lead.id,
        enrolment_id=enrolment.id,
        step_index=index,
        channel=channel,
        variant=variant,
        status="queued",
        created_at=now,
    )
    column = LEAD_EMAIL if channel == "email" else LEAD_PHONE
    recipient = domain.cipher.open(getattr(lead, column.column), column=column, row_id=lead.id)
    blocked = await automated_refusal(session, lead, channel, recipient)
    if blocked:
        message.status, message.detail = "blocked", blocked
        return message
    wording = await approved_wording(session, lead.practice_id, key, enrolment.language)
    if wording is None:
        message.status, message.detail = "held", f'held: the message "{key}" has no approved wording'
        return message
    _, version = wording
    message.template_version_id = version.id
    click_url = (
        domain.settings.intake.public_url.rstrip("/")
        + CLICK_PATH
        + make_token(domain.blind_index, message_id, "click", now)
    )
    values = await message_values(session, domain, lead, settings, click_url)
    try:
        rendered = render(version.subject if channel == "email" else None, version.body, values)
    except MissingVariable as exc:
        message.status, message.detail = "held", str(exc)
        return message
    message.recipient_enc = domain.cipher.seal(recipient, column=NURTURE_RECIPIENT, row_id=message_id)
    message.subject_enc = domain.cipher.seal(rendered.subject, column=NURTURE_SUBJECT, row_id=message_id)
    message.body_enc = domain.cipher.seal(rendered.body, column=NURTURE_BODY, row_id=message_id)
    message.send_after = now
    if channel == "sms":
        await text_from_and_when(session, message, lead, recipient, now)
    return message


async def text_from_and_when(
    session: AsyncSession, message: NurtureMessage, lead: Lead, recipient: str | None, now: datetime
) -> None:
    """A text goes from the office's number, at the next minute its recipient's quiet hours allow."""
    message.from_number = await practice_number(session, lead.practice_id, lead.location_id)
    if message.from_number is None:
        message.status, message.detail = "blocked", "the practice has no number to text from"
        return
    practice = await session.get(Practice, lead.practice_id)
    zones = recipient_zones(
        zip_code=lead.zip, phone=recipient, fallback=practice.time_zone if practice else "UTC"
    )
    message.send_after = next_allowed(now, zones)


async def automated_refusal(
    session: AsyncSession, lead: Lead, channel: str, recipient: str | None
) -> str | None:
    """Why this lead may not get an automated message on this channel, or None."""
    if channel == "email":
        if not recipient:
            return "no email address on file"
        if await email_opted_out(session, lead.practice_id, lead.email_index):
            return "unsubscribed from emails"
        return None
    if channel == "sms":
        if not recipient:
            return "no mobile number on file"
        consent = await latest_sms_consent(session, lead.practice_id, lead.phone_index)
        if consent is False:
            return "opted out of texts (STOP, or no on the form)"
        if consent is None:
            return "no consent to texts on record"
        return None
    return f"unknown channel {channel}"
