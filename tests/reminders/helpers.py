"""Helpers of the reminder tests: a practice with reminders on and approved wording, a booked visit."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import Appointment, NurtureMessage, ReminderSettings
from router.core.phi_columns import NURTURE_BODY
from tests.nurture.support import nurture_practice


async def reminder_practice(
    domain: Domain, *, enabled: bool = True, staff: dict[str, dict[str, Any]] | None = None, **settings: Any
) -> Any:
    """The nurture test practice (phones, approved starter wording) with reminders switched on a week ago."""
    practice = await nurture_practice(domain, treatments=(), staff=staff)
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            ReminderSettings(
                practice_id=practice.practice.id,
                enabled=enabled,
                enabled_at=now - timedelta(days=7) if enabled else None,
                first_enabled_at=now - timedelta(days=7) if enabled else None,
                confirmation=settings.pop("confirmation", True),
                hours_before=settings.pop("hours_before", [48, 2]),
                type_hours=settings.pop("type_hours", {}),
                updated_at=now,
            )
        )
    return practice


async def book(
    domain: Domain, practice: Any, lead_id: uuid.UUID, starts_at: datetime, **fields: Any
) -> uuid.UUID:
    """An appointment as the board's close stores it (router/appointments/booking.py)."""
    appointment_id = uuid.uuid4()
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            Appointment(
                id=appointment_id,
                practice_id=practice.practice.id,
                lead_id=lead_id,
                location_id=practice.locations["downtown"].id,
                starts_at=starts_at,
                status=fields.pop("status", "booked"),
                source=fields.pop("source", "board"),
                created_at=domain.clock.now(),
                **fields,
            )
        )
    return appointment_id


async def reminder_rows(domain: Domain, appointment_id: uuid.UUID) -> list[NurtureMessage]:
    async with domain.sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(NurtureMessage)
                    .where(NurtureMessage.appointment_id == appointment_id)
                    .order_by(NurtureMessage.created_at, NurtureMessage.send_after)
                )
            ).all()
        )


def body_of(domain: Domain, message: NurtureMessage) -> str:
    return domain.cipher.open(message.body_enc, column=NURTURE_BODY, row_id=message.id) or ""


def plan_of(rows: list[NurtureMessage], *, status: str | None = None) -> dict[str, datetime]:
    """kind -> send time of the rows (of one status)."""
    return {
        r.reminder_kind: r.send_after
        for r in rows
        if r.reminder_kind and r.send_after and (status is None or r.status == status)
    }
