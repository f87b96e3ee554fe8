"""Outbound texts under the SMS rules: never to an opted-out number, never in the recipient's night.

Every outbound text is a row first (body and number encrypted), then a provider call. A text the
quiet hours forbid waits as `deferred` with an arq job at the next allowed minute (and a sweeper
in case Redis lost the job); it is never dropped. Staff replying by hand to a patient who just
texted are not held by quiet hours; nobody is exempt from an opt-out.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields, PhoneActionRefused
from router.core.events import record_lead_event
from router.core.models import ConsentRecord, Interaction, Lead, Practice, SmsMessage
from router.core.phi_columns import INTERACTION_NOTE, LEAD_PHONE, SMS_BODY, SMS_PHONE
from router.core.ports import PhoneGatewayError, PortNotConfigured
from router.intake.normalize import normalize_phone
from router.phones.numbers import practice_number
from router.phones.quiet_hours import next_allowed, recipient_zones
from router.phones.send_window import allowed_from
from router.privacy import audit
from router.privacy.access import Viewer, require

log = logging.getLogger("leadrouter.sms")

TEXT_MAX_CHARACTERS = 1600
"""Twilio's limit for one message (it splits longer bodies itself, up to this)."""
RETRY_AFTER = timedelta(minutes=2)
"""A transient provider fault (Twilio down, rate limited) is retried after this; outages last minutes."""
SMS_STATUS_ORDER = {
    "pending": 0,
    "deferred": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "read": 6,
}
"""Twilio's message states in order; a late callback ("sent" after "delivered") changes nothing."""


@dataclass(frozen=True)
class TextOutcome:
    """What became of a text: sent (provider id), deferred (until when) or blocked (why)."""

    status: str
    message_id: uuid.UUID | None = None
    message_sid: str | None = None
    send_after: datetime | None = None
    reason: str | None = None


async def opted_out(session: AsyncSession, practice_id: uuid.UUID, phone_index: bytes | None) -> bool:
    """The number's latest SMS consent record in this practice says no (STOP, or a form's "no texts")."""
    if phone_index is None:
        return False
    granted = await session.scalar(
        select(ConsentRecord.granted)
        .where(
            ConsentRecord.practice_id == practice_id,
            ConsentRecord.phone_index == phone_index,
            ConsentRecord.channel == "sms",
        )
        # Two records at the same instant: the refusal wins (texting someone who said STOP is worse).
        .order_by(ConsentRecord.captured_at.desc(), ConsentRecord.granted.asc())
        .limit(1)
    )
    return granted is False


async def send_text(
    domain: Domain,
    *,
    practice_id: uuid.UUID,
    to: str,
    body: str,
    automated: bool,
    lead_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> TextOutcome:
    """Send, defer or refuse one text by the SMS rules; the same `dedupe_key` twice sends once."""
    now = domain.clock.now()
    phone = normalize_phone(to)
    phone_index = domain.blind_index.digest(phone, kind="phone")
    async with domain.transaction() as session:
        if dedupe_key and (
            previous := await session.scalar(select(SmsMessage).where(SmsMessage.dedupe_key == dedupe_key))
        ):
            return TextOutcome(previous.status, previous.id, previous.message_sid, previous.send_after)
        if await opted_out(session, practice_id, phone_index):
            return TextOutcome("blocked", reason="the number opted out of texts (STOP)")
        from_number = await _from_number(session, practice_id, lead_id)
        if from_number is None:
            return TextOutcome("blocked", reason="the practice has no Twilio number to text from")
        send_after = await allowed_from(session, practice_id, lead_id, phone, phone_index, automated, now)
        message_id = uuid.uuid4()
        message = SmsMessage(
            id=message_id,
            dedupe_key=dedupe_key,
            practice_id=practice_id,
            lead_id=lead_id,
            user_id=user_id,
            direction="outbound",
            automated=automated,
            practice_number=from_number,
            phone_enc=domain.cipher.seal(phone, column=SMS_PHONE, row_id=message_id),
            phone_index=phone_index,
            body_enc=domain.cipher.seal(body, column=SMS_BODY, row_id=message_id),
            status="deferred" if send_after > now else "pending",
            status_rank=0,
            send_after=send_after if send_after > now else None,
            created_at=now,
            updated_at=now,
        )
        inserted = await session.scalar(
            insert(SmsMessage).values(**_columns(message)).on_conflict_do_nothing().returning(SmsMessage.id)
        )
        if inserted is None:  # a concurrent sender with the same dedupe key won
            return TextOutcome("pending", reason="already being sent")
        await _log_on_timeline(session, message, body=body, domain=domain, now=now)
    if message.status == "deferred":
        await domain.jobs.schedule_text(message.id, at=send_after)
        return TextOutcome("deferred", message.id, send_after=send_after)
    return await _deliver(domain, message.id)


def _columns(message: SmsMessage) -> dict[str, Any]:
    return {
        c.key: getattr(message, c.key)
        for c in SmsMessage.__table__.columns
        if getattr(message, c.key) is not None
    }


async def _from_number(
    session: AsyncSession, practice_id: uuid.UUID, lead_id: uuid.UUID | None
) -> str | None:
    lead = await session.get(Lead, lead_id) if lead_id else None
    return await practice_number(session, practice_id, lead.location_id if lead else None)


async def _log_on_timeline(
    session: AsyncSession, message: SmsMessage, *, body: str, domain: Domain, now: datetime
) -> list[int]:
    """An outbound text on the lead's timeline (an attempt, not a contact: the reply is the contact)."""
    if message.lead_id is None:
        return []
    lead = await session.get(Lead, message.lead_id)
    if lead is None:
        return []
    interaction_id = uuid.uuid4()
    interaction = Interaction(
        id=interaction_id,
        lead_id=lead.id,
        practice_id=lead.practice_id,
        kind="sms",
        channel="sms",
        outcome=message.status,
        user_id=message.user_id,
        note_enc=domain.cipher.seal(body, column=INTERACTION_NOTE, row_id=interaction_id),
        occurred_at=now,
        details={"direction": "outbound", "automated": message.automated, "message_id": str(message.id)},
    )
    session.add(interaction)
    await session.flush([interaction])
    await session.execute(
        update(SmsMessage).where(SmsMessage.id == message.id).values(interaction_id=interaction.id)
    )
    lead.last_activity_at = now
    event = await record_lead_event(
        session, lead, "lead.contact_logged", {"channel": "sms", "message_id": str(message.id)}
    )
    return [event]


async def _deliver(domain: Domain, message_id: uuid.UUID) -> TextOutcome:
    """Hand a stored text to the provider; transient faults come back later, permanent ones are final."""
    async with domain.sessionmaker() as session:
        message = await session.get(SmsMessage, message_id)
    assert message is not None
    to = domain.cipher.open(message.phone_enc, column=SMS_PHONE, row_id=message.id) or ""
    body = domain.cipher.open(message.body_enc, column=SMS_BODY, row_id=message.id) or ""
    try:
        sid = await domain.phones.send_message(
            from_number=message.practice_number or "", to=to, body=body, message_id=message.id
        )
    except (PhoneGatewayError, PortNotConfigured) as exc:
        permanent = isinstance(exc, PortNotConfigured) or exc.permanent
        retry_at = domain.clock.now() + RETRY_AFTER
        await _set_status(
            domain, message.id, "failed" if permanent else "deferred", send_after=retry_at, error=str(exc)
        )
        if permanent:
            return TextOutcome("failed", message.id, reason=str(exc))
        await domain.jobs.schedule_text(message.id, at=retry_at)
        return TextOutcome("deferred", message.id, send_after=retry_at, reason=str(exc))
    async with domain.transaction() as session:
        await session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message.id)
            .values(message_sid=sid, send_after=None, updated_at=domain.clock.now())
        )
    await record_text_status(domain, message_sid=sid, status="queued", message_id=message.id)
    return TextOutcome("sent", message.id, sid)


async def _set_status(
    domain: Domain, message_id: uuid.UUID, status: str, *, send_after: datetime | None, error: str = ""
) -> None:
    async with domain.transaction() as session:
        await session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message_id)
            .values(status=status, send_after=send_after if status == "deferred" else None)
        )
        interaction_id = await session.scalar(
            select(SmsMessage.interaction_id).where(SmsMessage.id == message_id)
        )
        if interaction_id:
            interaction = await session.get(Interaction, interaction_id)
            if interaction is not None:
                interaction.outcome = status
                if error and status == "failed":  # the provider's reason, shown on the card
                    interaction.details = {**interaction.details, "error": error[:200]}


async def send_deferred_text(domain: Domain, message_id: uuid.UUID) -> dict[str, str]:
    """The deferred text's time has come: check the rules again (opt-out, quiet hours), then send."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        message = await session.scalar(
            select(SmsMessage)
            .where(SmsMessage.id == message_id, SmsMessage.status == "deferred")
            .with_for_update()
        )
        if message is None:
            return {"status": "not_deferred"}
        if await opted_out(session, message.practice_id, message.phone_index):
            message.status = "blocked"
            return {"status": "blocked"}
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        practice = await session.get(Practice, message.practice_id)
        zones = recipient_zones(
            zip_code=lead.zip if lead else None,
            phone=domain.cipher.open(message.phone_enc, column=SMS_PHONE, row_id=message.id),
            fallback=practice.time_zone if practice else "UTC",
        )
        send_after = next_allowed(now, zones) if message.automated else now
        if send_after > now:
            message.send_after = send_after
        else:
            message.status, message.send_after = "pending", None
    if send_after > now:
        await domain.jobs.schedule_text(message_id, at=send_after)
        return {"status": "deferred", "until": send_after.isoformat()}
    outcome = await _deliver(domain, message_id)
    return {"status": outcome.status}


async def send_due_texts(domain: Domain, *, limit: int = 100) -> dict[str, int]:
    """Sweeper: deferred texts whose time passed (their arq job was lost with Redis)."""
    async with domain.sessionmaker() as session:
        due = (
            await session.scalars(
                select(SmsMessage.id)
                .where(SmsMessage.status == "deferred", SmsMessage.send_after <= domain.clock.now())
                .order_by(SmsMessage.send_after)
                .limit(limit)
            )
        ).all()
    sent = 0
    for message_id in due:
        sent += (await send_deferred_text(domain, message_id))["status"] == "sent"
    return {"due": len(due), "sent": sent}


async def record_text_status(
    domain: Domain, *, message_sid: str, status: str, message_id: uuid.UUID | None = None
) -> bool:
    """Apply a message status unless an equal or later one is already known (delivered stays delivered)."""
    rank = SMS_STATUS_ORDER.get(status)
    if rank is None:
        return False
    async with domain.transaction() as session:
        if message_id is not None:  # the callback may beat us to storing the sid
            await session.execute(
                update(SmsMessage)
                .where(SmsMessage.id == message_id, SmsMessage.message_sid.is_(None))
                .values(message_sid=message_sid)
            )
        changed = await session.scalar(
            update(SmsMessage)
            .where(SmsMessage.message_sid == message_sid, SmsMessage.status_rank < rank)
            .values(status=status, status_rank=rank, updated_at=domain.clock.now())
            .returning(SmsMessage.interaction_id)
        )
        if changed:
            await session.execute(update(Interaction).where(Interaction.id == changed).values(outcome=status))
        return changed is not None or False


async def send_sms_to_lead(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, body: str, *, actor: audit.Actor
) -> TextOutcome:
    """A staff member texts a lead from the board (manual: quiet hours do not hold a reply)."""
    require(viewer, "lead.text")
    body = body.strip()
    if not body:
        raise InvalidFields({"body": "Write the message first."})
    if len(body) > TEXT_MAX_CHARACTERS:
        raise InvalidFields(
            {"body": f"A text can be at most {TEXT_MAX_CHARACTERS:,} characters; this one has {len(body):,}."}
        )
    async with domain.transaction() as session:
        lead = await session.scalar(select(Lead).where(Lead.id == lead_id, viewer.work_filter()))
        if lead is None:
            raise PhoneActionRefused("no such lead in your scope")
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
        if not phone:
            raise PhoneActionRefused("this lead has no phone number")
        audit.record(session, actor=actor, action="lead.sms", practice_id=lead.practice_id, lead_id=lead.id)
    outcome = await send_text(
        domain,
        practice_id=lead.practice_id,
        to=phone,
        body=body,
        automated=False,
        lead_id=lead.id,
        user_id=viewer.user_id,
    )
    if outcome.status in ("blocked", "failed"):
        raise PhoneActionRefused(outcome.reason or "the text could not be sent")
    return outcome


class RuleCheckedSmsSender:
    """The domain's SmsSender (escalation texts managers with it): every text under the SMS rules."""

    def __init__(self, domain: Domain) -> None:
        self._domain = domain

    async def send_sms(self, *, practice_id: uuid.UUID, to: str, body: str, automated: bool) -> str | None:
        outcome = await send_text(
            self._domain, practice_id=practice_id, to=to, body=body, automated=automated
        )
        return outcome.message_sid


async def send_deferred_text_task(ctx: dict[str, Any], message_id: str) -> dict[str, str]:
    """arq: a deferred text's time has come."""
    return await send_deferred_text(ctx["domain"], uuid.UUID(message_id))


async def send_due_texts_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: deferred texts whose job was lost."""
    return await send_due_texts(ctx["domain"])
