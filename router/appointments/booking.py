"""Writing a booking: the one place an appointment row is created from the board, the console or a call.

Callers pass what the person entered; this checks it against the lead's practice (the office and the
provider must be the practice's own, the time in the future and, unless the person confirmed it,
within the office's hours) and adds the row to the caller's transaction, so the close or the
disposition that booked it commits with it or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.records import FreeSlot
from router.core.errors import InvalidFields
from router.core.models import APPOINTMENT_SOURCES, Appointment, Lead, Location, Provider
from router.practices.hours import BusinessHours


@dataclass(frozen=True)
class BookingRequest:
    """What a person booked: an aware start time, the office (the lead's own when not said), a provider."""

    starts_at: datetime
    """Aware, or the wall-clock time at the office (as a person types it) when it has no zone."""
    location_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    outside_hours_confirmed: bool = False
    """The person saw that the time is outside the office's hours and booked it anyway."""
    slot: FreeSlot | None = None
    """The PMS's free slot the person picked (its time is the PMS's: no hours check)."""


def booking_from_form(values: Mapping[str, str]) -> BookingRequest:
    """The booking fields of a close or disposition form; each malformed one is named."""
    errors: dict[str, str] = {}
    raw = (values.get("appointment_at") or "").strip()
    starts_at = None
    slot = _slot(values.get("appointment_slot"), errors)
    if slot is not None:
        starts_at = slot.starts_at
    elif "appointment_slot" in errors:
        pass
    elif not raw:
        errors["appointment_at"] = "Enter the appointment's date and time."
    else:
        try:
            starts_at = datetime.fromisoformat(raw)
        except ValueError:
            errors["appointment_at"] = "Enter the date and time as shown, e.g. 2026-12-08 09:30."
    location_id = _optional_id(values.get("appointment_location"), "appointment_location", errors)
    provider_id = _optional_id(values.get("appointment_provider"), "appointment_provider", errors)
    if errors:
        raise InvalidFields(errors)
    assert starts_at is not None
    return BookingRequest(
        starts_at=starts_at,
        location_id=location_id,
        provider_id=provider_id,
        outside_hours_confirmed=slot is not None
        or values.get("appointment_outside_hours") in {"on", "true", "1", "yes"},
        slot=slot,
    )


def slot_value(slot: FreeSlot) -> str:
    """A free slot as a form option's value: its PMS id, start and end."""
    return (
        f"{slot.pms_id}|{slot.starts_at.isoformat()}|{slot.ends_at.isoformat()}|{slot.provider_pms_id or ''}"
    )


def _slot(value: str | None, errors: dict[str, str]) -> FreeSlot | None:
    if not value:
        return None
    parts = value.split("|")
    try:
        pms_id, start, end, provider = parts
        starts_at, ends_at = datetime.fromisoformat(start), datetime.fromisoformat(end)
        if starts_at.tzinfo is None or not pms_id:
            raise ValueError(value)
    except ValueError:
        errors["appointment_slot"] = "That time is not one of the list's; choose again."
        return None
    return FreeSlot(
        pms_id=pms_id[:64], starts_at=starts_at, ends_at=ends_at, provider_pms_id=provider[:64] or None
    )


def _optional_id(value: str | None, field: str, errors: dict[str, str]) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        errors[field] = "That choice is not one of the list's; choose again."
        return None


async def add_booking(
    session: AsyncSession,
    lead: Lead,
    request: BookingRequest,
    *,
    source: str,
    booked_by_user_id: uuid.UUID | None,
    now: datetime,
) -> Appointment:
    """Add the appointment to the open transaction, or refuse with every bad field named."""
    if source not in APPOINTMENT_SOURCES:
        raise ValueError(f"unknown booking source {source!r}")
    errors: dict[str, str] = {}
    location = await _office(session, lead, request.location_id)
    starts_at = request.starts_at
    if location is None:
        errors["appointment_location"] = "Choose one of the practice's offices."
    elif starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=ZoneInfo(location.time_zone))
    if starts_at.tzinfo is not None and starts_at <= now:
        errors["appointment_at"] = "The appointment time has passed; enter a time in the future."
    if location is not None and not request.outside_hours_confirmed and "appointment_at" not in errors:
        hours = BusinessHours.cached(
            time_zone=location.time_zone,
            business_hours=location.business_hours,
            holidays=location.holidays,
        )
        if not hours.is_open(starts_at):
            errors["appointment_at"] = (
                f"{location.name} is closed at that time. Check the time, or confirm to book it anyway."
            )
    provider_id = request.provider_id
    if provider_id is not None and not await _provider_of(session, lead, provider_id):
        errors["appointment_provider"] = "Choose one of the practice's providers, or leave it empty."
    if provider_id is None and request.slot is not None and request.slot.provider_pms_id:
        provider_id = await session.scalar(
            select(Provider.id).where(
                Provider.practice_id == lead.practice_id, Provider.pms_id == request.slot.provider_pms_id
            )
        )
    if errors:
        raise InvalidFields(errors)
    assert location is not None
    appointment = Appointment(
        id=uuid.uuid4(),
        practice_id=lead.practice_id,
        lead_id=lead.id,
        location_id=location.id,
        starts_at=starts_at,
        provider_id=provider_id,
        status="booked",
        source=source,
        booked_by_user_id=booked_by_user_id,
        created_at=now,
    )
    session.add(appointment)
    return appointment


async def _office(session: AsyncSession, lead: Lead, location_id: uuid.UUID | None) -> Location | None:
    wanted = location_id or lead.location_id
    if wanted is None:
        return None
    return await session.scalar(
        select(Location).where(Location.id == wanted, Location.practice_id == lead.practice_id)
    )


async def _provider_of(session: AsyncSession, lead: Lead, provider_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Provider.id).where(Provider.id == provider_id, Provider.practice_id == lead.practice_id)
    )
    return found is not None


async def appointments_of(session: AsyncSession, lead_id: uuid.UUID) -> list[Appointment]:
    """A lead's appointments, soonest first."""
    rows = await session.scalars(
        select(Appointment).where(Appointment.lead_id == lead_id).order_by(Appointment.starts_at)
    )
    return list(rows)


@dataclass(frozen=True)
class Choice:
    """One option of a booking form's list: an office or a provider."""

    id: uuid.UUID
    name: str


async def booking_choices(
    session: AsyncSession, practice_id: uuid.UUID
) -> tuple[tuple[Choice, ...], tuple[Choice, ...]]:
    """The practice's open offices and its providers, by name, for a booking form."""
    offices = await session.execute(
        select(Location.id, Location.name)
        .where(Location.practice_id == practice_id, Location.is_active.is_(True))
        .order_by(Location.name)
    )
    providers = await session.execute(
        select(Provider.id, Provider.name).where(Provider.practice_id == practice_id).order_by(Provider.name)
    )
    return tuple(Choice(*row) for row in offices), tuple(Choice(*row) for row in providers)
