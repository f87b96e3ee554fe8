"""The overflow agents' console: one queue across the call center's practices, dispositions, hand-back.

An agent sees exactly the escalated or overflowed open leads of the practices their call center
serves (`Viewer.lead_filter`), oldest first and, at the same age, highest score first. Claiming is
the board's atomic claim (router.actions.claim_lead). Every read and write is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidChoice, LeadNotFound, NotPermitted
from router.core.events import record_lead_event
from router.core.models import FunnelEvent, Interaction, Lead, Location, Practice, StaffUser, Touchpoint
from router.core.phi_columns import (
    INTERACTION_NOTE,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    TOUCHPOINT_MESSAGE,
)
from router.leads.actions import ActionResult, claim_lead
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


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened on the lead: an inquiry, a call, a text, a note."""

    at: datetime
    kind: str
    summary: str
    note: str | None


def _name(domain: Domain, lead: Lead) -> str:
    first = domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    last = domain.cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
    return " ".join(p for p in (first, last) if p) or "Caller (no name yet)"


def _queue_query(viewer: Viewer):  # type: ignore[no-untyped-def]
    claimer = aliased(StaffUser)
    return (
        select(Lead, Practice.name, Location.name, claimer.display_name)
        .join(Practice, Practice.id == Lead.practice_id)
        .outerjoin(Location, Location.id == Lead.location_id)
        .outerjoin(claimer, claimer.id == Lead.claimed_by_user_id)
        .where(viewer.work_filter(), Lead.status == "open")
        .order_by(Lead.received_at.asc(), Lead.score.desc().nulls_last(), Lead.id)
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
    rows = (await session.execute(_queue_query(viewer).limit(QUEUE_SIZE))).all()
    queue = [_row(domain, row) for row in rows]
    for row in queue:
        audit.record_read(session, actor=actor, practice_id=None, lead_id=row.id, via="overflow")
    return queue


async def load_timeline(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> tuple[OverflowLead, list[TimelineEntry]]:
    """One lead's context for the agent: the queue row and its timeline, oldest first (audited)."""
    _require_agent(viewer)
    row = (await session.execute(_queue_query(viewer).where(Lead.id == lead_id))).first()
    if row is None:
        raise LeadNotFound("That lead is not in your overflow queue.")
    lead = row[0]
    touchpoints = (await session.scalars(select(Touchpoint).where(Touchpoint.lead_id == lead_id))).all()
    interactions = (await session.scalars(select(Interaction).where(Interaction.lead_id == lead_id))).all()
    open_ = domain.cipher.open
    timeline = [
        TimelineEntry(
            t.occurred_at,
            "inquiry",
            f"{t.kind} via {t.channel}",
            open_(t.message_enc, column=TOUCHPOINT_MESSAGE, row_id=t.id),
        )
        for t in touchpoints
    ] + [
        TimelineEntry(
            i.occurred_at,
            i.kind,
            " ".join(p for p in (i.channel, i.outcome, _duration(i)) if p),
            open_(i.note_enc, column=INTERACTION_NOTE, row_id=i.id),
        )
        for i in interactions
    ]
    timeline.sort(key=lambda entry: entry.at)
    audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via="overflow")
    return _row(domain, row), timeline


def _row(domain: Domain, row) -> OverflowLead:  # type: ignore[no-untyped-def]
    lead, practice_name, location_name, claimer = row
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
    )


def _duration(interaction: Interaction) -> str | None:
    seconds = (interaction.details or {}).get("duration_seconds")
    return f"{seconds} s" if seconds else None


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
    call_back_at: datetime | None,
    actor: audit.Actor,
) -> int:
    """What the agent's call came to; reaching the person is first contact, a booking moves the funnel."""
    _require_agent(viewer)
    _check_disposition(disposition, call_back_at)
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await _claimed_lead(session, viewer, lead_id)
        note_id = uuid.uuid4()
        session.add(
            Interaction(
                id=note_id,
                lead_id=lead.id,
                practice_id=lead.practice_id,
                kind="disposition",
                channel="phone",
                outcome=disposition,
                user_id=viewer.user_id,
                note_enc=domain.cipher.seal(note or None, column=INTERACTION_NOTE, row_id=note_id),
                occurred_at=now,
                details={
                    "call_back_at": call_back_at.isoformat() if call_back_at else None,
                    "by": "overflow",
                },
            )
        )
        if disposition in SPOKE_WITH_LEAD:
            await record_first_contact(
                session,
                lead,
                now,
                "booking" if disposition == "booked" else "call",
                user_id=viewer.user_id,
                actor=actor.id,
            )
        if disposition == "booked" and lead.stage in ("lead", "contacted"):
            _booked(session, lead, now, actor)
        lead.last_activity_at = now
        audit.record(
            session,
            actor=actor,
            action="lead.disposition",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"disposition": disposition},
        )
        event = await record_lead_event(
            session, lead, "lead.disposition", {"disposition": disposition, "user_id": str(viewer.user_id)}
        )
    return event


def _check_disposition(disposition: str, call_back_at: datetime | None) -> None:
    if disposition not in DISPOSITIONS:
        raise InvalidChoice(f"Disposition must be one of {', '.join(DISPOSITIONS)}.")
    if disposition == "call_back" and call_back_at is None:
        raise InvalidChoice("Say when to call back.")


def _booked(session: AsyncSession, lead: Lead, now: datetime, actor: audit.Actor) -> None:
    """The agent booked the appointment: the lead moves on in the funnel."""
    lead.stage = "appointment_scheduled"
    session.add(
        FunnelEvent(
            practice_id=lead.practice_id, lead_id=lead.id, stage=lead.stage, occurred_at=now, actor=actor.id
        )
    )


async def hand_back(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, note: str, actor: audit.Actor
) -> int:
    """Return the lead to the practice's board with the agent's note; it leaves the overflow queue."""
    _require_agent(viewer)
    if not note.strip():
        raise InvalidChoice("Write a note for the practice.")
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await _claimed_lead(session, viewer, lead_id)
        lead.overflow, lead.claimed_by_user_id, lead.claimed_at, lead.last_activity_at = (
            False,
            None,
            None,
            now,
        )
        note_id = uuid.uuid4()
        session.add(
            Interaction(
                id=note_id,
                lead_id=lead.id,
                practice_id=lead.practice_id,
                kind="handback",
                channel=None,
                outcome="handed_back",
                user_id=viewer.user_id,
                note_enc=domain.cipher.seal(note.strip(), column=INTERACTION_NOTE, row_id=note_id),
                occurred_at=now,
                details={"by": "overflow"},
            )
        )
        audit.record(
            session, actor=actor, action="lead.hand_back", practice_id=lead.practice_id, lead_id=lead.id
        )
        event = await record_lead_event(session, lead, "lead.handed_back", {"user_id": str(viewer.user_id)})
    return event
