"""Phones in the practice's words: tracking numbers, phone settings, and what a call's callbacks record.

Status, recording and transcription callbacks land on the call's interaction (the lead's timeline);
a duplicate or late callback changes nothing. Where an inbound call rings is router/call_routing.py,
click-to-call is router/click_to_call.py; the connector turns both into TwiML.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_event, record_lead_event
from router.core.models import (
    Interaction,
    Lead,
    Location,
    PhoneCall,
    Practice,
    PracticePhoneSettings,
    TrackingNumber,
)
from router.intake.normalize import normalize_phone
from router.intake.pipeline import PHI_CONTEXT
from router.leads.first_contact import record_first_contact
from router.privacy import audit
from scoring.channels import CHANNELS

if TYPE_CHECKING:
    from router.phones.texts import TextOutcome

DEFAULT_RING_SECONDS = 20
"""About five rings: long enough to reach the phone, short enough that callers do not hang up first."""
OVERFLOW_MODES = ("number", "queue")
CALL_STATUS_ORDER = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "failed": 4,
    "canceled": 4,
}
"""Twilio's call states in order; callbacks may arrive out of order and a state never goes back."""
ANSWERED = ("completed", "answered", "bridged")
"""Dial / queue outcomes that mean a person took the call."""


class UnknownCall(LookupError):
    """A callback about a call we never saw."""


def phone_settings_of(row: PracticePhoneSettings | None, practice_id: uuid.UUID) -> PracticePhoneSettings:
    """The practice's phone settings, or the defaults when it never set any."""
    return row or PracticePhoneSettings(
        practice_id=practice_id,
        practice_number=None,
        records_calls=False,
        consent_notice=None,
        overflow_mode="number",
        ring_timeout_seconds=DEFAULT_RING_SECONDS,
        missed_call_text_back=False,
        text_back_message=None,
    )


async def load_phone_settings(session: AsyncSession, practice_id: uuid.UUID) -> PracticePhoneSettings:
    return phone_settings_of(await session.get(PracticePhoneSettings, practice_id), practice_id)


async def add_tracking_number(
    session: AsyncSession, *, location: Location, phone: str, channel: str, campaign: str | None
) -> TrackingNumber:
    """Map a number to a location and a marketing channel; calls to it become leads of that channel."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    number = TrackingNumber(
        id=uuid.uuid4(),
        practice_id=location.practice_id,
        location_id=location.id,
        phone_e164=normalize_phone(phone),
        channel=channel,
        campaign=campaign,
    )
    session.add(number)
    await session.flush([number])
    return number


async def practice_number(
    session: AsyncSession, practice_id: uuid.UUID, location_id: uuid.UUID | None
) -> str | None:
    """The number texts and click-to-call show: the configured one, else a tracking number of the office."""
    settings = await session.get(PracticePhoneSettings, practice_id)
    if settings and settings.practice_number:
        return settings.practice_number
    numbers = (
        await session.scalars(
            select(TrackingNumber)
            .where(TrackingNumber.practice_id == practice_id)
            .order_by(TrackingNumber.created_at, TrackingNumber.phone_e164)
        )
    ).all()
    candidates = [n for n in numbers if n.location_id == location_id] or list(numbers)
    return candidates[0].phone_e164 if candidates else None


async def mark_call_answered(session: AsyncSession, call: PhoneCall, *, by: str, now: datetime) -> list[int]:
    """Someone took the call: the interaction says who, and it is the lead's first contact if none yet."""
    call.answered_at, call.answered_by, call.updated_at = now, by, now
    user_id = call.staff_user_id if by in ("sticky", "click_to_call") else None
    if call.interaction_id:
        await session.execute(
            update(Interaction)
            .where(Interaction.id == call.interaction_id)
            .values(outcome="connected" if by == "click_to_call" else "answered", user_id=user_id)
        )
    lead = await session.get(Lead, call.lead_id, with_for_update=True) if call.lead_id else None
    if lead is None:
        return []
    first = await record_first_contact(session, lead, now, "call", user_id=user_id, actor="twilio")
    event = await record_lead_event(
        session,
        lead,
        "lead.contacted" if first else "lead.call_updated",
        {"call_id": str(call.id), "answered_by": by},
    )
    return [event]


@dataclass(frozen=True)
class CallStatusChange:
    """What a status callback changed."""

    changed: bool
    final: bool = False
    call_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None


async def record_call_status(
    domain: Domain, *, call_sid: str, status: str, duration: int | None, call_id: uuid.UUID | None = None
) -> CallStatusChange:
    """Apply a status callback unless an equal or later one already arrived (duplicates, late ones)."""
    rank = CALL_STATUS_ORDER.get(status)
    if rank is None:
        return CallStatusChange(changed=False)
    now = domain.clock.now()
    events: list[int] = []
    async with domain.sessionmaker() as session, session.begin():
        if call_id is not None:  # click-to-call: the sid may not be stored yet when the first callback comes
            await session.execute(
                update(PhoneCall)
                .where(PhoneCall.id == call_id, PhoneCall.call_sid.is_(None))
                .values(call_sid=call_sid)
            )
        call = await session.scalar(
            select(PhoneCall)
            .where(PhoneCall.call_sid == call_sid, PhoneCall.status_rank < rank)
            .with_for_update()
        )
        if call is None:
            return CallStatusChange(changed=False)
        call.status, call.status_rank, call.updated_at = status, rank, now
        final = rank == CALL_STATUS_ORDER["completed"]
        if final and duration is not None:
            call.duration_seconds = duration
        missed = final and call.answered_at is None
        if final and call.interaction_id:
            interaction = await session.get(Interaction, call.interaction_id)
            if interaction is not None:
                if missed:
                    interaction.outcome = _missed_outcome(call, status)
                interaction.details = {**interaction.details, "duration_seconds": duration, "status": status}
        if final and call.lead_id:
            events.append(
                await record_event(
                    session,
                    kind="lead.call_updated",
                    practice_id=call.practice_id,
                    location_id=call.location_id,
                    lead_id=call.lead_id,
                    payload={"call_id": str(call.id), "status": status},
                )
            )
    await domain.announcer.announce(events)
    if missed and call.direction == "inbound" and call.caller_is_new:
        await text_back_missed_call(domain, call.id)
    return CallStatusChange(changed=True, final=final, call_id=call.id, lead_id=call.lead_id)


def _missed_outcome(call: PhoneCall, status: str) -> str:
    if call.direction == "click_to_call":
        return "not_connected"
    return "voicemail" if call.recording_sid else "missed"


async def attach_recording(
    domain: Domain, *, call_sid: str, recording_sid: str, recording_url: str, duration: int | None
) -> bool:
    """A recording (voicemail or answered call) on the lead's timeline; the same one twice changes nothing."""
    async with domain.sessionmaker() as session, session.begin():
        call = await session.scalar(
            select(PhoneCall)
            .where(PhoneCall.call_sid == call_sid, PhoneCall.recording_sid.is_distinct_from(recording_sid))
            .with_for_update()
        )
        if call is None:
            return False
        call.recording_sid, call.recording_url = recording_sid, recording_url
        interaction = await session.get(Interaction, call.interaction_id) if call.interaction_id else None
        if interaction is not None:
            interaction.details = {
                **interaction.details,
                "recording_sid": recording_sid,
                "recording_url": recording_url,
                "recording_seconds": duration,
            }
            if call.answered_at is None and call.routing_step == "voicemail":
                interaction.outcome = "voicemail"
    return True


async def attach_transcript(domain: Domain, *, call_sid: str, transcription_sid: str, text: str) -> bool:
    """The voicemail's transcript, encrypted as PHI on the call's interaction; duplicates change nothing."""
    async with domain.sessionmaker() as session, session.begin():
        call = await session.scalar(
            select(PhoneCall)
            .where(PhoneCall.call_sid == call_sid, PhoneCall.transcription_sid.is_(None))
            .with_for_update()
        )
        if call is None:
            return False
        call.transcription_sid = transcription_sid
        if call.interaction_id:
            await session.execute(
                update(Interaction)
                .where(Interaction.id == call.interaction_id)
                .values(note_enc=domain.cipher.encrypt(text, context=PHI_CONTEXT))
            )
        audit.record(
            session,
            actor=audit.Actor("integration", "twilio"),
            action="lead.transcript",
            practice_id=call.practice_id,
            lead_id=call.lead_id,
            details={"call_id": str(call.id)},
        )
    return True


async def _practice_location(
    session: AsyncSession, practice_slug: str, location_slug: str | None
) -> Location:
    query = (
        select(Location)
        .join(Practice, Practice.id == Location.practice_id)
        .where(Practice.slug == practice_slug)
    )
    if location_slug:
        query = query.where(Location.slug == location_slug)
    location = await session.scalar(query.order_by(Location.slug).limit(1))
    if location is None:
        raise LookupError(f"no location {location_slug or '(any)'} in practice {practice_slug}")
    return location


async def configure_tracking_number(
    domain: Domain, *, practice_slug: str, location_slug: str, phone: str, channel: str, campaign: str | None
) -> TrackingNumber:
    """Admin: add a tracking number (the CLI and the demo seeding use this)."""
    async with domain.sessionmaker() as session, session.begin():
        location = await _practice_location(session, practice_slug, location_slug)
        return await add_tracking_number(
            session, location=location, phone=phone, channel=channel, campaign=campaign
        )


async def list_tracking_numbers(
    domain: Domain, practice_slug: str | None = None
) -> list[tuple[TrackingNumber, str, str]]:
    """(number, practice slug, location slug) of every tracking number, or one practice's."""
    query = (
        select(TrackingNumber, Practice.slug, Location.slug)
        .join(Practice, Practice.id == TrackingNumber.practice_id)
        .join(Location, Location.id == TrackingNumber.location_id)
        .order_by(Practice.slug, TrackingNumber.phone_e164)
    )
    if practice_slug:
        query = query.where(Practice.slug == practice_slug)
    async with domain.sessionmaker() as session:
        return [(n, p, loc) for n, p, loc in (await session.execute(query)).all()]


async def configure_phone_settings(
    domain: Domain, practice_slug: str, **changes: object
) -> PracticePhoneSettings:
    """Admin: change a practice's phone settings (unknown names and bad values are refused)."""
    unknown = (
        set(changes)
        - {c.key for c in PracticePhoneSettings.__table__.columns}
        - {"practice_id", "updated_at"}
    )
    if unknown:
        raise ValueError("unknown phone settings: " + ", ".join(sorted(unknown)))
    if changes.get("overflow_mode") not in (None, *OVERFLOW_MODES):
        raise ValueError(f"overflow_mode must be one of {', '.join(OVERFLOW_MODES)}")
    if changes.get("practice_number"):
        changes["practice_number"] = normalize_phone(str(changes["practice_number"]))
    async with domain.sessionmaker() as session, session.begin():
        location = await _practice_location(session, practice_slug, None)
        row = await session.get(PracticePhoneSettings, location.practice_id, with_for_update=True)
        if row is None:
            row = phone_settings_of(None, location.practice_id)
            session.add(row)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = domain.clock.now()
    return row


async def text_back_missed_call(domain: Domain, call_id: uuid.UUID) -> TextOutcome | None:
    """A new caller nobody answered gets one "sorry we missed you" text, when the practice wants it."""
    async with domain.sessionmaker() as session, session.begin():
        call = await session.get(PhoneCall, call_id)
        if call is None or call.lead_id is None or call.text_back_at is not None:
            return None
        settings = await load_phone_settings(session, call.practice_id)
        practice = await session.get(Practice, call.practice_id)
        lead = await session.get(Lead, call.lead_id)
        if not settings.missed_call_text_back or practice is None or lead is None:
            return None
        call.text_back_at = domain.clock.now()
        phone = domain.cipher.decrypt(lead.phone_enc, context=PHI_CONTEXT)
    if not phone:
        return None
    body = settings.text_back_message or (
        f"Sorry we missed your call at {practice.name}! Reply here to text us, or call us back anytime."
    )
    from router.phones.texts import send_text  # the SMS rules need this module's numbers and first contact

    return await send_text(
        domain,
        practice_id=call.practice_id,
        to=phone,
        body=body,
        automated=True,
        lead_id=call.lead_id,
        dedupe_key=f"textback:{call.call_sid or call.id}",
    )
