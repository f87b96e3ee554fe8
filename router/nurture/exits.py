"""Leaving a sequence: booking from any channel, opt-out, the lead closed, a staff member's stop.

`booked` is the one place that decides whether a lead has booked: an appointment row (the board's
close form, the overflow console, a call, the PMS sync and online booking all write one), the lead
closed as booked, or a funnel stage at or past "appointment scheduled".
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Appointment,
    FunnelEvent,
    Lead,
    NurtureCallTask,
    NurtureEnrolment,
    NurtureMessage,
)

BOOKED_STAGES = (
    "appointment_scheduled",
    "appointment_completed",
    "treatment_accepted",
    "treatment_completed",
)
EXIT_WORDS = {
    "booked": "Booked an appointment",
    "existing_patient": "Already a patient of the practice",
    "closed": "Lead closed",
    "opted_out": "Opted out",
    "stopped": "Stopped by staff",
    "no_contact": "No way to reach them",
}


async def booked(session: AsyncSession, lead: Lead) -> bool:
    """Whether the lead has booked, through any channel."""
    if lead.close_reason == "appointment_booked" or lead.stage in BOOKED_STAGES:
        return True
    appointment = exists().where(Appointment.lead_id == lead.id, Appointment.status != "cancelled")
    stage = exists().where(FunnelEvent.lead_id == lead.id, FunnelEvent.stage.in_(BOOKED_STAGES))
    return bool(await session.scalar(select(or_(appointment, stage))))


async def exit_reason(session: AsyncSession, lead: Lead | None) -> str | None:
    """Why the lead must leave its sequence now, or None to stay."""
    if lead is None:
        return "closed"
    if await booked(session, lead):
        return "booked"
    if lead.status != "open":
        return "closed"
    return None


async def end_enrolment(
    session: AsyncSession, enrolment: NurtureEnrolment, reason: str, now: datetime
) -> int:
    """Exit the enrolment and cancel what it had queued (finishing cancels nothing); returns the
    messages cancelled.

    The caller holds the enrolment's row lock, as the sender does when it claims a message, so a
    queued message is either cancelled here or already on its way, never both.
    """
    enrolment.status = "finished" if reason == "finished" else "exited"
    enrolment.exit_reason = None if reason == "finished" else reason
    enrolment.ended_at = now
    enrolment.next_due_at = None
    if reason == "finished":  # the last step's message and call still go ahead
        return 0
    cancelled = await session.execute(
        update(NurtureMessage)
        .where(
            NurtureMessage.enrolment_id == enrolment.id,
            NurtureMessage.status.in_(("queued", "held")),
        )
        .values(status="cancelled", detail=EXIT_WORDS.get(reason, reason), send_after=None)
    )
    await session.execute(
        update(NurtureCallTask)
        .where(NurtureCallTask.enrolment_id == enrolment.id, NurtureCallTask.status == "open")
        .values(status="cancelled")
    )
    return cancelled.rowcount or 0  # type: ignore[attr-defined]


async def locked_enrolment(session: AsyncSession, enrolment_id: uuid.UUID) -> NurtureEnrolment | None:
    return await session.scalar(
        select(NurtureEnrolment).where(NurtureEnrolment.id == enrolment_id).with_for_update()
    )


async def stop_for_lead(session: AsyncSession, lead_id: uuid.UUID, reason: str, now: datetime) -> bool:
    """End the lead's current sequence (staff stop, opt-out); False when it was in none."""
    enrolment = await session.scalar(
        select(NurtureEnrolment)
        .where(NurtureEnrolment.lead_id == lead_id, NurtureEnrolment.status.in_(("active", "paused")))
        .with_for_update()
    )
    if enrolment is None:
        return False
    await end_enrolment(session, enrolment, reason, now)
    return True


async def sweep_exits(domain: Domain, *, limit: int = 500) -> int:
    """Exit active or paused enrolments whose lead booked or closed since the last tick.

    Sending checks `exit_reason` itself, so this sweep only keeps the counts and call tasks honest
    between steps (a lead who booked on the phone has no call task waiting).
    """
    now = domain.clock.now()
    ended = 0
    async with domain.sessionmaker() as session, session.begin():
        rows = (
            await session.execute(
                select(NurtureEnrolment, Lead)
                .join(Lead, Lead.id == NurtureEnrolment.lead_id)
                .where(
                    NurtureEnrolment.status.in_(("active", "paused")),
                    or_(
                        Lead.status != "open",
                        Lead.stage.in_(BOOKED_STAGES),
                        exists().where(Appointment.lead_id == Lead.id, Appointment.status != "cancelled"),
                    ),
                )
                .limit(limit)
                .with_for_update(of=NurtureEnrolment, skip_locked=True)
            )
        ).all()
        for enrolment, lead in rows:
            reason = await exit_reason(session, lead)
            if reason is not None:
                await end_enrolment(session, enrolment, reason, now)
                ended += 1
    return ended
