"""A lead's timeline: touchpoints, funnel stages, interactions, escalations and events, oldest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.views import AppointmentLine, appointment_lines
from router.core.domain import Domain
from router.core.models import (
    DomainEvent,
    FunnelEvent,
    Interaction,
    Lead,
    ManagerAlert,
    StaffUser,
    Touchpoint,
)
from router.leads.views import LeadView, get_lead
from router.privacy import audit
from router.privacy.access import Viewer
from router.scores.score_notes import ScoreNote, score_note


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to the lead (codes and names of staff only; the lead's PHI is in `lead`)."""

    at: datetime
    kind: str
    """touchpoint, stage, interaction, escalation or event."""
    title: str
    detail: str = ""


@dataclass(frozen=True)
class LeadTimeline:
    lead: LeadView
    first_contact_source: str | None
    first_contact_business_seconds: int | None
    entries: list[TimelineEntry] = field(default_factory=list)
    score_note: ScoreNote | None = None
    """Which model scored the lead, and whether its score is provisional (the pooled model's)."""
    appointments: list[AppointmentLine] = field(default_factory=list)


async def lead_timeline(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> LeadTimeline | None:
    """The lead's history if the viewer may see the lead (the read is audited by `get_lead`)."""
    lead = await get_lead(session, domain, viewer, lead_id, actor=actor)
    if lead is None:
        return None
    row = await session.get(Lead, lead_id)
    assert row is not None
    entries: list[TimelineEntry] = []
    for touchpoint in await session.scalars(select(Touchpoint).where(Touchpoint.lead_id == lead_id)):
        source = " / ".join(filter(None, [touchpoint.utm_source, touchpoint.utm_campaign]))
        entries.append(
            TimelineEntry(
                touchpoint.occurred_at, "touchpoint", f"{touchpoint.kind} via {touchpoint.channel}", source
            )
        )
    for stage in await session.scalars(select(FunnelEvent).where(FunnelEvent.lead_id == lead_id)):
        entries.append(TimelineEntry(stage.occurred_at, "stage", f"stage: {stage.stage.replace('_', ' ')}"))
    interactions = await session.execute(
        select(Interaction, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == Interaction.user_id)
        .where(Interaction.lead_id == lead_id)
    )
    for interaction, staff_name in interactions:
        title = " ".join(filter(None, [interaction.kind.replace("_", " "), interaction.channel]))
        detail = " · ".join(filter(None, [interaction.outcome, staff_name]))
        entries.append(TimelineEntry(interaction.occurred_at, "interaction", title, detail))
    for alert in await session.scalars(select(ManagerAlert).where(ManagerAlert.lead_id == lead_id)):
        sent = ", ".join(f"{d['channel']}: {d['status'].replace('_', ' ')}" for d in alert.deliveries)
        entries.append(
            TimelineEntry(alert.created_at, "escalation", f"escalated to level {alert.level}", sent)
        )
    for event in await session.scalars(select(DomainEvent).where(DomainEvent.lead_id == lead_id)):
        entries.append(TimelineEntry(event.created_at, "event", event.kind))
    entries.sort(key=lambda entry: entry.at)
    note = (
        await score_note(session, domain, row.practice_id, row.score_version) if row.score_version else None
    )
    appointments = await appointment_lines(session, lead_id, row.practice_id)
    return LeadTimeline(
        lead, row.first_contact_source, row.first_contact_business_seconds, entries, note, appointments
    )
