"""Open leads' contact deadlines after an office's hours, time zone or closures change.

A lead waiting for first contact has its deadline computed from the office's hours when it
arrived; when the hours change, the deadline is computed again from the same arrival under the new
hours (an escalated lead keeps its escalation: it already happened). `deadline_changes` says which
leads would move (the screen shows how many before saving), `apply_deadline_changes` writes them
with a `lead.deadline_changed` event each, so the boards' countdowns move too.

Escalation jobs: a job for the old deadline that fires after it moved later finds the lead "not
due" and does nothing; the new deadline is then escalated by the sweeper (every 30 s), because the
job id `escalate:<lead>:1` is taken until the old job has run. A deadline moved earlier is
scheduled at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import Lead, Location
from router.practices.settings import PracticeSettings
from router.practices.sla import contact_deadline


@dataclass(frozen=True)
class OfficeHours:
    """An office's hours as an edit proposes them (the SLA clock reads exactly these three)."""

    time_zone: str
    business_hours: dict[str, Any]
    holidays: list[Any]


@dataclass(frozen=True)
class DeadlineChange:
    lead_id: uuid.UUID
    old_due: datetime
    new_due: datetime
    new_start: datetime


async def _waiting(session: AsyncSession, location_id: uuid.UUID, *, lock: bool) -> list[Lead]:
    query = select(Lead).where(
        Lead.location_id == location_id,
        Lead.status == "open",
        Lead.first_contact_at.is_(None),
        Lead.escalation_level == 0,
        Lead.sla_due_at.is_not(None),
    )
    if lock:
        query = query.with_for_update()
    return list((await session.scalars(query.order_by(Lead.received_at))).all())


async def deadline_changes(
    session: AsyncSession,
    location_id: uuid.UUID,
    hours: OfficeHours,
    settings: PracticeSettings,
    *,
    lock: bool = False,
) -> list[DeadlineChange]:
    """The waiting leads of the office whose deadline the proposed hours would move."""
    proposed = Location(
        time_zone=hours.time_zone, business_hours=hours.business_hours, holidays=list(hours.holidays)
    )
    moved = []
    for lead in await _waiting(session, location_id, lock=lock):
        assert lead.sla_due_at is not None
        deadline = contact_deadline(lead.received_at, proposed, settings)
        if deadline.due_at != lead.sla_due_at:
            moved.append(DeadlineChange(lead.id, lead.sla_due_at, deadline.due_at, deadline.started_at))
    return moved


async def apply_deadline_changes(session: AsyncSession, changes: list[DeadlineChange]) -> None:
    """Write the new deadlines with an event per lead (in the caller's transaction)."""
    for change in changes:
        lead = await session.get(Lead, change.lead_id)
        assert lead is not None
        lead.sla_due_at = change.new_due
        lead.sla_started_at = change.new_start
    for change in changes:
        lead = await session.get(Lead, change.lead_id)
        assert lead is not None
        await record_lead_event(session, lead, "lead.deadline_changed")


async def schedule_moved_deadlines(domain: Domain, changes: list[DeadlineChange]) -> None:
    """After commit: escalation jobs for the new deadlines (see the module's note on later ones)."""
    for change in changes:
        await domain.jobs.schedule_escalation(change.lead_id, level=1, at=change.new_due)
