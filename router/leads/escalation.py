"""Escalation of leads nobody contacted in time: level 1 at the deadline, level 2 later by SMS and email.

`escalate_lead` is the one named action; the arq job deferred to the deadline and the periodic
sweeper (which catches jobs lost with Redis) both call it. It is idempotent: the lead row is
locked, a level is applied once, and `manager_alerts` has a unique (lead, level) constraint.
Who gets a level-2 alert, and how it is sent at least once, is router/alerts.py.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from arq.worker import Retry
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.db_errors import is_unavailable
from router.core.domain import Domain
from router.core.events import record_lead_event
from router.core.models import Lead, Location, ManagerAlert, Practice
from router.leads.alerts import (
    ALERT_SEND_LEASE,
    has_pending,
    managers_on_call,
    planned_deliveries,
    send_alert,
)
from router.practices.alert_wording import LEVEL_1, LEVEL_2, alert_text
from router.practices.settings import PracticeSettings
from router.practices.sla import level2_due
from router.privacy import audit

log = logging.getLogger("leadrouter.escalation")

ESCALATION_ACTOR = audit.Actor.system("escalation")
LEVELS = (1, 2)
SWEEP_BATCH = 500
"""Overdue leads escalated per sweep; more than this at once means an outage, and the next sweep continues."""
RETRY_DEFER_SECONDS = 5
"""A database failover takes seconds; the job comes back after this rather than failing."""


@dataclass(frozen=True)
class EscalationOutcome:
    """What one call of `escalate_lead` did (the job returns it as a small dict)."""

    lead_id: uuid.UUID
    level: int
    escalated: bool
    reason: str
    """escalated, or why not: missing, closed, contacted, already_escalated, not_due, level_1_first."""
    event_id: int | None = None
    alert_id: uuid.UUID | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": str(self.lead_id),
            "level": self.level,
            "escalated": self.escalated,
            "reason": self.reason,
            "event_id": self.event_id,
            "deliveries": [{"channel": d["channel"], "status": d["status"]} for d in self.deliveries],
        }


def _why_not(lead: Lead | None, level: int, now: datetime) -> str | None:
    """The reason this escalation must not happen now, or None when it must."""
    if lead is None:
        return "missing"
    if lead.status != "open":
        return "closed"
    if lead.first_contact_at is not None:
        return "contacted"
    if lead.escalation_level >= level:
        return "already_escalated"
    if level == 1:
        return "not_due" if lead.sla_due_at is None or lead.sla_due_at > now else None
    if lead.escalation_level < level - 1:
        return "level_1_first"
    return "not_due" if lead.next_escalation_at is None or lead.next_escalation_at > now else None


def lead_link(domain: Domain, lead_id: uuid.UUID) -> str:
    """The lead's timeline page, the only lead detail an alert carries."""
    return f"{domain.settings.intake.public_url.rstrip('/')}/leads/{lead_id}"


async def alert_message(
    session: AsyncSession, domain: Domain, lead: Lead, level: int, location_name: str, now: datetime
) -> str:
    """A manager alert without PHI: how long, where, and a link (the patient is on the page, not here),
    in the practice's approved wording (router/practices/alert_wording.py)."""
    minutes = max(int((now - lead.received_at).total_seconds() // 60), 0)
    text = await alert_text(
        session,
        lead.practice_id,
        LEVEL_1 if level == 1 else LEVEL_2,
        {"minutes": str(minutes), "location_name": location_name, "link": lead_link(domain, lead.id)},
    )
    return text.body


async def escalate_lead(domain: Domain, lead_id: uuid.UUID, level: int) -> EscalationOutcome:
    """Apply escalation `level` to an open, uncontacted, overdue lead once; later calls do nothing."""
    if level not in LEVELS:
        raise ValueError(f"escalation level must be one of {LEVELS}")
    now = domain.clock.now()
    async with domain.transaction() as session:
        lead = await session.get(Lead, lead_id, with_for_update={"key_share": True}, populate_existing=True)
        reason = _why_not(lead, level, now)
        if reason is not None or lead is None:
            return EscalationOutcome(lead_id, level, escalated=False, reason=reason or "missing")
        practice = await session.get(Practice, lead.practice_id)
        assert practice is not None
        settings = PracticeSettings.from_json(practice.settings)
        location = await session.get(Location, lead.location_id) if lead.location_id else None
        lead.escalation_level = level
        lead.last_activity_at = now
        if level == 1:
            deliveries = _enter_overflow(lead, location, settings, now)
        else:
            deliveries = await _plan_manager_alert(session, lead, location, practice, settings, now)
        alert = ManagerAlert(
            id=uuid.uuid4(),
            practice_id=lead.practice_id,
            location_id=lead.location_id,
            lead_id=lead.id,
            level=level,
            message=await alert_message(
                session, domain, lead, level, location.name if location else practice.name, now
            ),
            deliveries=deliveries,
            send_lease_until=now + ALERT_SEND_LEASE if has_pending(deliveries) else None,
            created_at=now,
        )
        session.add(alert)
        details = {"level": level, "alert_id": str(alert.id)}
        audit.record(
            session,
            actor=ESCALATION_ACTOR,
            action="lead.escalate",
            practice_id=lead.practice_id,
            lead_id=lead.id,
            details=details,
        )
        event_id = await record_lead_event(
            session, lead, "lead.escalated", {**details, "overflow": lead.overflow}
        )
        next_at = lead.next_escalation_at
    if level == 1 and next_at is not None:
        await domain.jobs.schedule_escalation(lead_id, level=2, at=next_at)
    if level == 2 and has_pending(deliveries):
        deliveries = await send_alert(domain, alert.id)
    return EscalationOutcome(
        lead_id,
        level,
        escalated=True,
        reason="escalated",
        event_id=event_id,
        alert_id=alert.id,
        deliveries=deliveries,
    )


def _enter_overflow(
    lead: Lead, location: Location | None, settings: PracticeSettings, now: datetime
) -> list[dict[str, Any]]:
    """Level 1: the lead goes to the overflow agents and level 2 is due later; shown in the app only."""
    lead.escalated_at = now
    lead.overflow = True
    lead.next_escalation_at = (
        level2_due(
            sla_due_at=lead.sla_due_at or now,
            sla_started_at=lead.sla_started_at or lead.received_at,
            location=location,
            settings=settings,
        )
        if location is not None
        else (lead.sla_due_at or now) + timedelta(minutes=settings.escalation_level2_minutes)
    )
    return [{"user_id": None, "channel": "in_app", "status": "shown", "detail": ""}]


async def _plan_manager_alert(
    session: AsyncSession,
    lead: Lead,
    location: Location | None,
    practice: Practice,
    settings: PracticeSettings,
    now: datetime,
) -> list[dict[str, Any]]:
    """Level 2: the deliveries of the managers on call (or the fallback contact) to be sent."""
    lead.next_escalation_at = None
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
        log.warning(
            "lead %s: no manager on call for its level-2 alert; %s",
            lead.id,
            "the fallback contact gets it" if has_pending(deliveries) else "no fallback contact is set",
        )
    return deliveries


async def sweep_overdue(domain: Domain, *, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """Escalate every open, uncontacted lead past a due level whose job never ran (Redis lost it)."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        overdue = (
            await session.execute(
                select(Lead.id, Lead.escalation_level)
                .where(
                    Lead.status == "open",
                    Lead.first_contact_at.is_(None),
                    or_(
                        and_(Lead.escalation_level == 0, Lead.sla_due_at <= now),
                        and_(Lead.escalation_level == 1, Lead.next_escalation_at <= now),
                    ),
                )
                .order_by(Lead.sla_due_at)
                .limit(limit)
            )
        ).all()
    escalated = 0
    for lead_id, level in overdue:
        outcome = await escalate_lead(domain, lead_id, level + 1)
        escalated += outcome.escalated
    return {"overdue": len(overdue), "escalated": escalated}


async def escalate_lead_task(ctx: dict[str, Any], lead_id: str, level: int) -> dict[str, Any]:
    """The arq job deferred to a deadline (id `escalate:{lead}:{level}`); returns what it did."""
    try:
        outcome = await escalate_lead(ctx["domain"], uuid.UUID(lead_id), int(level))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("escalation of %s level %s will be retried: %s", lead_id, level, type(exc).__name__)
        raise Retry(defer=RETRY_DEFER_SECONDS) from exc
    return outcome.as_dict()


async def sweep_overdue_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The periodic sweeper (arq cron)."""
    return await sweep_overdue(ctx["domain"])
