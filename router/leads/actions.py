"""The board's named actions: each one transaction of change, audit record and domain event (last).

Events are announced only after the transaction commits, so a hub never reads an event whose
change it cannot see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.booking import BookingRequest, add_booking
from router.appointments.pms_booking import write_booking
from router.core.domain import Domain
from router.core.errors import ActionRefused, InvalidChoice, InvalidFields, LeadNotFound, NotPermitted
from router.core.events import record_lead_event
from router.core.models import (
    CLOSE_REASONS,
    FunnelEvent,
    Interaction,
    Lead,
    StaffLocation,
    StaffUser,
)
from router.core.phi_columns import INTERACTION_NOTE
from router.leads.first_contact import record_first_contact
from router.privacy import audit
from router.privacy.access import Viewer, may_do, require

ATTEMPT_OUTCOMES = ("no_answer", "voicemail_left")
CONTACT_CHANNELS = ("phone", "sms", "email", "in_person")
NOTE_LIMIT = 2000
"""Characters of a contact note: a few paragraphs; longer text belongs in the practice's PMS."""


@dataclass(frozen=True)
class ActionResult:
    """What an action committed: the lead it touched and the event boards receive."""

    lead_id: uuid.UUID | None
    event_id: int


def _choose(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InvalidChoice(f"{what} must be one of: {', '.join(choices)}")
    return value


async def lead_for_update(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, action: str) -> Lead:
    """The lead, locked until commit, if the viewer's role allows `action` and the lead is theirs.

    The role is checked before anything is read, so a refused action writes nothing.
    """
    require(viewer, action)
    lead = await session.scalar(
        select(Lead).where(Lead.id == lead_id, viewer.work_filter()).with_for_update()
    )
    if lead is None:
        raise LeadNotFound("That lead is not on your board.")
    return lead


def _require_open(lead: Lead) -> None:
    if lead.status != "open":
        raise ActionRefused(f"This lead is already closed ({(lead.close_reason or '').replace('_', ' ')}).")


async def claim_lead(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> ActionResult:
    """Take a lead; one conditional UPDATE decides, so of many simultaneous claims exactly one wins."""
    require(viewer, "lead.claim")
    now = domain.clock.now()
    async with domain.transaction() as session:
        won = (
            await session.execute(
                update(Lead)
                .where(
                    Lead.id == lead_id,
                    viewer.work_filter(),
                    Lead.status == "open",
                    Lead.claimed_by_user_id.is_(None),
                )
                .values(claimed_by_user_id=viewer.user_id, claimed_at=now, last_activity_at=now)
                .returning(Lead.id, Lead.practice_id, Lead.location_id)
            )
        ).first()
        if won is None:
            await _refuse_claim(session, viewer, lead_id)
        audit.record(session, actor=actor, action="lead.claim", practice_id=won.practice_id, lead_id=won.id)
        event_id = await record_lead_event(session, won, "lead.claimed", {"user_id": str(viewer.user_id)})
    return ActionResult(lead_id, event_id)


async def _refuse_claim(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> NoReturn:
    """Say why a claim lost: who has the lead, or that it is closed or not visible."""
    row = (
        await session.execute(
            select(Lead.status, Lead.claimed_by_user_id, StaffUser.display_name)
            .outerjoin(StaffUser, StaffUser.id == Lead.claimed_by_user_id)
            .where(Lead.id == lead_id, viewer.work_filter())
        )
    ).first()
    if row is None:
        raise LeadNotFound("That lead is not on your board.")
    status, holder_id, holder_name = row
    if status != "open":
        raise ActionRefused("This lead is already closed.")
    if holder_id == viewer.user_id:
        raise ActionRefused("You have already claimed this lead.")
    raise ActionRefused(f"{holder_name or 'Someone else'} has already claimed this lead.")


async def release_lead(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> ActionResult:
    """Give a claimed lead back to the queue (its claimer, or a manager)."""
    async with domain.transaction() as session:
        lead = await lead_for_update(session, viewer, lead_id, "lead.release")
        _require_open(lead)
        if lead.claimed_by_user_id is None:
            raise ActionRefused("Nobody has claimed this lead.")
        if lead.claimed_by_user_id != viewer.user_id and not may_do(viewer, "lead.release_any"):
            raise NotPermitted("Only the person who claimed a lead, or a manager, can release it.")
        previous = lead.claimed_by_user_id
        lead.claimed_by_user_id = None
        lead.claimed_at = None
        lead.last_activity_at = domain.clock.now()
        details = {"previous_user_id": str(previous), "reason": "released"}
        audit.record(
            session,
            actor=actor,
            action="lead.release",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details=details,
        )
        event_id = await record_lead_event(session, lead, "lead.released", details)
    return ActionResult(lead_id, event_id)


async def log_contact_attempt(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, outcome: str, actor: audit.Actor
) -> ActionResult:
    """Record a try that did not reach the person; the SLA clock keeps running."""
    _choose(outcome, ATTEMPT_OUTCOMES, "the outcome")
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await lead_for_update(session, viewer, lead_id, "lead.log_attempt")
        _require_open(lead)
        lead.last_activity_at = now
        session.add(
            _interaction(lead, viewer, kind="contact_attempt", channel="phone", outcome=outcome, at=now)
        )
        audit.record(
            session,
            actor=actor,
            action="lead.contact_attempt",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"outcome": outcome},
        )
        event_id = await record_lead_event(session, lead, "lead.contact_logged", {"outcome": outcome})
    return ActionResult(lead_id, event_id)


async def log_contact_made(
    domain: Domain,
    viewer: Viewer,
    lead_id: uuid.UUID,
    *,
    channel: str,
    note: str | None = None,
    actor: audit.Actor,
) -> ActionResult:
    """Record reaching the person: the first one stops the SLA clock and moves the lead to "contacted"."""
    _choose(channel, CONTACT_CHANNELS, "the channel")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_LIMIT:
        raise InvalidChoice(f"A note can be at most {NOTE_LIMIT} characters.")
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await lead_for_update(session, viewer, lead_id, "lead.log_contact")
        _require_open(lead)
        first = await record_first_contact(
            session, lead, now, "board", user_id=viewer.user_id, actor=actor.id
        )
        interaction = _interaction(
            lead, viewer, kind="contact_made", channel=channel, outcome="reached", at=now
        )
        interaction.note_enc = domain.cipher.seal(note, column=INTERACTION_NOTE, row_id=interaction.id)
        session.add(interaction)
        audit.record(
            session,
            actor=actor,
            action="lead.contact",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"channel": channel, "first": first, "note": bool(note)},
        )
        event_id = await record_lead_event(
            session, lead, "lead.contacted", {"channel": channel, "first": first}
        )
    return ActionResult(lead_id, event_id)


async def close_lead(
    domain: Domain,
    viewer: Viewer,
    lead_id: uuid.UUID,
    *,
    reason: str,
    actor: audit.Actor,
    booking: BookingRequest | None = None,
) -> ActionResult:
    """Close a lead with a reason. "Appointment booked" needs the appointment, stored as its own row;
    it also counts as contact and a funnel stage."""
    _choose(reason, CLOSE_REASONS, "the reason")
    if reason == "appointment_booked" and booking is None:
        raise InvalidFields({"appointment_at": "Enter the appointment's date and time."})
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await lead_for_update(session, viewer, lead_id, "lead.close")
        _require_open(lead)
        lead.status = "closed"
        lead.close_reason = reason
        lead.closed_at = now
        lead.last_activity_at = now
        details: dict[str, str] = {"reason": reason}
        if reason == "appointment_booked":
            assert booking is not None
            appointment = await add_booking(
                session, lead, booking, source="board", booked_by_user_id=viewer.user_id, now=now
            )
            await write_booking(domain, session, lead, appointment, slot=booking.slot)
            details["appointment_id"] = str(appointment.id)
            if appointment.pms_state:
                details["pms_state"] = appointment.pms_state
            await record_first_contact(session, lead, now, "booking", user_id=viewer.user_id, actor=actor.id)
            lead.stage = "appointment_scheduled"
            session.add(_funnel(lead, "appointment_scheduled", now, actor))
        session.add(_interaction(lead, viewer, kind="closed", channel=None, outcome=reason, at=now))
        audit.record(
            session,
            actor=actor,
            action="lead.close",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details=details,
        )
        event_id = await record_lead_event(session, lead, "lead.closed", details)
    return ActionResult(lead_id, event_id)


async def reassign_lead(
    domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, to_user_id: uuid.UUID, actor: audit.Actor
) -> ActionResult:
    """A manager hands a lead to someone at its location; a claim by anyone else ends."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await lead_for_update(session, viewer, lead_id, "lead.reassign")
        _require_open(lead)
        works_there = await session.scalar(
            select(StaffUser.id)
            .join(StaffLocation, StaffLocation.user_id == StaffUser.id)
            .where(
                StaffUser.id == to_user_id,
                StaffUser.is_active.is_(True),
                StaffLocation.location_id == lead.location_id,
            )
        )
        if works_there is None:
            raise InvalidChoice("That person does not work at this lead's location.")
        previous = lead.assigned_user_id
        lead.assigned_user_id = to_user_id
        lead.assigned_at = now
        lead.last_activity_at = now
        if lead.claimed_by_user_id not in (None, to_user_id):
            lead.claimed_by_user_id = None
            lead.claimed_at = None
        details = {"user_id": str(to_user_id), "previous_user_id": str(previous) if previous else None}
        audit.record(
            session,
            actor=actor,
            action="lead.reassign",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details=details,
        )
        event_id = await record_lead_event(
            session, lead, "lead.assigned", {**details, "by": str(viewer.user_id)}
        )
    return ActionResult(lead_id, event_id)


def _interaction(
    lead: Lead, viewer: Viewer, *, kind: str, channel: str | None, outcome: str, at: datetime
) -> Interaction:
    return Interaction(
        id=uuid.uuid4(),
        lead_id=lead.id,
        practice_id=lead.practice_id,
        kind=kind,
        channel=channel,
        outcome=outcome,
        user_id=viewer.user_id,
        occurred_at=at,
        details={},
    )


def _funnel(lead: Lead, stage: str, at: datetime, actor: audit.Actor) -> FunnelEvent:
    return FunnelEvent(
        practice_id=lead.practice_id, lead_id=lead.id, stage=stage, occurred_at=at, actor=actor.id
    )
