"""What a call's callbacks record: status, answer (first contact), recording and transcript.

Callbacks land on the call's interaction (the lead's timeline); a duplicate or late callback changes
nothing. Where an inbound call rings is router/phones/routing.py, click-to-call is
router/phones/click_to_call.py, numbers and phone settings router/phones/numbers.py; the connector
turns them into TwiML.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_event, record_lead_event
from router.core.models import (
    Interaction,
    Lead,
    PhoneCall,
)
from router.core.phi_columns import INTERACTION_NOTE
from router.leads.first_contact import record_first_contact
from router.phones.text_back import text_back_missed_call
from router.privacy import audit

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
    async with domain.transaction() as session:
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
            await record_event(
                session,
                kind="lead.call_updated",
                practice_id=call.practice_id,
                location_id=call.location_id,
                lead_id=call.lead_id,
                payload={"call_id": str(call.id), "status": status},
            )
    if missed and call.direction == "inbound" and call.caller_is_new:
        await text_back_missed_call(domain, call.id)
    return CallStatusChange(changed=True, final=final, call_id=call.id, lead_id=call.lead_id)


def _missed_outcome(call: PhoneCall, status: str) -> str:
    if call.direction == "click_to_call":
        # The call's own leg rings the staff member; the patient is dialled only once they pick up.
        return "staff_no_answer" if status in ("no-answer", "busy", "canceled") else "not_connected"
    return "voicemail" if call.recording_sid else "missed"


async def attach_recording(
    domain: Domain, *, call_sid: str, recording_sid: str, recording_url: str, duration: int | None
) -> bool:
    """A recording (voicemail or answered call) on the lead's timeline; the same one twice changes nothing."""
    async with domain.transaction() as session:
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
    async with domain.transaction() as session:
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
                .values(
                    note_enc=domain.cipher.seal(text, column=INTERACTION_NOTE, row_id=call.interaction_id)
                )
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
