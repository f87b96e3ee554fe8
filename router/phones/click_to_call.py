"""Click-to-call from the board: ring the staff member's phone, then bridge to the lead.

The lead sees the practice's number, never the staff member's. Twilio fetches what to do once the
staff member answers from our signed bridge callback, which reads the lead's number here (audited).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from router.core.domain import Domain
from router.core.errors import PhoneActionRefused
from router.core.events import record_lead_event
from router.core.models import Interaction, Lead, PhoneCall, StaffUser
from router.core.phi_columns import LEAD_PHONE
from router.core.ports import PhoneGatewayError, PortNotConfigured
from router.phones.calls import ANSWERED, CALL_STATUS_ORDER, mark_call_answered
from router.phones.numbers import DEFAULT_RING_SECONDS, practice_number
from router.privacy import audit
from router.privacy.access import Viewer, require


@dataclass(frozen=True)
class Bridge:
    """What Twilio does once the staff member picks up: dial the lead showing the practice's number."""

    lead_phone: str
    caller_id: str
    timeout_seconds: int = DEFAULT_RING_SECONDS


async def call_lead(domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor) -> uuid.UUID:
    """Start a click-to-call; the attempt is on the lead's timeline at once, its outcome by callback."""
    require(viewer, "lead.call")
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await session.scalar(select(Lead).where(Lead.id == lead_id, viewer.work_filter()))
        staff = await session.get(StaffUser, viewer.user_id)
        if lead is None:
            raise PhoneActionRefused("no such lead in your scope")
        if staff is None or not staff.phone:
            raise PhoneActionRefused("add your phone number to your profile to call from the board")
        if lead.phone_enc is None:
            raise PhoneActionRefused("this lead has no phone number")
        caller_id = await practice_number(session, lead.practice_id, lead.location_id)
        if caller_id is None:
            raise PhoneActionRefused("the practice has no Twilio number to call from")
        interaction = Interaction(
            id=uuid.uuid4(),
            lead_id=lead.id,
            practice_id=lead.practice_id,
            kind="call",
            channel="phone",
            outcome="dialing",
            user_id=staff.id,
            occurred_at=now,
            details={"direction": "outbound"},
        )
        session.add(interaction)
        await session.flush([interaction])
        call = PhoneCall(
            id=uuid.uuid4(),
            practice_id=lead.practice_id,
            lead_id=lead.id,
            location_id=lead.location_id,
            interaction_id=interaction.id,
            staff_user_id=staff.id,
            direction="click_to_call",
            status="queued",
            status_rank=CALL_STATUS_ORDER["queued"],
            routing_step="click_to_call",
            created_at=now,
            updated_at=now,
        )
        session.add(call)
        lead.last_activity_at = now
        audit.record(
            session,
            actor=actor,
            action="lead.call",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"call_id": str(call.id)},
        )
        await record_lead_event(
            session, lead, "lead.contact_logged", {"channel": "phone", "call_id": str(call.id)}
        )
    try:
        call_sid = await domain.phones.start_call(from_number=caller_id, to=staff.phone, call_id=call.id)
    except (PhoneGatewayError, PortNotConfigured) as exc:
        await _call_failed(domain, call, str(exc))
        raise PhoneActionRefused(f"the call could not be started: {exc}") from exc
    async with domain.transaction() as session:
        await session.execute(
            update(PhoneCall)
            .where(PhoneCall.id == call.id, PhoneCall.call_sid.is_(None))
            .values(call_sid=call_sid)
        )
    return call.id


async def _call_failed(domain: Domain, call: PhoneCall, reason: str) -> None:
    async with domain.transaction() as session:
        await session.execute(
            update(PhoneCall).where(PhoneCall.id == call.id).values(status="failed", status_rank=4)
        )
        await session.execute(
            update(Interaction)
            .where(Interaction.id == call.interaction_id)
            .values(outcome="failed", details={"direction": "outbound", "error": reason[:200]})
        )


async def bridge_for(domain: Domain, call_id: uuid.UUID) -> Bridge | None:
    """The lead's number for Twilio to dial (a read of PHI by the integration, audited)."""
    async with domain.transaction() as session:
        call = await session.get(PhoneCall, call_id)
        lead = await session.get(Lead, call.lead_id) if call and call.lead_id else None
        if call is None or lead is None or call.direction != "click_to_call":
            return None
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
        caller_id = await practice_number(session, lead.practice_id, lead.location_id)
        if not phone or not caller_id:
            return None
        audit.record(
            session,
            actor=audit.Actor("integration", "twilio"),
            action="lead.read",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"via": "click_to_call_bridge", "call_id": str(call.id)},
        )
    return Bridge(lead_phone=phone, caller_id=caller_id)


async def record_bridge_result(domain: Domain, call_id: uuid.UUID, *, outcome: str) -> bool:
    """The lead answered (first contact, by this staff member) or did not; a repeat changes nothing."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        call = await session.get(PhoneCall, call_id, with_for_update=True)
        if call is None or call.answered_at is not None or outcome not in ANSWERED:
            return False
        await mark_call_answered(session, call, by="click_to_call", now=now)
    return True
