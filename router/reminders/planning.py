"""Planning each booked appointment's confirmation and reminders into the outbox, once.

A worker sweep (every 20 s) finds the appointments whose plan is missing or out of date, wherever
they were booked (the board, the overflow console, a PMS sync that found one for a lead): their
`reminders_planned_for` differs from their start. Planning cancels the rows for an old time, writes
the rows for the new one (a unique index makes a second plan of the same time write nothing) and
marks the appointment planned, only if its time did not change meanwhile. The existing sender sends
each row at most once, on its time. Another sweep cancels the waiting reminders of appointments that
were cancelled, missed or completed; the sender itself re-checks the appointment under a share lock
before each send (router/nurture/outbox.py `stale_reminder`), so none goes out for a change already
committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Appointment, Lead, Location, NurtureMessage, Practice, ReminderSettings
from router.nurture.engine import lead_language
from router.phones.quiet_hours import recipient_zones
from router.reminders.compose import patient_channel, reminder_row
from router.reminders.settings import ReminderPlanSettings, plan_settings
from router.reminders.timing import plan_messages

PLAN_BATCH = 200
"""Appointments planned per sweep: a PMS's first sync of thousands spreads over a few minutes."""
LIVE_STATUSES = ("booked", "confirmed")
DUE_FOR_PLANNING = text(
    "appointments.lead_id IS NOT NULL AND appointments.status IN ('booked', 'confirmed') "
    "AND appointments.reminders_planned_for IS DISTINCT FROM appointments.starts_at"
)
"""The partial index's own predicate, as literals, so the planner uses `ix_appointments_reminders_due`."""
WAITING = ("queued", "held")
"""Reminder rows not yet handed to the sender: the ones a cancellation or a move cancels."""


def due_for_planning_query(now: datetime, limit: int) -> Any:
    """The sweep's query (a test reads its plan: it must use the partial index)."""
    return (
        select(Appointment.id)
        .join(ReminderSettings, ReminderSettings.practice_id == Appointment.practice_id)
        .where(ReminderSettings.enabled.is_(True), DUE_FOR_PLANNING, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
        .limit(limit)
    )


async def plan_due_reminders(domain: Domain, *, limit: int = PLAN_BATCH) -> dict[str, int]:
    """Plan every appointment whose plan is missing or out of date; cancel those no longer wanted."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        due = (await session.scalars(due_for_planning_query(now, limit))).all()
    queued: list[tuple[uuid.UUID, datetime]] = []
    for appointment_id in due:
        queued += await plan_appointment(domain, appointment_id)
    for message_id, at in queued:
        await domain.jobs.schedule_nurture_send(message_id, at=at)
    return {"planned": len(due), "messages": len(queued), "cancelled": await cancel_dead_reminders(domain)}


async def plan_appointment(domain: Domain, appointment_id: uuid.UUID) -> list[tuple[uuid.UUID, datetime]]:
    """Plan one appointment in its own transaction; the queued rows come back to be scheduled."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        appointment = await session.get(Appointment, appointment_id)
        if appointment is None or appointment.lead_id is None or appointment.status not in LIVE_STATUSES:
            return []
        settings = plan_settings(await session.get(ReminderSettings, appointment.practice_id))
        planned_for = appointment.starts_at
        await _cancel_for_other_times(session, appointment)
        rows = await _rows(session, domain, appointment, settings, now) if settings.enabled else []
        written = []
        for row in rows:
            inserted = await session.scalar(
                insert(NurtureMessage).values(**row).on_conflict_do_nothing().returning(NurtureMessage.id)
            )
            if inserted is not None and row["status"] == "queued":
                written.append((inserted, row["send_after"]))
        await session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.starts_at == planned_for)
            .values(reminders_planned_for=planned_for)
        )
    return written


async def _cancel_for_other_times(session: AsyncSession, appointment: Appointment) -> None:
    """A moved appointment: its waiting reminders for the old time are cancelled (re-planned after)."""
    await session.execute(
        update(NurtureMessage)
        .where(
            NurtureMessage.appointment_id == appointment.id,
            NurtureMessage.purpose == "reminder",
            NurtureMessage.status.in_(WAITING),
            NurtureMessage.appointment_at != appointment.starts_at,
        )
        .values(status="cancelled", detail="the appointment was moved")
    )


async def _rows(
    session: AsyncSession,
    domain: Domain,
    appointment: Appointment,
    settings: ReminderPlanSettings,
    now: datetime,
) -> list[dict[str, Any]]:
    lead = await session.get(Lead, appointment.lead_id)
    location = await session.get(Location, appointment.location_id)
    practice = await session.get(Practice, appointment.practice_id)
    if lead is None or location is None or practice is None:
        return []
    channel = await patient_channel(session, domain, lead, location.id)
    zones = recipient_zones(
        zip_code=lead.zip,
        phone=channel.recipient if channel.channel == "sms" else None,
        fallback=practice.time_zone,
    )
    plan = plan_messages(
        starts_at=appointment.starts_at,
        booked_at=now,
        office_zone=ZoneInfo(location.time_zone),
        patient_zones=zones,
        offsets=settings.offsets_for(appointment.appointment_type),
    )
    if not await _confirms(session, appointment, settings):
        plan = [p for p in plan if p.kind != "confirmation"]
    language = await lead_language(session, lead)
    return [
        await reminder_row(
            session,
            domain,
            appointment=appointment,
            lead=lead,
            location=location,
            channel=channel,
            language=language,
            planned=planned,
            now=now,
        )
        for planned in plan
    ]


async def _confirms(session: AsyncSession, appointment: Appointment, settings: ReminderPlanSettings) -> bool:
    """A confirmation goes for a booking made (or moved) while reminders were on; appointments already
    in the book when reminders were switched on get only their reminders."""
    if not settings.confirmation:
        return False
    if appointment.reminders_planned_for is not None:
        return True  # moved: the patient hears the new time
    row = await session.get(ReminderSettings, appointment.practice_id)
    return row is None or row.enabled_at is None or appointment.created_at >= row.enabled_at


async def cancel_dead_reminders(domain: Domain) -> int:
    """Waiting reminders of appointments cancelled, missed or completed: cancelled, in one statement."""
    async with domain.sessionmaker() as session, session.begin():
        result = await session.execute(
            update(NurtureMessage)
            .where(
                NurtureMessage.purpose == "reminder",
                NurtureMessage.status.in_(WAITING),
                NurtureMessage.appointment_id.in_(
                    select(Appointment.id).where(Appointment.status.not_in(LIVE_STATUSES))
                ),
            )
            .values(status="cancelled", detail="the appointment was cancelled")
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def plan_reminders_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: plan new and moved appointments' reminders, cancel the dead ones'."""
    return await plan_due_reminders(ctx["domain"])
