"""Texts from patients: opt-out keywords first, then the lead's timeline (a reply counts as contact).

STOP and its synonyms opt the number out of the practice's texts at once, with exactly one
confirmation; START/YES/UNSTOP opt back in (YES only means that from an opted-out number); HELP and
INFO answer with who we are. Free text that reads like an opt-out is flagged for staff, not obeyed,
because "stop by tomorrow?" is not an opt-out. Consent records are appended, never edited.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import (
    ConsentRecord,
    Interaction,
    Lead,
    Practice,
    PracticePhoneSettings,
    SmsMessage,
    TrackingNumber,
)
from router.core.phi_columns import INTERACTION_NOTE, SMS_BODY, SMS_PHONE
from router.intake.normalize import InvalidInquiry
from router.intake.pipeline import InquiryCommand, ingest_inquiry
from router.leads.first_contact import record_first_contact
from router.phones.texts import SMS_STATUS_ORDER, opted_out
from router.privacy import audit

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
KEYWORD_DISCLOSURE_VERSION = "sms-keywords-2026-01"
"""Version of the keyword texts below, stored on each consent record a keyword creates."""
UNSUBSCRIBED = (
    "{practice}: you are unsubscribed and will receive no more texts from us. Reply START to resubscribe."
)
RESUBSCRIBED = "{practice}: you are resubscribed to our texts. Reply STOP to opt out, HELP for help."
HELP_TEXT = "{practice}: for help call {contact}. Msg&data rates may apply. Reply STOP to opt out."
LOOKS_LIKE_OPT_OUT = re.compile(
    r"\b(stop\s+(texting|messaging|sending|contacting)|unsubscribe|opt[\s-]?out|remove\s+me|"
    r"(don'?t|do\s+not)\s+(text|message|contact)|no\s+more\s+(texts|messages))\b",
    re.IGNORECASE,
)
"""Phrases a person uses to ask for no more texts; flagged for staff to act on, never automatic."""


@dataclass(frozen=True)
class InboundText:
    """What we did with a text: the reply to send back (TwiML), and where it landed."""

    reply: str | None
    lead_id: uuid.UUID | None = None
    keyword: str | None = None
    flagged: bool = False
    duplicate: bool = False
    message_id: uuid.UUID | None = None
    """The stored text (also for a retried webhook): what later readings of it (reminders) key on."""


async def _practice_for_number(
    session: AsyncSession, number: str
) -> tuple[uuid.UUID, TrackingNumber | None] | None:
    tracking = await session.scalar(select(TrackingNumber).where(TrackingNumber.phone_e164 == number))
    if tracking is not None:
        return tracking.practice_id, tracking
    practice_id = await session.scalar(
        select(PracticePhoneSettings.practice_id).where(PracticePhoneSettings.practice_number == number)
    )
    return (practice_id, None) if practice_id else None


async def receive_text(
    domain: Domain, *, message_sid: str, sender: str, to: str, body: str, ip: str | None
) -> InboundText:
    """One inbound text, exactly once per MessageSid (a retried webhook changes nothing, answers nothing)."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        found = await _practice_for_number(session, to)
    if found is None:
        return InboundText(reply=None)
    practice_id, tracking = found
    keyword = body.strip().upper()
    phone_index = domain.blind_index.digest(sender, kind="phone")
    lead_id = None
    if keyword not in OPT_OUT_WORDS | HELP_WORDS | OPT_IN_WORDS:
        lead_id = await _lead_for_sender(
            domain, practice_id, tracking, sender=sender, message_sid=message_sid, ip=ip
        )
    async with domain.transaction() as session:
        inserted = await _store_once(
            session, domain, practice_id, message_sid=message_sid, sender=sender, to=to, body=body, now=now
        )
        if inserted is None:
            stored = await session.scalar(select(SmsMessage.id).where(SmsMessage.message_sid == message_sid))
            return InboundText(reply=None, duplicate=True, message_id=stored)
        practice = await session.get(Practice, practice_id)
        assert practice is not None
        was_out = await opted_out(session, practice_id, phone_index)
        lead = (
            await _latest_lead(session, practice_id, phone_index)
            if lead_id is None
            else await session.get(Lead, lead_id, with_for_update=True)
        )
        kind, reply = _answer_keyword(
            session, keyword, practice, lead, phone_index, was_out=was_out, to=to, now=now
        )
        flagged = kind is None and bool(LOOKS_LIKE_OPT_OUT.search(body))
        if lead is not None:
            await _on_timeline(
                session, domain, lead, message_id=inserted, body=body, keyword=kind, flagged=flagged, now=now
            )
        audit.record(
            session,
            actor=audit.Actor("integration", "twilio", ip),
            action="lead.sms_received",
            practice_id=practice_id,
            lead_id=lead.id if lead else None,
            details={"keyword": kind, "flagged": flagged},
        )
    return InboundText(
        reply=reply, lead_id=lead.id if lead else None, keyword=kind, flagged=flagged, message_id=inserted
    )


async def _store_once(
    session: AsyncSession,
    domain: Domain,
    practice_id: uuid.UUID,
    *,
    message_sid: str,
    sender: str,
    to: str,
    body: str,
    now: datetime,
) -> uuid.UUID | None:
    """The text, encrypted; None when this MessageSid is already stored (a retried webhook)."""
    sms_id = uuid.uuid4()
    return await session.scalar(
        insert(SmsMessage)
        .values(
            id=sms_id,
            message_sid=message_sid,
            practice_id=practice_id,
            direction="inbound",
            automated=False,
            practice_number=to,
            phone_enc=domain.cipher.seal(sender, column=SMS_PHONE, row_id=sms_id),
            phone_index=domain.blind_index.digest(sender, kind="phone"),
            body_enc=domain.cipher.seal(body, column=SMS_BODY, row_id=sms_id),
            status="received",
            status_rank=max(SMS_STATUS_ORDER.values()),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(SmsMessage.id)
    )


def _answer_keyword(
    session: AsyncSession,
    keyword: str,
    practice: Practice,
    lead: Lead | None,
    phone_index: bytes | None,
    *,
    was_out: bool,
    to: str,
    now: datetime,
) -> tuple[str | None, str | None]:
    """STOP, START and HELP: the keyword's kind (None for any other text) and our reply, if any.

    STOP and START record the consent change; a repeated STOP, or YES from a number that never opted
    out, changes nothing and gets no reply.
    """
    if keyword in OPT_OUT_WORDS:
        if was_out:
            return "opt_out", None
        consent_of(session, practice.id, lead, phone_index, granted=False, to=to, now=now)
        return "opt_out", UNSUBSCRIBED.format(practice=practice.name)
    if keyword in OPT_IN_WORDS and (was_out or keyword != "YES"):
        consent_of(session, practice.id, lead, phone_index, granted=True, to=to, now=now)
        return "opt_in", RESUBSCRIBED.format(practice=practice.name) if was_out else None
    if keyword in HELP_WORDS:
        contact = practice.support_phone or "our office"
        return "help", HELP_TEXT.format(practice=practice.name, contact=contact)
    return None, None


def consent_of(
    session: AsyncSession,
    practice_id: uuid.UUID,
    lead: Lead | None,
    phone_index: bytes | None,
    *,
    granted: bool,
    to: str,
    now,  # type: ignore[no-untyped-def]
) -> None:
    """A new, immutable consent record (the keyword as the patient sent it, to which of our numbers)."""
    session.add(
        ConsentRecord(
            practice_id=practice_id,
            lead_id=lead.id if lead else None,
            phone_index=phone_index,
            channel="sms",
            granted=granted,
            disclosure_version=KEYWORD_DISCLOSURE_VERSION,
            captured_at=now,
            page=f"sms keyword to {to}",
            source="sms_keyword",
        )
    )


async def _latest_lead(
    session: AsyncSession, practice_id: uuid.UUID, phone_index: bytes | None
) -> Lead | None:
    """The sender's open lead, else their most recent one."""
    if phone_index is None:
        return None
    return await session.scalar(
        select(Lead)
        .where(Lead.practice_id == practice_id, Lead.phone_index == phone_index)
        .order_by((Lead.status == "open").desc(), Lead.received_at.desc())
        .limit(1)
        .with_for_update()
    )


async def _lead_for_sender(
    domain: Domain,
    practice_id: uuid.UUID,
    tracking: TrackingNumber | None,
    *,
    sender: str,
    message_sid: str,
    ip: str | None,
) -> uuid.UUID | None:
    """The sender's lead; a text from a new number to a tracking number is a new inquiry of its channel."""
    async with domain.transaction() as session:
        lead = await _latest_lead(session, practice_id, domain.blind_index.digest(sender, kind="phone"))
        if lead is not None:
            return lead.id
    if tracking is None:
        return None
    try:
        result = await ingest_inquiry(
            domain,
            InquiryCommand(
                practice_id=practice_id,
                source_kind="sms",
                fields={"phone": sender},
                received_at=domain.clock.now(),
                actor=audit.Actor("integration", "twilio", ip),
                idempotency_scope="twilio-sms",
                idempotency_key=message_sid,
                request_sha256=message_sid.encode(),
                default_location_id=tracking.location_id,
                channel=tracking.channel,
                details={"tracking_number": tracking.phone_e164, "campaign": tracking.campaign},
            ),
        )
    except InvalidInquiry:
        return None  # a short code or alphanumeric sender cannot be a patient lead
    return uuid.UUID(result.body["lead_id"])


async def _on_timeline(
    session: AsyncSession,
    domain: Domain,
    lead: Lead,
    *,
    message_id: uuid.UUID,
    body: str,
    keyword: str | None,
    flagged: bool,
    now,  # type: ignore[no-untyped-def]
) -> list[int]:
    """The text on the lead's timeline; a reply to one of our texts is the lead's first contact."""
    interaction_id = uuid.uuid4()
    interaction = Interaction(
        id=interaction_id,
        lead_id=lead.id,
        practice_id=lead.practice_id,
        kind="sms",
        channel="sms",
        outcome=keyword or "received",
        note_enc=domain.cipher.seal(body, column=INTERACTION_NOTE, row_id=interaction_id),
        occurred_at=now,
        details={"direction": "inbound", "message_id": str(message_id), "opt_out_request": flagged},
    )
    session.add(interaction)
    await session.flush([interaction])
    message = await session.get(SmsMessage, message_id)
    if message is not None:
        message.lead_id, message.interaction_id = lead.id, interaction.id
    lead.last_activity_at = now
    replied = await session.scalar(
        select(SmsMessage.id)
        .where(
            SmsMessage.lead_id == lead.id,
            SmsMessage.direction == "outbound",
            SmsMessage.message_sid.is_not(None),
        )
        .limit(1)
    )
    first = keyword is None and replied is not None and lead.status == "open"
    first = first and await record_first_contact(session, lead, now, "sms_reply", actor="twilio")
    kind = "lead.contacted" if first else "lead.opt_out_flagged" if flagged else "lead.sms_received"
    event = await record_lead_event(
        session, lead, kind, {"message_id": str(message_id), "keyword": keyword, "opt_out_request": flagged}
    )
    return [event]
