"""How an appointment's place in the practice's PMS reads beside it on the lead page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Appointment, Lead, PmsConnection

PMS_WORDS = {
    "pending": ("pending in PMS", "pending-pms"),
    "synced": ("in the PMS", "ok"),
    "failed": ("the PMS refused it", "off"),
}
"""Each PMS state's words and badge colour (amber while pending, as on the settings screen)."""


@dataclass(frozen=True)
class PmsBadge:
    words: str
    tone: str
    problem: str | None = None
    """Why the last write failed, in the PMS's words (no PHI), while it is pending or refused."""


async def practice_books_into_pms(session: AsyncSession, lead_id: uuid.UUID) -> bool:
    """Whether the lead's practice books straight into its PMS (a writable FHIR connection)."""
    connection = await session.scalar(
        select(PmsConnection)
        .join(Lead, Lead.practice_id == PmsConnection.practice_id)
        .where(Lead.id == lead_id)
    )
    return connection is not None and connection.kind == "fhir" and connection.writable


def pms_badge(appointment: Appointment, *, books_into_pms: bool) -> PmsBadge | None:
    """The badge beside an appointment; without a PMS taking bookings, a reminder to enter it there."""
    if appointment.pms_state in PMS_WORDS:
        words, tone = PMS_WORDS[appointment.pms_state]
        problem = appointment.pms_error if appointment.pms_state != "synced" else None
        return PmsBadge(words, tone, problem)
    if appointment.source != "pms" and not books_into_pms and appointment.status in ("booked", "confirmed"):
        return PmsBadge("also enter it in your PMS", "pending-pms")
    return None
