"""A chat service's news, as the domain takes it: conversations, their messages, their lead.

A conversation becomes a lead (channel "chat", the page it started on as the touchpoint's landing
page) through the intake pipeline as soon as the patient has given a phone or an email, so scoring,
assignment, board pushes and the merge into a known person's open lead all apply. Its delivery id is
the conversation's own, so however many events of it arrive, in whatever order (a message before
its conversation), there is one lead. Messages belong to the conversation (encrypted, each stored
once by its id in the chat service) and show on the lead's page as its transcript.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from router.chat.sources import ChatSourceView
from router.core.domain import Domain
from router.core.models import ChatConversation, ChatMessage, IdempotencyRecord, Lead
from router.core.phi_columns import CHAT_MESSAGE_BODY
from router.intake.commands import IdempotencyConflict, InquiryCommand
from router.intake.normalize import InvalidInquiry
from router.intake.pipeline import ingest_inquiry
from router.privacy import audit

log = logging.getLogger("leadrouter.chat")

CHAT = "chat"
MESSAGE_LIMIT = 5000
"""Characters of one message kept (as the forms' message field): a pasted essay is cut, not refused."""


@dataclass(frozen=True)
class ChatContact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


@dataclass(frozen=True)
class ChatLine:
    """One message: `in` from the patient, `out` from the practice (typed in the chat service)."""

    external_id: str
    direction: str
    body: str | None
    sent_at: datetime


@dataclass(frozen=True)
class ChatUpdate:
    """What one delivery says about one conversation (any part may be missing)."""

    conversation_id: str
    contact: ChatContact = field(default_factory=ChatContact)
    page_url: str | None = None
    status: str | None = None
    lines: tuple[ChatLine, ...] = ()


@dataclass(frozen=True)
class ChatOutcome:
    status_code: int
    body: dict[str, Any]


def _name_fields(name: str | None) -> dict[str, str]:
    parts = (name or "").split()
    if not parts:
        return {}
    return {
        "first_name": parts[0][:100],
        **({"last_name": " ".join(parts[1:])[:100]} if len(parts) > 1 else {}),
    }


async def previous_delivery(
    domain: Domain, source: ChatSourceView, delivery_id: str | None
) -> ChatOutcome | None:
    """The answer a delivery got the first time (a retry changes nothing), or None."""
    if not delivery_id:
        return None
    async with domain.sessionmaker() as session:
        record = await session.get(IdempotencyRecord, (f"chat:{source.key}", delivery_id))
    if record is None or record.status_code is None:
        return None
    return ChatOutcome(record.status_code, {**(record.response or {}), "replayed": True})


async def _remember(
    domain: Domain, source: ChatSourceView, delivery_id: str | None, outcome: ChatOutcome
) -> None:
    if not delivery_id:
        return
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            insert(IdempotencyRecord)
            .values(
                scope=f"chat:{source.key}",
                key=delivery_id,
                request_sha256=hashlib.sha256(delivery_id.encode()).digest(),
                status_code=outcome.status_code,
                response=outcome.body,
                created_at=domain.clock.now(),
            )
            .on_conflict_do_nothing()
        )


async def take_chat_update(
    domain: Domain, source: ChatSourceView, news: ChatUpdate, *, delivery_id: str | None, ip: str | None
) -> ChatOutcome:
    """Store the conversation's news; a known delivery id gets its first answer and changes nothing."""
    replay = await previous_delivery(domain, source, delivery_id)
    if replay is not None:
        return replay
    conversation = await _store_lines(domain, source, news)
    body: dict[str, Any] = {"conversation": news.conversation_id, "lead_id": None, "event": "attached"}
    status = 200
    if conversation.lead_id is None and news.contact.reachable:
        first_words = await _first_incoming(domain, conversation.id)
        lead_id, event, problem = await _take_in(domain, source, news, first_words, ip=ip)
        if lead_id is not None:
            async with domain.sessionmaker() as session, session.begin():
                await session.execute(
                    update(ChatConversation)
                    .where(ChatConversation.id == conversation.id, ChatConversation.lead_id.is_(None))
                    .values(lead_id=lead_id)
                )
            body.update(lead_id=str(lead_id), event=event)
            status = 201 if event == "lead.created" else 200
        else:
            body.update(event="waiting", detail=problem)
    elif conversation.lead_id is not None:
        body["lead_id"] = str(conversation.lead_id)
        await _touch_lead(domain, conversation.lead_id, news)
    else:
        body.update(
            event="waiting", detail="no phone or email yet: the lead is made when the patient gives one"
        )
    outcome = ChatOutcome(status, body)
    await _remember(domain, source, delivery_id, outcome)
    return outcome


async def _store_lines(domain: Domain, source: ChatSourceView, news: ChatUpdate) -> ChatConversation:
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            insert(ChatConversation)
            .values(
                id=uuid.uuid4(),
                chat_source_id=source.id,
                practice_id=source.practice_id,
                external_id=news.conversation_id,
                status=news.status or "open",
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
        conversation = await session.scalar(
            select(ChatConversation)
            .where(
                ChatConversation.chat_source_id == source.id,
                ChatConversation.external_id == news.conversation_id,
            )
            .with_for_update()
        )
        assert conversation is not None
        if news.status:
            conversation.status = news.status
        conversation.updated_at = now
        for line in news.lines:
            message_id = uuid.uuid4()
            await session.execute(
                insert(ChatMessage)
                .values(
                    id=message_id,
                    conversation_id=conversation.id,
                    external_id=line.external_id,
                    direction=line.direction,
                    body_enc=domain.cipher.seal(
                        (line.body or "")[:MESSAGE_LIMIT], column=CHAT_MESSAGE_BODY, row_id=message_id
                    ),
                    status="received",
                    sent_at=line.sent_at,
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
    return conversation


async def _first_incoming(domain: Domain, conversation_id: uuid.UUID) -> str | None:
    async with domain.sessionmaker() as session:
        first = await session.scalar(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.direction == "in")
            .order_by(ChatMessage.sent_at)
            .limit(1)
        )
    if first is None:
        return None
    return domain.cipher.open(first.body_enc, column=CHAT_MESSAGE_BODY, row_id=first.id) or None


async def _take_in(
    domain: Domain, source: ChatSourceView, news: ChatUpdate, first_words: str | None, *, ip: str | None
) -> tuple[uuid.UUID | None, str, str | None]:
    """The conversation's inquiry through the intake: (lead id, event, why not)."""
    contact = news.contact
    fields = {
        **_name_fields(contact.name),
        **({"email": contact.email} if contact.email else {}),
        **({"phone": contact.phone} if contact.phone else {}),
        **({"landing_page": news.page_url[:2000]} if news.page_url else {}),
        **({"message": first_words[:MESSAGE_LIMIT]} if first_words else {}),
    }
    conversation_key = f"conversation:{news.conversation_id}"
    command = InquiryCommand(
        practice_id=source.practice_id,
        source_kind=CHAT,
        fields=fields,
        received_at=domain.clock.now(),
        actor=audit.Actor("integration", f"chat:{source.key}", ip),
        idempotency_scope=f"chat:{source.key}",
        idempotency_key=conversation_key,
        request_sha256=hashlib.sha256(f"{source.key}:{conversation_key}".encode()).digest(),
        default_location_id=source.default_location_id,
        channel=CHAT,
        details={"chat_conversation": news.conversation_id},
    )
    try:
        result = await ingest_inquiry(domain, command)
    except InvalidInquiry as exc:
        return None, "waiting", "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    except IdempotencyConflict:  # cannot happen: the hash is the conversation's, not the body's
        raise
    return result.lead_id, str(result.body.get("event")), None


async def _touch_lead(domain: Domain, lead_id: uuid.UUID, news: ChatUpdate) -> None:
    """A later message of a known conversation: the lead's last activity moves."""
    if not any(line.direction == "in" for line in news.lines):
        return
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead).where(Lead.id == lead_id).values(last_activity_at=domain.clock.now())
        )
