"""Reading leads within a viewer's scope; every read of PHI is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, Location, StaffUser, Touchpoint
from router.core.phi_columns import (
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    TOUCHPOINT_MESSAGE,
)
from router.privacy import audit
from router.privacy.access import Viewer

MAX_PAGE = 200
"""Largest page of the lead list API: a board never shows more than this many open leads."""


@dataclass(frozen=True)
class LeadView:
    """A lead with its PHI decrypted, for someone allowed to see it."""

    id: uuid.UUID
    practice_id: uuid.UUID
    location_id: uuid.UUID | None
    location_name: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    zip: str | None
    treatment_interest: str | None
    source_kind: str
    source_channel: str
    status: str
    stage: str
    score: int | None
    score_version: str | None
    score_pooled: bool
    score_reasons: list[str]
    assigned_user_id: uuid.UUID | None
    assigned_to: str | None
    claimed_by_user_id: uuid.UUID | None
    received_at: datetime
    sla_due_at: datetime | None
    escalation_level: int
    first_contact_at: datetime | None
    household_lead_id: uuid.UUID | None
    touch_count: int
    message: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            key: (
                str(value)
                if isinstance(value, uuid.UUID)
                else value.isoformat()
                if isinstance(value, datetime)
                else value
            )
            for key, value in self.__dict__.items()
        }


def _view(
    domain: Domain,
    lead: Lead,
    location: Location | None,
    assignee: StaffUser | None,
    message_id: uuid.UUID | None,
    message: bytes | None,
) -> LeadView:
    open_ = domain.cipher.open
    return LeadView(
        id=lead.id,
        practice_id=lead.practice_id,
        location_id=lead.location_id,
        location_name=location.name if location else None,
        first_name=open_(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
        last_name=open_(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id),
        phone=open_(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id),
        email=open_(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id),
        zip=lead.zip,
        treatment_interest=lead.treatment_interest,
        source_kind=lead.source_kind,
        source_channel=lead.source_channel,
        status=lead.status,
        stage=lead.stage,
        score=lead.score,
        score_version=lead.score_version,
        score_pooled=lead.score_pooled,
        score_reasons=list(lead.score_reasons or []),
        assigned_user_id=lead.assigned_user_id,
        assigned_to=assignee.display_name if assignee else None,
        claimed_by_user_id=lead.claimed_by_user_id,
        received_at=lead.received_at,
        sla_due_at=lead.sla_due_at,
        escalation_level=lead.escalation_level,
        first_contact_at=lead.first_contact_at,
        household_lead_id=lead.household_lead_id,
        touch_count=lead.touch_count,
        message=open_(message, column=TOUCHPOINT_MESSAGE, row_id=message_id),
    )


def _views_query(viewer: Viewer) -> Select[Any]:
    """The leads the viewer may see, with what a `LeadView` shows: location, assignee, latest message."""
    latest = (
        select(Touchpoint.id, Touchpoint.message_enc)
        .where(Touchpoint.lead_id == Lead.id)
        .order_by(Touchpoint.occurred_at.desc())
        .limit(1)
        .lateral("latest_message")
    )
    return (
        select(Lead, Location, StaffUser, latest.c.id, latest.c.message_enc)
        .select_from(Lead)
        .outerjoin(latest, true())
        .outerjoin(Location, Location.id == Lead.location_id)
        .outerjoin(StaffUser, StaffUser.id == Lead.assigned_user_id)
        .where(viewer.lead_filter())
    )


async def list_leads(
    session: AsyncSession,
    domain: Domain,
    viewer: Viewer,
    *,
    actor: audit.Actor,
    status: str | None = "open",
    limit: int = 50,
) -> list[LeadView]:
    """The viewer's leads, newest first, each read audited."""
    limit = max(1, min(limit, MAX_PAGE))
    query = _views_query(viewer).order_by(Lead.received_at.desc()).limit(limit)
    if status:
        query = query.where(Lead.status == status)
    rows = (await session.execute(query)).all()
    views = [_view(domain, *row) for row in rows]
    for view in views:
        audit.record_read(session, actor=actor, practice_id=view.practice_id, lead_id=view.id, via="list")
    return views


async def get_lead(
    session: AsyncSession, domain: Domain, viewer: Viewer, lead_id: uuid.UUID, *, actor: audit.Actor
) -> LeadView | None:
    """One lead if the viewer may see it (None otherwise, indistinguishable from missing)."""
    row = (await session.execute(_views_query(viewer).where(Lead.id == lead_id))).first()
    if row is None:
        return None
    view = _view(domain, *row)
    audit.record_read(session, actor=actor, practice_id=view.practice_id, lead_id=view.id, via="detail")
    return view
