"""Applying an appointment as the PMS reports it: new visits, and status changes that reach the lead.

A visit the PMS cancelled, marked as a no-show or completed leaves a note on its lead's timeline and
rings the lead's board; a completed visit also moves the lead's funnel stage. A cancelled visit that
was the lead's only live one moves its stage back from "scheduled" (to contacted, else inquired): the
funnel counts the lead as cancelled, and a lead closed as booked says so in the note. A change seen
twice (same PMS version) does nothing the second time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.patients import aware, linked_lead_of
from router.appointments.records import AppointmentRecord
from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import (
    FUNNEL_STAGES,
    Appointment,
    FunnelEvent,
    Interaction,
    Lead,
    Location,
    Patient,
    Provider,
)
from router.core.phi_columns import INTERACTION_NOTE

STAGE_BACK_WORDS = {"contacted": "contacted", "lead": "inquired"}
"""The stage a lead whose only booking was cancelled goes back to, as the note says it."""

STATUS_WORDS = {
    "booked": "booked",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
    "no_show": "a no-show",
    "completed": "completed",
}
"""How a status reads in a note on the lead."""


@dataclass(frozen=True)
class AppointmentApplied:
    changed: bool
    event_id: int | None = None
    problem: str | None = None


async def apply_appointment(
    domain: Domain, session: AsyncSession, practice_id: uuid.UUID, record: AppointmentRecord, *, now: datetime
) -> AppointmentApplied:
    """Insert or update the appointment; the patient must already be stored (the caller fetches it)."""
    row = await _existing(session, practice_id, record)
    if row is not None and row.pms_version == record.version and row.pms_id == record.pms_id:
        return AppointmentApplied(changed=False)
    patient_id = None
    if record.patient_pms_id:
        patient_id = await session.scalar(
            select(Patient.id).where(
                Patient.practice_id == practice_id, Patient.pms_id == record.patient_pms_id
            )
        )
    location = await _location(session, practice_id, record, row)
    if location is None:
        return AppointmentApplied(
            changed=False, problem="the practice has no office to file the visit under."
        )
    provider_id = None
    if record.provider_pms_id:
        provider_id = await session.scalar(
            select(Provider.id).where(
                Provider.practice_id == practice_id, Provider.pms_id == record.provider_pms_id
            )
        )
    starts_at = aware(record.starts_at, location.time_zone)
    assert starts_at is not None
    previous_status = row.status if row is not None else None
    status = _status_after(row, record.status, starts_at)
    if row is None:
        lead_id = await linked_lead_of(session, patient_id) if patient_id else None
        row = Appointment(
            id=uuid.uuid4(),
            practice_id=practice_id,
            lead_id=lead_id,
            source="pms",
            created_at=now,
            pms_attempts=0,
        )
        session.add(row)
    row.pms_id, row.pms_version, row.pms_state, row.pms_error = record.pms_id, record.version, "synced", None
    if previous_status in ("cancelled", "no_show") and status in ("booked", "confirmed"):
        row.reminders_planned_for = None  # booked again: its reminders were cancelled, plan anew
    row.status, row.starts_at, row.location_id = status, starts_at, location.id
    row.provider_id = provider_id or row.provider_id
    row.patient_id = patient_id or row.patient_id
    row.appointment_type = record.appointment_type or row.appointment_type
    row.updated_at = now
    await session.flush()
    event_id = None
    if row.lead_id is not None and previous_status != status and status != "booked":
        event_id = await _tell_the_lead(domain, session, row, location, now=now)
    return AppointmentApplied(changed=True, event_id=event_id)


def _status_after(row: Appointment | None, status: str, starts_at: datetime) -> str:
    """The PMS's status, except that a visit the patient confirmed with us (a reminder reply) stays
    confirmed while a PMS that cannot store confirmations still says booked for the same time."""
    unmoved = row is not None and row.status == "confirmed" and row.starts_at == starts_at
    return "confirmed" if unmoved and status == "booked" else status


async def _existing(
    session: AsyncSession, practice_id: uuid.UUID, record: AppointmentRecord
) -> Appointment | None:
    row = await session.scalar(
        select(Appointment)
        .where(Appointment.practice_id == practice_id, Appointment.pms_id == record.pms_id)
        .with_for_update()
    )
    if row is None and record.product_id:
        try:
            ours = uuid.UUID(record.product_id)
        except ValueError:
            return None
        row = await session.scalar(
            select(Appointment)
            .where(Appointment.practice_id == practice_id, Appointment.id == ours)
            .with_for_update()
        )
    return row


async def _location(
    session: AsyncSession, practice_id: uuid.UUID, record: AppointmentRecord, row: Appointment | None
) -> Location | None:
    """The office the PMS names; else the row's own; else the practice's first open office."""
    if record.location_pms_id:
        found = await session.scalar(
            select(Location).where(
                Location.practice_id == practice_id, Location.pms_id == record.location_pms_id
            )
        )
        if found is not None:
            return found
    if row is not None and row.location_id is not None:
        return await session.get(Location, row.location_id)
    return await session.scalar(
        select(Location)
        .where(Location.practice_id == practice_id)
        .order_by(Location.is_active.desc(), Location.name)
        .limit(1)
    )


async def _tell_the_lead(
    domain: Domain, session: AsyncSession, appointment: Appointment, location: Location, *, now: datetime
) -> int | None:
    """A note on the lead, its funnel stage for a completed visit, and a domain event for its board."""
    lead = await session.get(Lead, appointment.lead_id, with_for_update=True)
    if lead is None:
        return None
    local = appointment.starts_at.astimezone(ZoneInfo(location.time_zone))
    note = (
        f"The practice-management system marked the appointment on {local:%a %d %b %Y %H:%M %Z} at "
        f"{location.name} as {STATUS_WORDS.get(appointment.status, appointment.status)}."
    )
    if appointment.status == "cancelled" and await _step_back(session, lead, appointment, now=now):
        note += (
            f" The lead was closed as booked; it now counts as cancelled in the funnel (back to "
            f"{STAGE_BACK_WORDS[lead.stage]}). Book again from the lead if the patient still wants a visit."
            if lead.close_reason == "appointment_booked"
            else f" Its funnel stage is back to {STAGE_BACK_WORDS[lead.stage]}."
        )
    note_id = uuid.uuid4()
    session.add(
        Interaction(
            id=note_id,
            lead_id=lead.id,
            practice_id=lead.practice_id,
            kind="pms_update",
            channel=None,
            outcome=appointment.status,
            user_id=None,
            note_enc=domain.cipher.seal(note, column=INTERACTION_NOTE, row_id=note_id),
            occurred_at=now,
            details={"appointment_id": str(appointment.id), "by": "pms"},
        )
    )
    if appointment.status == "completed" and FUNNEL_STAGES.index(lead.stage) < FUNNEL_STAGES.index(
        "appointment_completed"
    ):
        lead.stage = "appointment_completed"
        session.add(
            FunnelEvent(
                practice_id=lead.practice_id, lead_id=lead.id, stage=lead.stage, occurred_at=now, actor="pms"
            )
        )
    lead.last_activity_at = max(lead.last_activity_at, now)
    return await record_lead_event(
        session,
        lead,
        "lead.appointment_changed",
        {"appointment_id": str(appointment.id), "status": appointment.status},
    )


async def _step_back(session: AsyncSession, lead: Lead, cancelled: Appointment, *, now: datetime) -> bool:
    """Move a lead at "scheduled" back when this was its only live appointment; True when moved."""
    if lead.stage != "appointment_scheduled":
        return False
    another = await session.scalar(
        select(Appointment.id)
        .where(
            Appointment.lead_id == lead.id,
            Appointment.id != cancelled.id,
            Appointment.status != "cancelled",
        )
        .limit(1)
    )
    if another is not None:
        return False
    lead.stage = "contacted" if lead.first_contact_at is not None else "lead"
    session.add(
        FunnelEvent(
            practice_id=lead.practice_id,
            lead_id=lead.id,
            stage="appointment_cancelled",
            occurred_at=now,
            actor="pms",
        )
    )
    return True
