"""A lead's appointments as the lead page shows them: when (office time), where, status, and the PMS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Appointment, Location, PmsConnection

STATUS_WORDS = {
    "booked": "booked",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
    "no_show": "no-show",
    "completed": "completed",
}
PMS_WORDS = {
    "pending": ("pending in PMS", "pending-pms"),
    "synced": ("in the PMS", "ok"),
    "failed": ("the PMS refused it", "off"),
}
"""How the PMS state reads beside an appointment, and its badge (amber while pending)."""


@dataclass(frozen=True)
class AppointmentLine:
    when: str
    office: str
    status: str
    pms: str
    badge: str
    problem: str | None = None


async def appointment_lines(
    session: AsyncSession, lead_id: uuid.UUID, practice_id: uuid.UUID
) -> list[AppointmentLine]:
    """The lead's appointments, soonest first (without a PMS taking bookings: "also enter it there")."""
    rows = (
        await session.execute(
            select(Appointment, Location)
            .join(Location, Location.id == Appointment.location_id)
            .where(Appointment.lead_id == lead_id)
            .order_by(Appointment.starts_at)
        )
    ).all()
    connection = await session.get(PmsConnection, practice_id)
    books_into_pms = connection is not None and connection.kind == "fhir" and connection.writable
    lines = []
    for appointment, location in rows:
        local = appointment.starts_at.astimezone(ZoneInfo(location.time_zone))
        words, badge = PMS_WORDS.get(appointment.pms_state or "", ("", ""))
        if not appointment.pms_state and not books_into_pms and appointment.source != "pms":
            words, badge = "also enter it in your PMS", "pending-pms"
        lines.append(
            AppointmentLine(
                when=f"{local:%a %d %b %Y, %H:%M %Z}",
                office=location.name,
                status=STATUS_WORDS.get(appointment.status, appointment.status),
                pms=words,
                badge=badge,
                problem=appointment.pms_error if appointment.pms_state in ("pending", "failed") else None,
            )
        )
    return lines
