"""The scorer's view of leads already stored: for late explanations and for training on our own outcomes.

A lead's first touchpoint holds what its inquiry said (tracking, message); rebuilding the scoring
input from it through `scoring_input_from_inquiry` gives the same vector the intake scored, so a
reason filled in later and a model trained on the product's outcomes see leads as the intake did.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead, Location, Provider, Touchpoint
from router.core.phi_columns import LEAD_DATE_OF_BIRTH, TOUCHPOINT_MESSAGE
from router.practices.locations import nearest_location
from scoring.features import ScoringInput, scoring_input_from_inquiry

BOOKED = "appointment_booked"
"""The close reason that counts as a lead who became a patient."""

_TOUCHPOINT_FIELDS = (
    "treatment_interest",
    "utm_campaign",
    "ad_creative",
    "keyword_match_type",
    "pages_visited",
    "time_on_site_seconds",
    "form_completion_seconds",
    "device_type",
    "last_dental_visit",
)


@dataclass(slots=True)
class ProductHistory:
    """Closed leads of a practice as training rows: booked ones are positives, other closes negatives."""

    inputs: list[ScoringInput] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)


async def _first_touchpoints(
    session: AsyncSession, lead_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Touchpoint]:
    rows = await session.scalars(
        select(Touchpoint)
        .where(Touchpoint.lead_id.in_(lead_ids))
        .order_by(Touchpoint.lead_id, Touchpoint.occurred_at)
        .distinct(Touchpoint.lead_id)
    )
    return {tp.lead_id: tp for tp in rows.all() if tp.lead_id is not None}


async def stored_scoring_inputs(
    session: AsyncSession, domain: Domain, leads: Sequence[Lead]
) -> dict[uuid.UUID, ScoringInput]:
    """Lead id -> the scoring input its first inquiry produced (leads without a touchpoint are left out)."""
    if not leads:
        return {}
    practice_ids = {lead.practice_id for lead in leads}
    locations = (await session.scalars(select(Location).where(Location.practice_id.in_(practice_ids)))).all()
    providers = (
        await session.execute(
            select(Provider.practice_id, Provider.name).where(Provider.practice_id.in_(practice_ids))
        )
    ).all()
    touchpoints = await _first_touchpoints(session, [lead.id for lead in leads])
    by_practice: dict[uuid.UUID, list[Location]] = {}
    for location in locations:
        by_practice.setdefault(location.practice_id, []).append(location)
    names: dict[uuid.UUID, tuple[str, ...]] = {}
    for practice_id, name in providers:
        names[practice_id] = (*names.get(practice_id, ()), name)
    inputs = {}
    for lead in leads:
        touchpoint = touchpoints.get(lead.id)
        offices = by_practice.get(lead.practice_id, [])
        if touchpoint is None or not offices:
            continue
        office = next((loc for loc in offices if loc.id == lead.location_id), offices[0])
        fields = {name: getattr(touchpoint, name) for name in _TOUCHPOINT_FIELDS}
        fields["treatment_interest"] = fields["treatment_interest"] or lead.treatment_interest
        fields["message"] = domain.cipher.open(
            touchpoint.message_enc, column=TOUCHPOINT_MESSAGE, row_id=touchpoint.id
        )
        fields["date_of_birth"] = domain.cipher.open(
            lead.date_of_birth_enc, column=LEAD_DATE_OF_BIRTH, row_id=lead.id
        )
        fields["age_range"] = lead.age_range
        nearest = nearest_location(lead.zip, offices)
        inputs[lead.id] = scoring_input_from_inquiry(
            fields,
            received_at_local=lead.received_at.astimezone(ZoneInfo(office.time_zone)),
            distance_miles=nearest[1] if nearest else None,
            channel=lead.source_channel,
            provider_names=names.get(lead.practice_id, ()),
        )
    return inputs


async def closed_lead_count(session: AsyncSession, practice_id: uuid.UUID) -> int:
    """Leads of a practice with a known outcome (closed): is there enough history for its own model?"""
    query = select(func.count()).where(Lead.practice_id == practice_id, Lead.status == "closed")
    return int(await session.scalar(query) or 0)


async def product_history(session: AsyncSession, domain: Domain, practice_id: uuid.UUID) -> ProductHistory:
    """The practice's closed leads, oldest first, as training rows."""
    leads = (
        await session.scalars(
            select(Lead)
            .where(Lead.practice_id == practice_id, Lead.status == "closed")
            .order_by(Lead.received_at)
        )
    ).all()
    inputs = await stored_scoring_inputs(session, domain, leads)
    history = ProductHistory()
    for lead in leads:
        if lead.id in inputs:
            history.inputs.append(inputs[lead.id])
            history.labels.append(lead.close_reason == BOOKED)
            history.received_at.append(lead.received_at)
    return history
