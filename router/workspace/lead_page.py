"""The lead page's content: contact details, message, score and reasons, the journey, consent, and
the activity stream; only for a viewer who may see the lead, the read audited once per page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.patients import is_existing_patient
from router.core.domain import Domain
from router.core.models import CallBackTask, ConsentRecord, Lead, Location, Practice, Touchpoint
from router.core.words import words
from router.leads.views import LeadView, get_lead
from router.phones.texts import opted_out
from router.privacy import audit
from router.privacy.access import Viewer
from router.scores.score_notes import ScoreNote, score_note
from router.workspace.activity import ActivityEntry, activity_stream


@dataclass(frozen=True)
class JourneyStep:
    """One touchpoint of the person's way to the practice (no PHI: codes, campaign names, pages)."""

    at: datetime
    title: str
    campaign: str | None
    landing_page: str | None
    referrer: str | None
    pages_visited: int | None
    time_on_site_seconds: int | None
    device: str | None


@dataclass(frozen=True)
class ConsentLine:
    at: datetime
    granted: bool
    channel: str
    source: str
    page: str | None


@dataclass(frozen=True)
class LeadTimeline:
    lead: LeadView
    practice_name: str
    time_zone: str | None
    """The location's zone: every time on the page is shown in it."""
    first_contact_source: str | None
    first_contact_business_seconds: int | None
    close_reason: str | None
    overflow: bool
    entries: list[ActivityEntry] = field(default_factory=list)
    journey: list[JourneyStep] = field(default_factory=list)
    consents: list[ConsentLine] = field(default_factory=list)
    texts_refused: bool = False
    """The patient asked for no texts (STOP): the compose box says so instead."""
    call_back_due_at: datetime | None = None
    """An overflow agent's call-back that is still open."""
    score_note: ScoreNote | None = None
    """Which model scored the lead, and whether its score is provisional (the pooled model's)."""
    existing_patient: bool = False
    """Linked to a patient who had a completed visit before this inquiry."""


async def lead_timeline(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> LeadTimeline | None:
    """The lead's page if the viewer may see the lead (the read is audited by `get_lead`)."""
    lead = await get_lead(session, domain, viewer, lead_id, actor=actor)
    if lead is None:
        return None
    row = await session.get(Lead, lead_id)
    assert row is not None
    practice_name = await session.scalar(select(Practice.name).where(Practice.id == row.practice_id))
    zone = (
        await session.scalar(select(Location.time_zone).where(Location.id == row.location_id))
        if row.location_id
        else await session.scalar(select(Practice.time_zone).where(Practice.id == row.practice_id))
    )
    note = (
        await score_note(session, domain, row.practice_id, row.score_version) if row.score_version else None
    )
    return LeadTimeline(
        lead=lead,
        practice_name=practice_name or "",
        time_zone=zone,
        first_contact_source=row.first_contact_source,
        first_contact_business_seconds=row.first_contact_business_seconds,
        close_reason=row.close_reason,
        overflow=row.overflow,
        entries=await activity_stream(session, domain, lead_id, zone=zone),
        journey=await _journey(session, lead_id),
        consents=await _consents(session, lead_id),
        texts_refused=await opted_out(session, row.practice_id, row.phone_index),
        call_back_due_at=await session.scalar(
            select(CallBackTask.due_at)
            .where(CallBackTask.lead_id == lead_id, CallBackTask.done_at.is_(None))
            .order_by(CallBackTask.due_at)
            .limit(1)
        ),
        score_note=note,
        existing_patient=await is_existing_patient(session, row),
    )


async def _journey(session: AsyncSession, lead_id: uuid.UUID) -> list[JourneyStep]:
    touchpoints = await session.scalars(
        select(Touchpoint).where(Touchpoint.lead_id == lead_id).order_by(Touchpoint.occurred_at)
    )
    return [
        JourneyStep(
            at=t.occurred_at,
            title=f"{words(t.kind, 'source')} · {words(t.channel, 'channel')}",
            campaign=" / ".join(filter(None, [t.utm_source, t.utm_medium, t.utm_campaign])) or None,
            landing_page=t.landing_page,
            referrer=t.referrer,
            pages_visited=t.pages_visited,
            time_on_site_seconds=t.time_on_site_seconds,
            device=t.device_type,
        )
        for t in touchpoints
    ]


async def _consents(session: AsyncSession, lead_id: uuid.UUID) -> list[ConsentLine]:
    records = await session.scalars(
        select(ConsentRecord).where(ConsentRecord.lead_id == lead_id).order_by(ConsentRecord.captured_at)
    )
    return [ConsentLine(r.captured_at, r.granted, r.channel, r.source, r.page) for r in records]
