"""Staff call tasks: what a sequence asks a person to do instead of (or after) automated messages.

A task is written when its step falls due, with a `lead.follow_up_call` event, so the lead's card on
the live board shows it (router/board/card_marks.py) with a Done button; this module lists the ones
due at a location and marks one done. Overdue ones alert managers: router/nurture/call_escalation.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import NotFound
from router.core.events import record_lead_event
from router.core.models import Lead, NurtureCallTask
from router.leads.actions import lead_for_update
from router.nurture.exits import stop_for_lead
from router.privacy import audit
from router.privacy.access import Viewer, may_do

FOLLOW_UP_CALL_EVENT = "lead.follow_up_call"
"""Rings the boards when a call task appears, is done or is escalated (the card shows or drops it)."""
OVERDUE_AFTER_MINUTES = 30
"""A call task is overdue half an hour after it fell due (the board shows it in red, with the word)."""


@dataclass(frozen=True)
class DueCall:
    task_id: uuid.UUID
    lead_id: uuid.UUID
    location_id: uuid.UUID | None
    due_at: datetime
    overdue: bool
    treatment: str | None
    score: int | None


async def due_call_tasks(session: AsyncSession, location_id: uuid.UUID, now: datetime) -> list[DueCall]:
    """Open call tasks at the location that are due now or earlier, oldest first (one index scan)."""
    rows = (
        await session.execute(
            select(NurtureCallTask, Lead.treatment_interest, Lead.score)
            .join(Lead, Lead.id == NurtureCallTask.lead_id)
            .where(
                NurtureCallTask.location_id == location_id,
                NurtureCallTask.status == "open",
                NurtureCallTask.due_at <= now,
            )
            .order_by(NurtureCallTask.due_at)
        )
    ).all()
    return [_due(task, treatment, score, now) for task, treatment, score in rows]


def _due(task: NurtureCallTask, treatment: str | None, score: int | None, now: datetime) -> DueCall:
    late = (now - task.due_at).total_seconds() > OVERDUE_AFTER_MINUTES * 60
    return DueCall(task.id, task.lead_id, task.location_id, task.due_at, late, treatment, score)


async def due_for_viewer(session: AsyncSession, viewer: Viewer, now: datetime) -> list[DueCall]:
    """Due call tasks of every lead the viewer may see."""
    rows = (
        await session.execute(
            select(NurtureCallTask, Lead.treatment_interest, Lead.score)
            .join(Lead, Lead.id == NurtureCallTask.lead_id)
            .where(NurtureCallTask.status == "open", NurtureCallTask.due_at <= now, viewer.lead_filter())
            .order_by(NurtureCallTask.due_at)
            .limit(200)
        )
    ).all()
    return [_due(task, treatment, score, now) for task, treatment, score in rows]


async def complete_call_task(
    domain: Domain, viewer: Viewer, task_id: uuid.UUID, *, actor: audit.Actor
) -> None:
    """The call was made: the task leaves the lists (a second click changes nothing)."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        task = await session.get(NurtureCallTask, task_id, with_for_update=True)
        lead = await session.get(Lead, task.lead_id) if task else None
        if task is None or lead is None or not may_do(viewer, "lead.log_attempt", lead):
            raise NotFound("No such call task in your scope.")
        if task.status != "open":
            return
        task.status, task.done_by_user_id, task.done_at = "done", viewer.user_id, now
        audit.record(
            session,
            actor=actor,
            action="nurture.call_task_done",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"task_id": str(task.id)},
        )
        await record_lead_event(session, lead, FOLLOW_UP_CALL_EVENT, {"task_id": str(task.id), "done": True})


async def stop_follow_up(domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor) -> bool:
    """A staff member stops the lead's sequence; what it had queued is cancelled (False: it was in none)."""
    async with domain.sessionmaker() as session, session.begin():
        lead = await lead_for_update(session, viewer, lead_id, "lead.close")
        stopped = await stop_for_lead(session, lead.id, "stopped", domain.clock.now())
        if stopped:
            audit.record(
                session, actor=actor, action="nurture.stop", practice_id=lead.practice_id, lead_id=lead.id
            )
    return stopped
