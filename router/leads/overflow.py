"""The overflow agents' console: one queue across the call center's practices, dispositions, hand-back.

An agent sees exactly the escalated or overflowed open leads of the practices their call center
serves (`Viewer.lead_filter`), oldest first and, at the same age, highest score first. Claiming is
the board's atomic claim (router.actions.claim_lead). Every read and write is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from router.appointments.booking import BookingRequest, add_booking
from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidChoice, InvalidFields, LeadNotFound, NotPermitted
from router.core.events import record_lead_event
from router.core.models import FunnelEvent, Interaction, Lead, Location, Practice, StaffUser
from router.core.phi_columns import (
    INTERACTION_NOTE,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
)
from router.leads.actions import ActionResult, claim_lead
from router.leads.call_backs import (
    DueCallBack,
    add_call_back,
    call_back_time,
    due_call_back_at,
    due_call_backs,
    finish_call_backs,
    waiting_for_call_back,
)
from router.leads.first_contact import record_first_contact
from router.privacy import audit
from router.privacy.access import Viewer, may_do

DISPOSITIONS = ("booked", "call_back", "not_interested", "wrong_number", "no_answer")
"""What an agent's call came to, in the agents' words."""
SPOKE_WITH_LEAD = ("booked", "call_back", "not_interested")
"""Dispositions that mean the agent reached the person: the lead's first contact if none yet."""
QUEUE_SIZE = 200
"""Most leads one console shows; a call center with more waiting needs more agents, not a longer page."""


@dataclass(frozen=True)
class OverflowLead:
    """One row of the agents' queue (PHI decrypted for an agent allowed to see it)."""

    id: uuid.UUID
    practice_name: str
    location_name: str | None
    name: str
    phone: str | None
    source_kind: str
    source_channel: str
    treatment_interest: str | None
    score: int | None
    score_reasons: tuple[str, ...]
    received_at: datetime
    escalation_level: int
    claimed_by_user_id: uuid.UUID | None
    claimed_by: str | None
    practice_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    time_zone: str | None = None
    """The patient's (the office's) zone: the console shows their local time and takes call-backs in it."""
    call_back_due_at: datetime | None = None
    """A call-back of an agent that has fallen due: the lead is back at the top with its note."""
    call_back_note: str | None = None


def _name(domain: Domain, lead: Lead) -> str:
    first = domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    last = domain.cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
    return " ".join(p for p in (first, last) if p) or "Caller (no name yet)"


def _queue_query(viewer: Viewer, now: datetime):  # type: ignore[no-untyped-def]
    """Call-backs that fell due first (earliest due first), then oldest, then highest score; a lead
    whose call-back is not due yet waits outside the queue."""
    claimer = aliased(StaffUser)
    call_back_due = due_call_back_at()
    return (
        select(
            Lead,
            Practice.name,
            Location.name,
            claimer.display_name,
            func.coalesce(Location.time_zone, Practice.time_zone),
            call_back_due,
        )
        .join(Practice, Practice.id == Lead.practice_id)
        .outerjoin(Location, Location.id == Lead.location_id)
        .outerjoin(claimer, claimer.id == Lead.claimed_by_user_id)
        .where(viewer.work_filter(), Lead.status == "open", ~waiting_for_call_back(now))
        .order_by(
            call_back_due.asc().nulls_last(), Lead.received_at.asc(), Lead.score.desc().nulls_last(), Lead.id
        )
    )


def _require_agent(viewer: Viewer) -> None:
    """Refuse before anything is read or written: the console is for overflow agents."""
    if not may_do(viewer, "overflow.work"):
        raise NotPermitted("The overflow console is for overflow agents.")


async def claim_from_queue(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> ActionResult:
    """An agent takes a lead from the queue: the board's atomic claim, after the console's role check."""
    _require_agent(viewer)
    return await claim_lead(domain, viewer, lead_id, actor=actor)


async def load_overflow_queue(
    session: AsyncSession, domain: Domain, viewer: Viewer, *, actor: audit.Actor
) -> list[OverflowLead]:
    """The agent's queue, every lead's read audited."""
    _require_agent(viewer)
    rows = (await session.execute(_queue_query(viewer, domain.clock.now()).limit(QUEUE_SIZE))).all()
    notes = await due_call_backs(session, domain, [row[0].id for row in rows if row[5] is not None])
    queue = [_row(domain, row, notes) for row in rows]
    for row in queue:
        audit.record_read(session, actor=actor, practice_id=None, lead_id=row.id, via="overflow")
    return queue


async def load_queue_lead(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> OverflowLead:
    """One lead of the agent's queue (its read audited); the page adds its activity stream."""
    _require_agent(viewer)
    query = _queue_query(viewer, domain.clock.now()).where(Lead.id == lead_id)
    row = (await session.execute(query)).first()
    if row is None:
        raise LeadNotFound("That lead is not in your overflow queue.")
    lead = row[0]
    notes = await due_call_backs(session, domain, [lead.id])
    audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via="overflow")
    return _row(domain, row, notes)


def _row(domain: Domain, row, notes: dict[uuid.UUID, DueCallBack]) -> OverflowLead:  # type: ignore[no-untyped-def]
    lead, practice_name, location_name, claimer, time_zone, _ = row
    call_back = notes.get(lead.id)
    return OverflowLead(
        id=lead.id,
        practice_name=practice_name,
        location_name=location_name,
        name=_name(domain, lead),
        phone=domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id),
        source_kind=lead.source_kind,
        source_channel=lead.source_channel,
        treatment_interest=lead.treatment_interest,
        score=lead.score,
        score_reasons=tuple(lead.score_reasons or ()),
        received_at=lead.received_at,
        escalation_level=lead.escalation_level,
        claimed_by_user_id=lead.claimed_by_user_id,
        claimed_by=claimer,
        practice_id=lead.practice_id,
        location_id=lead.location_id,
        time_zone=time_zone,
        call_back_due_at=call_back.due_at if call_back else None,
        call_back_note=call_back.note if call_back else None,
    )


async def _claimed_lead(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> Lead:
    lead = await session.scalar(
        select(Lead).where(Lead.id == lead_id, viewer.work_filter()).with_for_update()
    )
    if lead is None:
        raise LeadNotFound("That lead is not in your overflow queue.")
    if lead.status != "open":
        raise ActionRefused("This lead is already closed.")
    if lead.claimed_by_user_id != viewer.user_id:
        raise ActionRefused("Claim the lead before working it.")
    return lead


async def record_disposition(
    domain: Domain,
    viewer: Viewer,
    lead_id: uuid.UUID,
    *,
    disposition: str,
    note: str | None,
    call_back_at: str | None,
    actor: audit.Actor,
    booking: BookingRequest | None = None,
) -> int:
    """What the agent's call came to. Reaching the person is first contact. "Booked" stores the
    appointment, closes the lead and hands it back in one step; "call back" (a time in the patient's
    zone) becomes a task that brings the lead back when it falls due."""
    _require_agent(viewer)
    if disposition not in DISPOSITIONS:
        raise InvalidChoice(f"Disposition must be one of {', '.join(DISPOSITIONS)}.")
    if disposition == "booked" and booking is None:
        raise InvalidFields({"appointment_at": "Enter the appointment's date and time."})
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await _claimed_lead(session, viewer, lead_id)
        due_at = None
        if disposition == "call_back":
            due_at = call_back_time(call_back_at, await _time_zone(session, lead), now)
        await finish_call_backs(session, lead.id, now)
        outcome = _interaction(domain, lead, viewer, "disposition", disposition, note, now)
        outcome.details = {"call_back_at": due_at.isoformat() if due_at else None, "by": "overflow"}
        session.add(outcome)
        if disposition in SPOKE_WITH_LEAD:
            source = "booking" if disposition == "booked" else "call"
            await record_first_contact(session, lead, now, source, user_id=viewer.user_id, actor=actor.id)
        if due_at is not None:
            await session.flush([outcome])
            add_call_back(
                session, lead, due_at=due_at, interaction_id=outcome.id, user_id=viewer.user_id, now=now
            )
            lead.claimed_by_user_id, lead.claimed_at = None, None  # back to the queue when due, for anyone
        lead.last_activity_at = now
        audit.record(
            session,
            actor=actor,
            action="lead.disposition",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"disposition": disposition},
        )
        if disposition == "booked":
            assert booking is not None
            await _book_close_and_hand_back(
                session, domain, lead, viewer, booking, note, now=now, actor=actor
            )
        kind = "lead.closed" if disposition == "booked" else "lead.disposition"
        event = await record_lead_event(
            session,
            lead,
            kind,
            {"disposition": disposition, "user_id": str(viewer.user_id), "by": "overflow"},
        )
    return event


async def _time_zone(session: AsyncSession, lead: Lead) -> str:
    """The patient's zone: their office's (the practice's when the lead has no office)."""
    zone = await session.scalar(select(Location.time_zone).where(Location.id == lead.location_id))
    return zone or str(
        await session.scalar(select(Practice.time_zone).where(Practice.id == lead.practice_id))
    )


def _interaction(
    domain: Domain, lead: Lead, viewer: Viewer, kind: str, outcome: str, note: str | None, now: datetime
) -> Interaction:
    interaction_id = uuid.uuid4()
    return Interaction(
        id=interaction_id,
        lead_id=lead.id,
        practice_id=lead.practice_id,
        kind=kind,
        channel="phone" if kind == "disposition" else None,
        outcome=outcome,
        user_id=viewer.user_id,
        note_enc=domain.cipher.seal(
            (note or "").strip() or None, column=INTERACTION_NOTE, row_id=interaction_id
        ),
        occurred_at=now,
        details={"by": "overflow"},
    )


async def _book_close_and_hand_back(
    session: AsyncSession,
    domain: Domain,
    lead: Lead,
    viewer: Viewer,
    booking: BookingRequest,
    note: str | None,
    *,
    now: datetime,
    actor: audit.Actor,
) -> None:
    """The appointment row, the close ("appointment booked") and the hand-back with the agent's note."""
    appointment = await add_booking(
        session, lead, booking, source="overflow", booked_by_user_id=viewer.user_id, now=now
    )
    if lead.stage in ("lead", "contacted"):
        lead.stage = "appointment_scheduled"
        session.add(
            FunnelEvent(
                practice_id=lead.practice_id,
                lead_id=lead.id,
                stage=lead.stage,
                occurred_at=now,
                actor=actor.id,
            )
        )
    lead.status, lead.close_reason, lead.closed_at = "closed", "appointment_booked", now
    lead.overflow, lead.claimed_by_user_id, lead.claimed_at = False, None, None
    session.add(_interaction(domain, lead, viewer, "closed", "appointment_booked", None, now))
    session.add(_interaction(domain, lead, viewer, "handback", "handed_back", note or "Booked", now))
    details = {"reason": "appointment_booked", "appointment_id": str(appointment.id)}
    audit.record(
        session,
        actor=actor,
        action="lead.close",
        practice_id=lead.practice_id,
        lead_id=lead.id,
        details=details,
    )
    audit.record(session, actor=actor, action="lead.hand_back", practice_id=lead.practice_id, lead_id=lead.id)


async def hand_back(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, note: str, actor: audit.Actor
) -> int:
    """Return the lead to the practice's board with the agent's note; it leaves the overflow queue."""
    _require_agent(viewer)
    if not note.strip():
        raise InvalidFields({"note": "Write a note for the practice: what happened, what they should do."})
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await _claimed_lead(session, viewer, lead_id)
        await finish_call_backs(session, lead.id, now)
        lead.overflow, lead.claimed_by_user_id, lead.claimed_at, lead.last_activity_at = (
            False,
            None,
            None,
            now,
        )
        session.add(_interaction(domain, lead, viewer, "handback", "handed_back", note, now))
        audit.record(
            session, actor=actor, action="lead.hand_back", practice_id=lead.practice_id, lead_id=lead.id
        )
        event = await record_lead_event(session, lead, "lead.handed_back", {"user_id": str(viewer.user_id)})
    return event
