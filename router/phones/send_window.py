"""When a text may go out: quiet hours in the recipient's zones, and the reply window in which a person
answering someone who just texted the practice is not held by them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Lead, Practice, SmsMessage
from router.phones.quiet_hours import next_allowed, recipient_zones

REPLY_WINDOW = timedelta(hours=24)
"""A patient who texted within a day is in a conversation they started: a reply a person types is
expected whenever it comes, so quiet hours do not hold it (they still hold every automated text)."""


async def texted_us_recently(
    session: AsyncSession, practice_id: uuid.UUID, phone_index: bytes, now: datetime
) -> bool:
    """The number texted the practice within the reply window."""
    latest = await session.scalar(
        select(SmsMessage.created_at)
        .where(
            SmsMessage.practice_id == practice_id,
            SmsMessage.phone_index == phone_index,
            SmsMessage.direction == "inbound",
        )
        .order_by(SmsMessage.created_at.desc())
        .limit(1)
    )
    return latest is not None and now - latest <= REPLY_WINDOW


async def allowed_from(
    session: AsyncSession,
    practice_id: uuid.UUID,
    lead_id: uuid.UUID | None,
    phone: str,
    phone_index: bytes | None,
    automated: bool,
    now: datetime,
) -> datetime:
    """When the text may go: now, or when quiet hours end in the recipient's zones (a person's reply
    to someone who just texted us is exempt)."""
    lead = await session.get(Lead, lead_id) if lead_id else None
    practice = await session.get(Practice, practice_id)
    zones = recipient_zones(
        zip_code=lead.zip if lead else None,
        phone=phone,
        fallback=practice.time_zone if practice else "UTC",
    )
    exempt = not automated and await texted_us_recently(session, practice_id, phone_index or b"", now)
    return now if exempt else next_allowed(now, zones)
