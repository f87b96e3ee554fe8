"""Follow-up calls left undone: past the practice's working-hours limit, managers are alerted once.

"Working hours" are the office's business hours (an office open around the clock counts wall time),
so a call that fell due on Friday evening is not overdue on Saturday morning. The alert goes the way
a lead's level-2 escalation goes (router/leads/alerts.py): to the managers on call by text and email,
else to the fallback contact, sent at least once under a lease. It is sent once per task: the task's
`escalated_at` is set under its row lock in the transaction that writes the alert, and
`manager_alerts` allows one alert per call task.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import Lead, Location, ManagerAlert, NurtureCallTask, NurtureSettings, Practice
from router.leads.alerts import (
    ALERT_SEND_LEASE,
    has_pending,
    managers_on_call,
    planned_deliveries,
    send_alert,
)
from router.leads.escalation import lead_link
from router.nurture.call_tasks import FOLLOW_UP_CALL_EVENT
from router.practices.alert_wording import CALL_OVERDUE, alert_text
from router.practices.settings import PracticeSettings
from router.practices.sla import location_hours
from router.privacy import audit

log = logging.getLogger("leadrouter.nurture")

DEFAULT_ESCALATE_HOURS = 4
"""Half a working day: a call a sequence asked for that nobody made by then needs a manager's eye."""
CALL_ALERT_LEVEL = 2
"""Sent like a lead's level-2 alert (texts and emails to the managers on call)."""
SWEEP_BATCH = 200
"""Candidate tasks looked at per run; more means an outage or a long closure, and the next run continues."""
ESCALATION_ACTOR = audit.Actor.system("nurture")


async def escalate_overdue_call_tasks(domain: Domain, *, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """Alert managers about every open call task overdue by more than its practice's working hours."""
    now = domain.clock.now()
    hours = func.coalesce(NurtureSettings.call_task_escalate_hours, DEFAULT_ESCALATE_HOURS)
    async with domain.sessionmaker() as session:
        candidates = (
            await session.scalars(
                select(NurtureCallTask.id)
                .outerjoin(NurtureSettings, NurtureSettings.practice_id == NurtureCallTask.practice_id)
                .where(
                    NurtureCallTask.status == "open",
                    NurtureCallTask.escalated_at.is_(None),
                    # wall time is at least business time: a cheap first cut, the exact check follows
                    NurtureCallTask.due_at + func.make_interval(0, 0, 0, 0, hours) <= now,
                )
                .order_by(NurtureCallTask.due_at)
                .limit(limit)
            )
        ).all()
    escalated = 0
    for task_id in candidates:
        escalated += await escalate_call_task(domain, task_id) is not None
    return {"candidates": len(candidates), "escalated": escalated}


def working_time_overdue(task: NurtureCallTask, location: Location | None, now: datetime) -> timedelta:
    """How long the task has waited in the office's business hours (wall time when it has none)."""
    hours = location_hours(location) if location is not None else None
    return hours.business_time_between(task.due_at, now) if hours else now - task.due_at


async def escalate_call_task(domain: Domain, task_id: uuid.UUID) -> uuid.UUID | None:
    """Alert the managers about one overdue task, once; returns the alert's id (None: not now)."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        task = await session.get(NurtureCallTask, task_id, with_for_update=True, populate_existing=True)
        if task is None or task.status != "open" or task.escalated_at is not None:
            return None
        lead = await session.get(Lead, task.lead_id)
        settings = await session.get(NurtureSettings, task.practice_id)
        limit = timedelta(hours=settings.call_task_escalate_hours if settings else DEFAULT_ESCALATE_HOURS)
        location = await session.get(Location, task.location_id) if task.location_id else None
        waited = working_time_overdue(task, location, now)
        if lead is None or waited < limit:
            return None
        task.escalated_at = now
        alert = await _alert(session, domain, task, lead, location, waited, now)
        audit.record(
            session,
            actor=ESCALATION_ACTOR,
            action="nurture.call_task_escalate",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details={"task_id": str(task.id), "alert_id": str(alert.id)},
        )
        await record_lead_event(
            session, lead, FOLLOW_UP_CALL_EVENT, {"task_id": str(task.id), "escalated": True}
        )
    if has_pending(alert.deliveries):
        await send_alert(domain, alert.id)
    return alert.id


async def _alert(
    session: AsyncSession,
    domain: Domain,
    task: NurtureCallTask,
    lead: Lead,
    location: Location | None,
    waited: timedelta,
    now: datetime,
) -> ManagerAlert:
    practice = await session.get(Practice, lead.practice_id)
    assert practice is not None
    settings = PracticeSettings.from_json(practice.settings)
    managers = await managers_on_call(
        session,
        practice_id=lead.practice_id,
        location=location,
        time_zone=practice.time_zone,
        settings=settings,
        now=now,
    )
    deliveries = planned_deliveries(managers, settings)
    if not managers:
        log.warning("call task %s: no manager on call for its overdue alert", task.id)
    message = await alert_text(
        session,
        practice.id,
        CALL_OVERDUE,
        {
            "hours": str(int(waited.total_seconds() // 3600)),
            "location_name": location.name if location else practice.name,
            "link": lead_link(domain, lead.id),
        },
    )
    alert = ManagerAlert(
        id=uuid.uuid4(),
        practice_id=lead.practice_id,
        location_id=task.location_id,
        lead_id=lead.id,
        level=CALL_ALERT_LEVEL,
        call_task_id=task.id,
        message=message.body,
        deliveries=deliveries,
        send_lease_until=now + ALERT_SEND_LEASE if has_pending(deliveries) else None,
        created_at=now,
    )
    session.add(alert)
    return alert


async def escalate_overdue_call_tasks_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's cadence for overdue follow-up calls (router/schedule.py)."""
    return await escalate_overdue_call_tasks(ctx["domain"])
