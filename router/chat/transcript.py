"""A lead's chat transcript, for its page: every conversation's messages in order, with reply state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import ChatConversation, ChatMessage, Lead, StaffUser
from router.core.phi_columns import CHAT_MESSAGE_BODY
from router.privacy import audit
from router.privacy.access import Viewer, may_do


@dataclass(frozen=True)
class TranscriptLine:
    id: uuid.UUID
    direction: str
    body: str
    sent_at: datetime
    status: str
    who: str
    error: str | None


@dataclass(frozen=True)
class Transcript:
    lead_id: uuid.UUID
    lines: tuple[TranscriptLine, ...]
    may_reply: bool
    conversation_status: str | None
    has_chat: bool = False
    """The lead has a chat conversation at all (else the lead page shows nothing of chat)."""


async def transcript_for_lead(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> Transcript | None:
    """The lead's chat, or None when the lead is not the viewer's to see; the read is audited."""
    lead = await session.get(Lead, lead_id)
    if lead is None or not viewer.may_see(lead):
        return None
    rows = (
        await session.execute(
            select(ChatMessage, StaffUser.display_name, ChatConversation.status)
            .join(ChatConversation, ChatConversation.id == ChatMessage.conversation_id)
            .outerjoin(StaffUser, StaffUser.id == ChatMessage.user_id)
            .where(ChatConversation.lead_id == lead_id)
            .order_by(ChatMessage.sent_at, ChatMessage.created_at)
        )
    ).all()
    audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via="chat")
    lines = tuple(
        TranscriptLine(
            id=message.id,
            direction=message.direction,
            body=domain.cipher.open(message.body_enc, column=CHAT_MESSAGE_BODY, row_id=message.id) or "",
            sent_at=message.sent_at,
            status=message.status,
            who="Patient" if message.direction == "in" else (staff_name or "The practice (in the chat app)"),
            error=message.error,
        )
        for message, staff_name, _ in rows
    )
    has_chat = (
        bool(rows)
        or await session.scalar(
            select(ChatConversation.id).where(ChatConversation.lead_id == lead_id).limit(1)
        )
        is not None
    )
    return Transcript(
        lead_id=lead.id,
        lines=lines,
        may_reply=has_chat and may_do(viewer, "chat.reply", lead) and lead.phi_purged_at is None,
        conversation_status=rows[-1][2] if rows else None,
        has_chat=has_chat,
    )
