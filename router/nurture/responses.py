"""What patients do with our messages: unsubscribe (one click or a page), click a link, open an email.

Links are signed (router.nurture.links). A bad or expired unsubscribe link still lets the person
opt out: they type their address and it is opted out at every practice that has it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, NurtureMessage, NurtureSettings, Practice
from router.intake.normalize import normalize_email
from router.nurture.consent import email_opt_out, opt_out_address_everywhere
from router.nurture.links import BadToken, read_token
from router.privacy import audit


@dataclass(frozen=True)
class Unsubscribed:
    practice_name: str


async def message_practice(domain: Domain, token: str) -> str:
    """The practice a valid unsubscribe link belongs to (for the confirmation page), or BadToken."""
    link = read_token(domain.blind_index, token, "unsubscribe", domain.clock.now())
    async with domain.sessionmaker() as session:
        name = await session.scalar(
            select(Practice.name)
            .join(NurtureMessage, NurtureMessage.practice_id == Practice.id)
            .where(NurtureMessage.id == link.message_id)
        )
    if name is None:
        raise BadToken("not a link we sent")
    return name


async def unsubscribe(domain: Domain, token: str, *, source: str) -> Unsubscribed:
    """Opt the message's address out of the practice's emails (texts are not affected); BadToken."""
    now = domain.clock.now()
    link = read_token(domain.blind_index, token, "unsubscribe", now)
    async with domain.sessionmaker() as session, session.begin():
        message = await session.get(NurtureMessage, link.message_id)
        lead = await session.get(Lead, message.lead_id) if message else None
        if message is None or lead is None or lead.email_index is None:
            raise BadToken("not a link we sent")
        session.add(email_opt_out(message.practice_id, lead.id, lead.email_index, now, source))
        audit.record(
            session,
            actor=audit.Actor("patient", "unsubscribe-link"),
            action="nurture.unsubscribe",
            practice_id=message.practice_id,
            lead_id=lead.id,
            details={"channel": "email", "via": source},
        )
        practice = await session.get(Practice, message.practice_id)
    return Unsubscribed(practice.name if practice else "")


async def unsubscribe_address(domain: Domain, typed: str) -> bool:
    """The page behind a bad link: opt the typed address out everywhere we have it (False: not valid)."""
    try:
        email = normalize_email(typed.strip())
    except ValueError:
        return False
    index = domain.blind_index.digest(email, kind="email")
    async with domain.sessionmaker() as session, session.begin():
        practices = await opt_out_address_everywhere(
            session, index or b"", domain.clock.now(), "unsubscribe_page"
        )
        audit.record(
            session,
            actor=audit.Actor("patient", "unsubscribe-page"),
            action="nurture.unsubscribe",
            practice_id=None,
            details={"channel": "email", "via": "typed_address", "practices": practices},
        )
    return True


async def follow_click(domain: Domain, token: str) -> str | None:
    """Count the click (the first one steers the sequence) and say where to send the browser."""
    now = domain.clock.now()
    try:
        link = read_token(domain.blind_index, token, "click", now)
    except BadToken:
        return None
    async with domain.sessionmaker() as session, session.begin():
        practice_id = await _mark(session, link.message_id, "clicked_at", now)
        settings = await session.get(NurtureSettings, practice_id) if practice_id else None
    return settings.scheduling_url if settings else None


async def record_open(domain: Domain, token: str) -> None:
    """The pixel was fetched (by the person, or by their mail app on its own)."""
    now = domain.clock.now()
    try:
        link = read_token(domain.blind_index, token, "open", now)
    except BadToken:
        return
    async with domain.sessionmaker() as session, session.begin():
        await _mark(session, link.message_id, "opened_at", now)


async def _mark(session: AsyncSession, message_id: uuid.UUID, column: str, now: datetime) -> uuid.UUID | None:
    """Set the first time of an open or click; later ones change nothing. Returns the practice."""
    message = await session.get(NurtureMessage, message_id, with_for_update=True)
    if message is None:
        return None
    if getattr(message, column) is None:
        setattr(message, column, now)
        if column == "clicked_at" and message.opened_at is None:
            message.opened_at = now  # a click proves the email was opened
    return message.practice_id
