"""A missed call from a new caller gets one 'sorry we missed you' text, when the practice wants it."""

from __future__ import annotations

import uuid

from router.core.domain import Domain
from router.core.models import Lead, PhoneCall, Practice
from router.core.phi_columns import LEAD_PHONE
from router.phones.numbers import load_phone_settings
from router.phones.texts import TextOutcome, send_text


async def text_back_missed_call(domain: Domain, call_id: uuid.UUID) -> TextOutcome | None:
    """A new caller nobody answered gets one "sorry we missed you" text, when the practice wants it."""
    async with domain.transaction() as session:
        call = await session.get(PhoneCall, call_id)
        if call is None or call.lead_id is None or call.text_back_at is not None:
            return None
        settings = await load_phone_settings(session, call.practice_id)
        practice = await session.get(Practice, call.practice_id)
        lead = await session.get(Lead, call.lead_id)
        if not settings.missed_call_text_back or practice is None or lead is None:
            return None
        call.text_back_at = domain.clock.now()
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
    if not phone:
        return None
    body = settings.text_back_message or (
        f"Sorry we missed your call at {practice.name}! Reply here to text us, or call us back anytime."
    )
    return await send_text(
        domain,
        practice_id=call.practice_id,
        to=phone,
        body=body,
        automated=True,
        lead_id=call.lead_id,
        dedupe_key=f"textback:{call.call_sid or call.id}",
    )
