"""A reply typed in the product goes back to the patient's chat through the chat service's API.

The reply is stored first (status "sending"), then sent; the answer marks it "sent" with the
service's message id, or "failed" with why (the lead's page shows "not delivered" and a retry).
The service echoes our reply back as a new message: it carries the id we stored, so it is the same
row, not a second one; an echo that beats our own update is folded into our row.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from router.chat.sources import view_of
from router.core.domain import Domain
from router.core.errors import InvalidChoice, LeadNotFound, NotPermitted
from router.core.models import ChatConversation, ChatMessage, ChatSource, Lead
from router.core.phi_columns import CHAT_MESSAGE_BODY
from router.core.ports import ChatDeliveryError, PortNotConfigured
from router.privacy import audit
from router.privacy.access import Viewer, may_do

log = logging.getLogger("leadrouter.chat")

REPLY_LIMIT = 2000
"""Characters of one reply: a chat widget shows a few lines; a long answer belongs in a call."""


async def _conversation_of(domain: Domain, viewer: Viewer, lead_id: uuid.UUID) -> ChatConversation:
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        if lead is None or not viewer.may_see(lead):
            raise LeadNotFound("That lead is not in your scope, or it does not exist.")
        if not may_do(viewer, "chat.reply", lead):
            raise NotPermitted("You cannot reply to this patient's chat.")
        conversation = await session.scalar(
            select(ChatConversation)
            .where(ChatConversation.lead_id == lead_id)
            .order_by(ChatConversation.updated_at.desc())
            .limit(1)
        )
    if conversation is None:
        raise InvalidChoice("This lead has no chat to reply to.")
    return conversation


async def send_chat_reply(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, text: str, *, actor: audit.Actor
) -> uuid.UUID:
    """Store and send a reply; returns its id (its status says whether it was delivered)."""
    text = (text or "").strip()
    if not text or "\x00" in text or len(text) > REPLY_LIMIT:
        raise InvalidChoice(f"Write a reply of 1 to {REPLY_LIMIT} characters.")
    conversation = await _conversation_of(domain, viewer, lead_id)
    message_id = uuid.uuid4()
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            ChatMessage(
                id=message_id,
                conversation_id=conversation.id,
                direction="out",
                user_id=viewer.user_id,
                body_enc=domain.cipher.seal(text, column=CHAT_MESSAGE_BODY, row_id=message_id),
                status="sending",
                sent_at=now,
                created_at=now,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="lead.chat_reply",
            practice_id=conversation.practice_id,
            lead_id=lead_id,
            details={"message_id": str(message_id)},
        )
    await deliver_reply(domain, message_id)
    return message_id


async def retry_chat_reply(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, message_id: uuid.UUID, *, actor: audit.Actor
) -> None:
    """Send a reply that was not delivered again (a sent one is left alone)."""
    conversation = await _conversation_of(domain, viewer, lead_id)
    async with domain.sessionmaker() as session, session.begin():
        message = await session.get(ChatMessage, message_id, with_for_update=True)
        if message is None or message.conversation_id != conversation.id or message.direction != "out":
            raise LeadNotFound("No such reply on this lead.")
        if message.status != "failed":
            return
        message.status, message.error = "sending", None
        audit.record(
            session,
            actor=actor,
            action="lead.chat_reply_retry",
            practice_id=conversation.practice_id,
            lead_id=lead_id,
            details={"message_id": str(message_id)},
        )
    await deliver_reply(domain, message_id)


async def deliver_reply(domain: Domain, message_id: uuid.UUID) -> str:
    """Send a stored reply through its source's chat service; returns its new status."""
    async with domain.sessionmaker() as session:
        message = await session.get(ChatMessage, message_id)
        conversation = await session.get(ChatConversation, message.conversation_id) if message else None
        source = await session.get(ChatSource, conversation.chat_source_id) if conversation else None
    assert message is not None and conversation is not None and source is not None
    account = view_of(domain, source).account
    text = domain.cipher.open(message.body_enc, column=CHAT_MESSAGE_BODY, row_id=message.id) or ""
    try:
        if account is None:
            raise ChatDeliveryError("this chat source has no API token, so replies cannot be sent")
        external_id = await domain.chat.send_reply(
            account, conversation_id=conversation.external_id, content=text
        )
    except (ChatDeliveryError, PortNotConfigured) as exc:
        await _mark(domain, message_id, status="failed", error=str(exc) or "chat replies are not set up")
        return "failed"
    await _mark_sent(domain, message_id, conversation.id, external_id)
    return "sent"


async def _mark(domain: Domain, message_id: uuid.UUID, *, status: str, error: str | None) -> None:
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(ChatMessage).where(ChatMessage.id == message_id).values(status=status, error=error)
        )


async def _mark_sent(
    domain: Domain, message_id: uuid.UUID, conversation_id: uuid.UUID, external_id: str
) -> None:
    values = {"status": "sent", "error": None, "external_id": external_id}
    try:
        async with domain.sessionmaker() as session, session.begin():
            await session.execute(update(ChatMessage).where(ChatMessage.id == message_id).values(**values))
    except IntegrityError:  # the service's echo of this reply arrived first: fold it into our row
        async with domain.sessionmaker() as session, session.begin():
            await session.execute(
                delete(ChatMessage).where(
                    ChatMessage.conversation_id == conversation_id,
                    ChatMessage.external_id == external_id,
                    ChatMessage.id != message_id,
                )
            )
            await session.execute(update(ChatMessage).where(ChatMessage.id == message_id).values(**values))
