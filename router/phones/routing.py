"""Where an inbound call rings: sticky staff, front desk, overflow (number or queue), then voicemail.

The steps, in the practice's order: the staff member the caller spoke with before (while they work),
the location's front desk while it is open, the overflow call center's number or queue while the
call center is open, else voicemail. Each step's outcome arrives as a Twilio callback; a
`RingStep` says what comes next and the connector turns it into TwiML.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import (
    CallCenter,
    CallCenterPractice,
    Interaction,
    Lead,
    Location,
    PhoneCall,
    PracticePhoneSettings,
    StaffUser,
    TrackingNumber,
)
from router.intake.assignment import on_shift
from router.intake.normalize import InvalidInquiry
from router.intake.pipeline import InquiryCommand, ingest_inquiry
from router.phones.calls import ANSWERED, CALL_STATUS_ORDER, UnknownCall, mark_call_answered
from router.phones.numbers import DEFAULT_RING_SECONDS, load_phone_settings
from router.practices.hours import BusinessHours
from router.practices.sla import location_hours
from router.privacy import audit

STICKY_RING_SECONDS = 15
"""The caller's usual contact gets three or four rings on their own phone before the front desk does."""


class UnknownTrackingNumber(LookupError):
    """The called number is not one of our tracking numbers."""


@dataclass(frozen=True)
class RingStep:
    """What the caller hears next: a phone ringing, the overflow queue, voicemail, or the end."""

    kind: str
    """sticky, front_desk, overflow_number, overflow_queue, voicemail or hangup."""
    number: str | None = None
    queue: str | None = None
    timeout_seconds: int = DEFAULT_RING_SECONDS
    record: bool = False
    staff_user_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CallAnswer:
    """The answer to an inbound call: its lead (None for a withheld number) and the first step."""

    call_id: uuid.UUID
    lead_id: uuid.UUID | None
    step: RingStep
    consent_notice: str | None


def _open(hours: BusinessHours | None, now: datetime) -> bool:
    return hours is None or hours.is_open(now)


async def _sticky_staff(
    session: AsyncSession, call: PhoneCall, location: Location, now: datetime
) -> StaffUser | None:
    """The staff member this caller last spoke with on the phone, if they work now and have a phone."""
    lead = await session.get(Lead, call.lead_id) if call.lead_id else None
    if lead is None or lead.phone_index is None:
        return None
    user = await session.scalar(
        select(StaffUser)
        .join(Interaction, Interaction.user_id == StaffUser.id)
        .join(Lead, Lead.id == Interaction.lead_id)
        .where(
            Lead.practice_id == call.practice_id,
            Lead.phone_index == lead.phone_index,
            Interaction.kind == "call",
            Interaction.outcome.in_(("answered", "connected")),
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    if user is None or not user.phone or not user.is_active or user.availability == "away":
        return None
    return user if on_shift(user, location, now) else None


async def _overflow_step(
    session: AsyncSession, practice_id: uuid.UUID, settings: PracticePhoneSettings, now: datetime
) -> RingStep | None:
    """The call center's number or queue while it is open; None when there is none or it is closed."""
    center = await session.scalar(
        select(CallCenter)
        .join(CallCenterPractice, CallCenterPractice.call_center_id == CallCenter.id)
        .where(CallCenterPractice.practice_id == practice_id)
        .order_by(CallCenter.slug)
        .limit(1)
    )
    if center is None:
        return None
    hours = (
        BusinessHours.from_config(time_zone=center.time_zone, business_hours=center.business_hours)
        if center.business_hours
        else None
    )
    if not _open(hours, now):
        return None
    if settings.overflow_mode == "queue":
        return RingStep("overflow_queue", queue=f"overflow-{center.slug}")
    if center.phone:
        return RingStep(
            "overflow_number",
            number=center.phone,
            timeout_seconds=settings.ring_timeout_seconds,
            record=settings.records_calls,
        )
    return None


async def _next_step(session: AsyncSession, call: PhoneCall, *, after: str | None, now: datetime) -> RingStep:
    """The step that follows `after` (None: the first) by the practice's rules at this moment."""
    settings = await load_phone_settings(session, call.practice_id)
    location = await session.get(Location, call.location_id) if call.location_id else None
    location_open = location is not None and _open(location_hours(location), now)
    if after is None and location_open:
        staff = await _sticky_staff(session, call, location, now)  # type: ignore[arg-type]
        if staff is not None:
            return RingStep(
                "sticky",
                number=staff.phone,
                timeout_seconds=STICKY_RING_SECONDS,
                record=settings.records_calls,
                staff_user_id=staff.id,
            )
    if after in (None, "sticky") and location_open and location and location.phone:
        return RingStep(
            "front_desk",
            number=location.phone,
            timeout_seconds=settings.ring_timeout_seconds,
            record=settings.records_calls,
        )
    if after in (None, "sticky", "front_desk"):
        overflow = await _overflow_step(session, call.practice_id, settings, now)
        if overflow is not None:
            return overflow
    return RingStep("voicemail")


async def _enter(session: AsyncSession, call: PhoneCall, step: RingStep, now: datetime) -> list[int]:
    """Record where the call is; rolling to overflow puts the lead in the overflow agents' queue."""
    call.routing_step = step.kind
    call.updated_at = now
    if step.kind == "sticky":
        call.staff_user_id = step.staff_user_id
    if not step.kind.startswith("overflow") or call.lead_id is None:
        return []
    lead = await session.get(Lead, call.lead_id, with_for_update=True)
    if lead is None or lead.overflow:
        return []
    lead.overflow = True
    event = await record_lead_event(session, lead, "lead.overflowed", {"via": step.kind})
    return [event]


async def take_inbound_call(
    domain: Domain, *, call_sid: str, caller: str, called: str, ip: str | None
) -> CallAnswer:
    """A call to a tracking number: the lead (or touchpoint) first, then where the call rings."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        number = await session.scalar(select(TrackingNumber).where(TrackingNumber.phone_e164 == called))
    if number is None:
        raise UnknownTrackingNumber(called)
    fields = {"phone": caller, "utm_campaign": number.campaign}
    lead_id, created = None, False
    try:
        result = await ingest_inquiry(
            domain,
            InquiryCommand(
                practice_id=number.practice_id,
                source_kind="call",
                fields={k: v for k, v in fields.items() if v},
                received_at=now,
                actor=audit.Actor("integration", "twilio", ip),
                idempotency_scope="twilio-call",
                idempotency_key=call_sid,
                request_sha256=hashlib.sha256(f"{call_sid}|{caller}|{called}".encode()).digest(),
                default_location_id=number.location_id,
                channel=number.channel,
                details={
                    "tracking_number": number.phone_e164,
                    "campaign": number.campaign,
                    "call_sid": call_sid,
                },
            ),
        )
        lead_id, created = (
            result.lead_id or uuid.UUID(result.body["lead_id"]),
            result.body["status"] == "created",
        )
    except InvalidInquiry:
        pass  # a withheld or foreign caller id still gets its call answered, just without a lead
    async with domain.transaction() as session:
        settings = await load_phone_settings(session, number.practice_id)
        call_id = await session.scalar(
            insert(PhoneCall)
            .values(
                id=uuid.uuid4(),
                call_sid=call_sid,
                practice_id=number.practice_id,
                lead_id=lead_id,
                location_id=number.location_id,
                tracking_number_id=number.id,
                direction="inbound",
                status="ringing",
                status_rank=CALL_STATUS_ORDER["ringing"],
                caller_is_new=created,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(PhoneCall.id)
        )
        call = await session.scalar(select(PhoneCall).where(PhoneCall.call_sid == call_sid).with_for_update())
        assert call is not None
        if call_id is None:  # Twilio retried the webhook: answer the same way, write nothing
            step = await _next_step(session, call, after=None, now=now)
        else:
            if lead_id is not None:
                interaction = Interaction(
                    id=uuid.uuid4(),
                    lead_id=lead_id,
                    practice_id=number.practice_id,
                    kind="call",
                    channel="phone",
                    outcome="ringing",
                    occurred_at=now,
                    details={
                        "direction": "inbound",
                        "call_sid": call_sid,
                        "tracking_number": number.phone_e164,
                    },
                )
                session.add(interaction)
                await session.flush([interaction])
                call.interaction_id = interaction.id
            step = await _next_step(session, call, after=None, now=now)
            await _enter(session, call, step, now)
    notice = None
    if settings.records_calls and step.kind != "voicemail":
        notice = settings.consent_notice or "This call may be recorded for quality and training."
    return CallAnswer(call_id=call.id, lead_id=lead_id, step=step, consent_notice=notice)


async def record_ring_result(domain: Domain, *, call_sid: str, step: str, outcome: str) -> RingStep:
    """A ring step ended (Dial action / Enqueue action): answered ends the flow, else the next step."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        call = await session.scalar(select(PhoneCall).where(PhoneCall.call_sid == call_sid).with_for_update())
        if call is None:
            raise UnknownCall(call_sid)
        if call.answered_at is not None or outcome == "hangup":
            return RingStep("hangup")
        if call.routing_step != step:  # a retried callback for a step already left: same answer, no writes
            return await _next_step(session, call, after=step, now=now)
        if outcome in ANSWERED:
            await mark_call_answered(session, call, by=step, now=now)
            following = RingStep("hangup")
        else:
            following = await _next_step(session, call, after=step, now=now)
            await _enter(session, call, following, now)
    return following
