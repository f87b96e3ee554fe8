"""Sending the outbox: every patient message at most once, even when a worker dies mid-send.

A send is three steps. (1) Claim: in one transaction, with the enrolment's row lock, check the
lead is still in its sequence (a lead who just booked gets nothing), consent, quiet hours and the
practice's hourly limit, then mark the message `sending` and commit. (2) Hand it to the provider.
(3) Record what the provider said. A worker that dies between (2) and (3) leaves `sending` behind:
the recovery sweep checks a text with Twilio (the status callback that names our id, then the
message list by recipient and time) and resends only what Twilio never took; an email cannot be
checked, so it is marked "may not have been sent" and never resent automatically.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Appointment,
    Lead,
    NurtureEnrolment,
    NurtureMessage,
    NurtureSettings,
    Practice,
    ReminderSettings,
    SmsMessage,
)
from router.core.phi_columns import NURTURE_BODY, NURTURE_RECIPIENT, NURTURE_SUBJECT, SMS_BODY, SMS_PHONE
from router.core.ports import EmailRefused, PatientEmail, PhoneGatewayError, PortNotConfigured
from router.nurture.consent import bounced_before, complaint_open, email_opted_out, latest_sms_consent
from router.nurture.exits import end_enrolment, exit_reason, locked_enrolment
from router.nurture.links import make_token, reply_token, tagged_address
from router.phones.quiet_hours import next_allowed, recipient_zones
from router.phones.texts import record_text_status

log = logging.getLogger("leadrouter.nurture")

NOT_DURING_A_COMPLAINT = {  # asking something of, or thanking, a patient with an open complaint
    "review_request": "not asked: a complaint about the patient is open",
    "thank_you": "not sent: a complaint about the patient is open",
}
RETRY_AFTER = timedelta(minutes=5)
"""A provider that said "not now" (busy, rate limited) is asked again after this."""
STALLED_AFTER = timedelta(minutes=2)
"""A message `sending` this long lost its worker: both providers answer (or time out) within 10 s."""
RATE_WINDOW = timedelta(hours=1)
UNSUBSCRIBE_PATH = "/n/u/"
OPEN_PATH = "/n/o/"

FaultHook = Callable[[uuid.UUID], Awaitable[None]]
after_provider_accepted: FaultHook | None = None
"""Test seam: runs after the provider accepted a message and before that is recorded (a crash there)."""


async def send_message(domain: Domain, message_id: uuid.UUID) -> dict[str, str]:
    """Send one queued message, or say why not (cancelled, blocked, put off until when)."""
    claim = await _claim(domain, message_id)
    if claim["status"] != "sending":
        if claim.get("until"):
            await domain.jobs.schedule_nurture_send(message_id, at=datetime.fromisoformat(claim["until"]))
        return claim
    async with domain.sessionmaker() as session:
        message = await session.get(NurtureMessage, message_id)
        assert message is not None
        send = await _prepared(session, domain, message)
        try:
            provider_id = await send()
        except (EmailRefused, PhoneGatewayError, PortNotConfigured) as exc:
            return await _refused(domain, message, exc)
        except Exception as exc:  # the connection broke after handing over: outcome unknown
            log.warning(
                "nurture message %s: outcome unknown (%s)", message_id, type(exc).__name__, exc_info=True
            )
            return await _unknown(domain, message)
    if after_provider_accepted is not None:
        await after_provider_accepted(message_id)
    await _record_sent(domain, message, provider_id)
    return {"status": "sent"}


async def _claim(domain: Domain, message_id: uuid.UUID) -> dict[str, str]:
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        message = await session.get(NurtureMessage, message_id)
        if message is None or message.status != "queued":
            return {"status": message.status if message else "missing"}
        enrolment = await locked_enrolment(session, message.enrolment_id) if message.enrolment_id else None
        await session.refresh(message, with_for_update=True)
        if message.status != "queued":  # cancelled while we waited for the enrolment's lock
            return {"status": message.status}
        stale = await stale_reminder(session, message, now) if message.purpose == "reminder" else None
        if stale is not None:
            message.status, message.detail = "cancelled", stale
            return {"status": "cancelled"}
        lead = await session.get(Lead, message.lead_id)
        reason = await exit_reason(session, lead)
        if enrolment is not None and (reason is not None or enrolment.status == "exited"):
            if enrolment.status in ("active", "paused") and reason is not None:
                await end_enrolment(session, enrolment, reason, now)
            message.status = "cancelled"
            message.detail = message.detail or "the lead left the sequence"
            return {"status": "cancelled"}
        assert lead is not None
        if enrolment is not None and enrolment.status == "paused":  # resuming schedules it again
            return {"status": "paused"}
        if message.purpose in NOT_DURING_A_COMPLAINT and await session.scalar(
            select(complaint_open(patient_id=message.patient_id, lead_id=message.lead_id))
        ):
            message.status, message.detail = "cancelled", NOT_DURING_A_COMPLAINT[message.purpose]
            return {"status": "cancelled"}
        refusal = await _refusal_now(session, domain, message, lead)
        if refusal:
            message.status, message.detail = "blocked", refusal
            return {"status": "blocked"}
        later = await _not_before(session, domain, message, lead, now)
        if later > now:
            message.send_after = later
            return {"status": "queued", "until": later.isoformat()}
        message.status, message.attempt_started_at = "sending", now
        if message.channel == "sms":
            await _mirror_text(session, domain, message, now)
    return {"status": "sending"}


async def stale_reminder(session: AsyncSession, message: NurtureMessage, now: datetime) -> str | None:
    """Why a reminder must not go any more (its appointment was cancelled, moved or has passed).

    The appointment is read under a share lock: a cancellation or a move being committed right now
    is waited for, so a reminder is either claimed before the change commits or sees the change.
    """
    appointment = (
        await session.scalars(
            select(Appointment).where(Appointment.id == message.appointment_id).with_for_update(read=True)
        )
    ).one_or_none()
    if appointment is None or appointment.status not in ("booked", "confirmed"):
        return "the appointment was cancelled"
    settings = await session.get(ReminderSettings, message.practice_id)
    if settings is None or not settings.enabled:
        return "reminders were switched off"
    if message.appointment_at is not None and appointment.starts_at != message.appointment_at:
        return "the appointment was moved"
    if appointment.starts_at <= now:
        return "the appointment time has passed"
    return None


async def _refusal_now(
    session: AsyncSession, domain: Domain, message: NurtureMessage, lead: Lead
) -> str | None:
    """Consent may have changed since the message was queued (a STOP, an unsubscribe), or the
    address may have bounced an earlier email."""
    if message.channel == "email" and await email_opted_out(session, lead.practice_id, lead.email_index):
        return "unsubscribed from emails"
    if message.channel == "email" and await bounced_before(session, domain.cipher, message):
        return "this address bounced an earlier email: correct it on the lead page"
    if message.channel == "sms":
        consent = await latest_sms_consent(session, lead.practice_id, lead.phone_index)
        if consent is False:
            return "opted out of texts (STOP, or no on the form)"
        if consent is None:
            return "no consent to texts on record"
    return None


async def _not_before(
    session: AsyncSession, domain: Domain, message: NurtureMessage, lead: Lead, now: datetime
) -> datetime:
    """The earliest moment the message may go: its own time, quiet hours, the hourly limit."""
    earliest = max(message.send_after or now, now)
    if message.channel == "sms":
        practice = await session.get(Practice, lead.practice_id)
        recipient = domain.cipher.open(message.recipient_enc, column=NURTURE_RECIPIENT, row_id=message.id)
        zones = recipient_zones(
            zip_code=lead.zip, phone=recipient, fallback=practice.time_zone if practice else "UTC"
        )
        earliest = max(earliest, next_allowed(now, zones))
    settings = await session.get(NurtureSettings, message.practice_id)
    limit = (
        (settings.texts_per_hour if message.channel == "sms" else settings.emails_per_hour)
        if settings
        else None
    )
    if limit is not None and earliest <= now:
        window = await session.execute(
            select(func.count(), func.min(NurtureMessage.sent_at)).where(
                NurtureMessage.practice_id == message.practice_id,
                NurtureMessage.channel == message.channel,
                NurtureMessage.sent_at > now - RATE_WINDOW,
            )
        )
        count, oldest = window.one()
        if count >= limit and oldest is not None:
            earliest = oldest + RATE_WINDOW
    return earliest


async def _mirror_text(session: AsyncSession, domain: Domain, message: NurtureMessage, now: datetime) -> None:
    """The text in the practice's texts table under the same id, so Twilio's status callback (which
    names that id) lands on it, and the conversation shows what the sequence sent."""
    phone = domain.cipher.open(message.recipient_enc, column=NURTURE_RECIPIENT, row_id=message.id)
    body = domain.cipher.open(message.body_enc, column=NURTURE_BODY, row_id=message.id)
    lead = await session.get(Lead, message.lead_id)
    await session.execute(
        insert(SmsMessage)
        .values(
            id=message.id,
            dedupe_key=f"nurture:{message.id}",
            practice_id=message.practice_id,
            lead_id=message.lead_id,
            direction="outbound",
            automated=True,
            practice_number=message.from_number,
            phone_enc=domain.cipher.seal(phone, column=SMS_PHONE, row_id=message.id),
            phone_index=lead.phone_index if lead else None,
            body_enc=domain.cipher.seal(body, column=SMS_BODY, row_id=message.id),
            status="pending",
            status_rank=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


async def _prepared(
    session: AsyncSession, domain: Domain, message: NurtureMessage
) -> Callable[[], Awaitable[str]]:
    """The provider call, fully built first: a fault while building is ours, not an unknown outcome."""
    recipient = domain.cipher.open(message.recipient_enc, column=NURTURE_RECIPIENT, row_id=message.id) or ""
    body = domain.cipher.open(message.body_enc, column=NURTURE_BODY, row_id=message.id) or ""
    if message.channel == "sms":
        return lambda: domain.phones.send_message(
            from_number=message.from_number or "", to=recipient, body=body, message_id=message.id
        )
    email = await patient_email(session, domain, message, recipient, body)
    return lambda: domain.patient_email.send_patient_email(email)


async def patient_email(
    session: AsyncSession, domain: Domain, message: NurtureMessage, recipient: str, body: str
) -> PatientEmail:
    """The email as sent: the practice's sender identity, the one-click unsubscribe, the open pixel."""
    practice = await session.get(Practice, message.practice_id)
    settings = await session.get(NurtureSettings, message.practice_id)
    base = domain.settings.intake.public_url.rstrip("/")
    now = domain.clock.now()
    token = reply_token(domain.blind_index, message.id)
    return PatientEmail(
        sender_name=(settings.sender_name if settings else None) or (practice.name if practice else ""),
        sender_address=(settings.sender_email if settings else None) or None,
        to=recipient,
        subject=domain.cipher.open(message.subject_enc, column=NURTURE_SUBJECT, row_id=message.id) or "",
        text=body,
        unsubscribe_url=base
        + UNSUBSCRIBE_PATH
        + make_token(domain.blind_index, message.id, "unsubscribe", now),
        open_pixel_url=base + OPEN_PATH + make_token(domain.blind_index, message.id, "open", now) + ".gif",
        reply_to=_reply_to(settings, token),
        message_key=str(message.id),
        reply_token=token,
    )


def _reply_to(settings: NurtureSettings | None, token: str) -> str | None:
    """Where replies go; tagged with the message's token when the practice forwards replies to us."""
    if settings is None:
        return None
    if settings.tag_reply_address:
        return tagged_address(settings.reply_to or settings.sender_email, token)
    return settings.reply_to


async def _record_sent(domain: Domain, message: NurtureMessage, provider_id: str) -> None:
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(NurtureMessage, message.id, with_for_update=True)
        if row is not None and row.status in ("sending", "unknown"):
            row.status, row.provider_id, row.sent_at, row.detail = "sent", provider_id, now, None
    if message.channel == "sms":
        await record_text_status(domain, message_sid=provider_id, status="queued", message_id=message.id)


async def _refused(domain: Domain, message: NurtureMessage, exc: Exception) -> dict[str, str]:
    """The provider certainly did not take it: retry a passing fault later, record a final one."""
    if isinstance(exc, PhoneGatewayError) and exc.unknown:
        log.warning("nurture text %s: outcome unknown, left for the provider check", message.id)
        return {"status": "sending"}
    permanent = isinstance(exc, PortNotConfigured) or bool(getattr(exc, "permanent", True))
    retry_at = domain.clock.now() + RETRY_AFTER
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(NurtureMessage, message.id, with_for_update=True)
        if row is None or row.status != "sending":
            return {"status": row.status if row else "missing"}
        row.status = "failed" if permanent else "queued"
        row.send_after = None if permanent else retry_at
        row.detail = f"{'not sent' if permanent else 'will retry'}: {exc}"[:500]
    if permanent:
        return {"status": "failed"}
    await domain.jobs.schedule_nurture_send(message.id, at=retry_at)
    return {"status": "queued", "until": retry_at.isoformat()}


async def _unknown(domain: Domain, message: NurtureMessage) -> dict[str, str]:
    """An email whose hand-over broke off: shown as "may not have been sent", never resent."""
    if message.channel == "sms":
        return {"status": "sending"}  # the recovery sweep asks Twilio
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(NurtureMessage, message.id, with_for_update=True)
        if row is not None and row.status == "sending":
            row.status, row.detail = "unknown", "may not have been sent: the mail server did not confirm it"
    return {"status": "unknown"}


async def recover_stalled(domain: Domain, *, limit: int = 100) -> dict[str, int]:
    """Messages left `sending` by a worker that died: settle each without ever sending twice."""
    cutoff = domain.clock.now() - STALLED_AFTER
    async with domain.sessionmaker() as session:
        stalled = (
            await session.scalars(
                select(NurtureMessage)
                .where(NurtureMessage.status == "sending", NurtureMessage.attempt_started_at <= cutoff)
                .order_by(NurtureMessage.attempt_started_at)
                .limit(limit)
            )
        ).all()
    report = {"checked": len(stalled), "sent": 0, "requeued": 0, "unknown": 0}
    for message in stalled:
        outcome = await _settle(domain, message)
        report[outcome] = report.get(outcome, 0) + 1
    return report


async def _settle(domain: Domain, message: NurtureMessage) -> str:
    if message.channel != "sms":
        await _unknown(domain, message)
        return "unknown"
    async with domain.sessionmaker() as session:
        mirrored_sid = await session.scalar(select(SmsMessage.message_sid).where(SmsMessage.id == message.id))
    sid = mirrored_sid
    if sid is None:
        recipient = domain.cipher.open(message.recipient_enc, column=NURTURE_RECIPIENT, row_id=message.id)
        body = domain.cipher.open(message.body_enc, column=NURTURE_BODY, row_id=message.id)
        assert message.attempt_started_at is not None
        try:
            sid = await domain.phones.find_message(
                from_number=message.from_number or "",
                to=recipient or "",
                body=body or "",
                since=message.attempt_started_at - timedelta(minutes=1),
            )
        except (PhoneGatewayError, PortNotConfigured):
            return "unchecked"  # Twilio unreachable: ask again on the next sweep
    if sid is not None:
        await _record_sent(domain, message, sid)
        return "sent"
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(NurtureMessage, message.id, with_for_update=True)
        if row is None or row.status != "sending" or row.attempt_started_at != message.attempt_started_at:
            # Another sweep settled it while we asked Twilio, and it may be on its way again now:
            # requeueing that new attempt would send the text twice.
            return "settled_elsewhere"
        row.status, row.send_after, row.attempt_started_at = "queued", domain.clock.now(), None
    await domain.jobs.schedule_nurture_send(message.id, at=domain.clock.now())
    return "requeued"


async def send_due_messages(domain: Domain, *, limit: int = 200) -> dict[str, int]:
    """Sweeper: queued messages whose time came (their arq job was lost with Redis); a paused
    sequence's messages wait for its resumption, which schedules them again."""
    async with domain.sessionmaker() as session:
        due = (
            await session.scalars(
                select(NurtureMessage.id)
                .outerjoin(NurtureEnrolment, NurtureEnrolment.id == NurtureMessage.enrolment_id)
                .where(
                    NurtureMessage.status == "queued",
                    NurtureMessage.send_after <= domain.clock.now(),
                    or_(NurtureEnrolment.id.is_(None), NurtureEnrolment.status != "paused"),
                )
                .order_by(NurtureMessage.send_after)
                .limit(limit)
            )
        ).all()
    sent = 0
    for message_id in due:
        sent += (await send_message(domain, message_id))["status"] == "sent"
    return {"due": len(due), "sent": sent}


async def nurture_send_task(ctx: dict[str, Any], message_id: str) -> dict[str, str]:
    """arq: a queued nurture message's time has come."""
    return await send_message(ctx["domain"], uuid.UUID(message_id))
