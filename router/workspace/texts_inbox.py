"""The practice's text inbox: two-way conversations of the viewer's leads, newest first, with unread counts.

A conversation is unread while a patient's text arrived after the last time someone at the practice
opened the lead (a shared inbox: one person reading it clears it for the desk, as a team works).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import Lead, Location, SmsMessage, TextRead
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME, SMS_BODY
from router.privacy import audit
from router.privacy.access import PRACTICE_STAFF_ROLES, Viewer
from router.reminders.alerts import AlertLine, open_alerts

INBOX_SIZE = 100
"""Conversations one inbox page shows; older ones are on their leads' pages."""
PREVIEW_CHARACTERS = 140
"""The start of the latest text shown in the list: one line on a desk screen, two on a phone."""
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Conversation:
    """One lead's texts, as the inbox lists them (name and preview are PHI: the read is audited)."""

    lead_id: uuid.UUID
    name: str
    location_name: str | None
    time_zone: str | None
    last_at: datetime
    last_inbound: bool
    preview: str
    unread: int
    alerts: tuple[AlertLine, ...] = ()
    """The patient's open requests to cancel or move a visit (replies to reminders)."""


def _unread_texts():  # type: ignore[no-untyped-def]
    """Per lead with texts: the latest text's time and how many patient texts came after the last read."""
    read_through = func.coalesce(TextRead.read_through, NEVER)
    unread = func.count().filter(
        and_(SmsMessage.direction == "inbound", SmsMessage.created_at > read_through)
    )
    return (
        select(
            SmsMessage.lead_id.label("lead_id"),
            func.max(SmsMessage.created_at).label("last_at"),
            unread.label("unread"),
        )
        .outerjoin(TextRead, TextRead.lead_id == SmsMessage.lead_id)
        .where(SmsMessage.lead_id.is_not(None))
        .group_by(SmsMessage.lead_id)
        .subquery("texts")
    )


async def unread_conversations(session: AsyncSession, viewer: Viewer) -> int:
    """How many of the viewer's conversations have a patient's text nobody at the practice has read."""
    texts = _unread_texts()
    count = await session.scalar(
        select(func.count())
        .select_from(texts)
        .join(Lead, Lead.id == texts.c.lead_id)
        .where(texts.c.unread > 0, viewer.lead_filter())
    )
    return int(count or 0)


async def load_inbox(
    session: AsyncSession, domain: Domain, viewer: Viewer, *, actor: audit.Actor
) -> list[Conversation]:
    """The viewer's conversations, newest first; each lead shown is an audited read."""
    texts = _unread_texts()
    latest = (
        select(SmsMessage.id, SmsMessage.body_enc, SmsMessage.direction)
        .where(SmsMessage.lead_id == texts.c.lead_id)
        .order_by(SmsMessage.created_at.desc())
        .limit(1)
        .lateral("latest")
    )
    rows = await session.execute(
        select(Lead, Location.name, Location.time_zone, texts.c.last_at, texts.c.unread, latest)
        .select_from(texts)
        .join(Lead, Lead.id == texts.c.lead_id)
        .join(latest, true())
        .outerjoin(Location, Location.id == Lead.location_id)
        .where(viewer.lead_filter())
        .order_by(texts.c.last_at.desc())
        .limit(INBOX_SIZE)
    )
    open_ = domain.cipher.open
    inbox = []
    rows = rows.all()
    alerts = await open_alerts(session, (row[0].id for row in rows))
    for lead, place, zone, last_at, unread, message_id, body, direction in rows:
        first = open_(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
        last = open_(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
        text = open_(body, column=SMS_BODY, row_id=message_id) or ""
        inbox.append(
            Conversation(
                lead_id=lead.id,
                name=" ".join(filter(None, [first, last])) or "Patient (no name yet)",
                location_name=place,
                time_zone=zone,
                last_at=last_at,
                last_inbound=direction == "inbound",
                preview=text if len(text) <= PREVIEW_CHARACTERS else text[: PREVIEW_CHARACTERS - 1] + "…",
                unread=int(unread),
                alerts=tuple(alerts.get(lead.id, ())),
            )
        )
        audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via="inbox")
    return inbox


async def mark_texts_read(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, now: datetime
) -> int | None:
    """Someone of the practice opened the lead: its texts so far are read.

    The event (when something was unread) lets every desk's count drop; None when nothing changed or
    the viewer is not the practice's own staff.
    """
    if viewer.role not in PRACTICE_STAFF_ROLES or viewer.break_glass:
        return None
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return None
    newest_unread = await session.scalar(
        select(func.max(SmsMessage.created_at))
        .outerjoin(TextRead, TextRead.lead_id == SmsMessage.lead_id)
        .where(
            SmsMessage.lead_id == lead_id,
            SmsMessage.direction == "inbound",
            SmsMessage.created_at > func.coalesce(TextRead.read_through, NEVER),
        )
    )
    if newest_unread is None:
        return None
    read_through = max(now, newest_unread)
    await session.execute(
        insert(TextRead)
        .values(lead_id=lead_id, read_through=read_through, read_by_user_id=viewer.user_id)
        .on_conflict_do_update(
            index_elements=[TextRead.lead_id],
            set_={"read_through": read_through, "read_by_user_id": viewer.user_id},
            where=TextRead.read_through < read_through,
        )
    )
    return await record_lead_event(session, lead, "lead.texts_read", {"user_id": str(viewer.user_id)})
