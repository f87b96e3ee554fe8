"""Schedule alerts in the text inbox: a patient asked to cancel or move a visit, until someone handles it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import ActionRefused
from router.core.events import record_lead_event
from router.core.models import Appointment, Lead, Location, ScheduleAlert
from router.privacy import audit
from router.privacy.access import Viewer, require
from router.reminders.inbound import alert_words


@dataclass(frozen=True)
class AlertLine:
    """One open alert as the inbox shows it ("Wants to reschedule Tue 3 Mar 10:00 CST")."""

    id: uuid.UUID
    words: str
    meaning: str
    received_at: datetime


async def open_alerts(
    session: AsyncSession, lead_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[AlertLine]]:
    """The unhandled cancel and reschedule alerts of these leads, oldest first."""
    ids = list(lead_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ScheduleAlert, Location.time_zone)
        .join(Appointment, Appointment.id == ScheduleAlert.appointment_id)
        .join(Location, Location.id == Appointment.location_id)
        .where(
            ScheduleAlert.lead_id.in_(ids),
            ScheduleAlert.handled_at.is_(None),
            ScheduleAlert.meaning.in_(("cancel", "reschedule")),
        )
        .order_by(ScheduleAlert.created_at)
    )
    found: dict[uuid.UUID, list[AlertLine]] = {}
    for alert, zone in rows:
        found.setdefault(alert.lead_id, []).append(
            AlertLine(
                alert.id,
                alert_words(alert.meaning, alert.appointment_at, zone),
                alert.meaning,
                alert.created_at,
            )
        )
    return found


async def mark_handled(
    domain: Domain, viewer: Viewer, alert_id: uuid.UUID, *, actor: audit.Actor
) -> uuid.UUID:
    """Someone dealt with the patient's request (moved or cancelled the visit): the alert leaves the inbox."""
    require(viewer, "texts.inbox")
    now = domain.clock.now()
    async with domain.transaction() as session:
        alert = await session.get(ScheduleAlert, alert_id, with_for_update=True)
        lead = await session.get(Lead, alert.lead_id) if alert is not None else None
        if alert is None or lead is None or not viewer.may_see(lead):
            raise ActionRefused("No such schedule alert in your offices.")
        if alert.handled_at is None:
            alert.handled_at, alert.handled_by_user_id = now, viewer.user_id
            audit.record(
                session,
                actor=actor,
                action="reminders.alert_handled",
                practice_id=lead.practice_id,
                lead_id=lead.id,
                details={"alert_id": str(alert.id), "meaning": alert.meaning},
            )
            await record_lead_event(session, lead, "lead.texts_read", {"user_id": str(viewer.user_id)})
    return lead.id
