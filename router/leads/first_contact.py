"""First contact with a lead: the moment the SLA clock stops, with both figures managers read."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import FunnelEvent, Lead, Location
from router.practices.sla import sla_elapsed

FIRST_CONTACT_SOURCES = ("board", "call", "sms_reply", "booking")
"""What counts as contact: a contact made on the board, an answered call, the lead's SMS reply, a booking."""


async def record_first_contact(
    session: AsyncSession,
    lead: Lead,
    at: datetime,
    source: str,
    *,
    user_id: uuid.UUID | None = None,
    actor: str = "system",
) -> bool:
    """The one writer of first contact: stop the SLA clock at `at` if it is the earliest contact.

    Every path that reaches a patient (board contact, answered or outbound call, SMS reply, booking,
    overflow disposition) calls this inside its transaction with the lead loaded FOR UPDATE. It sets
    the time, the business-hours seconds, the source and the user, clears the next escalation and
    moves a new lead to the "contacted" stage with its funnel event; True when this was the first.
    The caller writes its own interaction and domain event. Escalation jobs still fire later and do
    nothing, because `escalate_lead` skips contacted leads.
    """
    if source not in FIRST_CONTACT_SOURCES:
        raise ValueError(f"first contact source must be one of {', '.join(FIRST_CONTACT_SOURCES)}")
    if lead.last_activity_at is None or lead.last_activity_at < at:
        lead.last_activity_at = at
    if lead.first_contact_at is not None and lead.first_contact_at <= at:
        return False
    if lead.first_contact_at is None and lead.stage == "lead":
        lead.stage = "contacted"
        session.add(
            FunnelEvent(
                practice_id=lead.practice_id, lead_id=lead.id, stage="contacted", occurred_at=at, actor=actor
            )
        )
    location = await session.get(Location, lead.location_id) if lead.location_id else None
    lead.first_contact_at = at
    lead.first_contact_source = source
    lead.first_contact_user_id = user_id
    lead.next_escalation_at = None
    if location is None:
        elapsed = max(at - lead.received_at, timedelta(0))
    else:
        elapsed = sla_elapsed(
            received_at=lead.received_at,
            sla_started_at=lead.sla_started_at or lead.received_at,
            until=at,
            location=location,
        )
    lead.first_contact_business_seconds = int(elapsed.total_seconds())
    return True
