"""Reading the funnel's facts from the database: leads in a period and scope, their funnel events,
appointments and ad clicks, and the ad platforms' impression and click totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import AdSpend, Appointment, FunnelEvent, Lead, Touchpoint, TreatmentPlan
from router.funnel.stages import AppointmentFact, LeadFacts, PlanFact

PMS_SOURCES = frozenset({"pms"})
"""Appointment sources that mean the practice-management system knows the appointment."""


@dataclass(frozen=True, slots=True)
class FunnelFilter:
    """The funnel page's filters: a period of inquiry days in the practice's zone, and optional cuts."""

    first_day: date
    last_day: date
    time_zone: str
    location_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    treatment: str | None = None
    channel: str | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.time_zone)
        start = datetime.combine(self.first_day, time(), zone)
        return start, datetime.combine(self.last_day + timedelta(days=1), time(), zone)


def _lead_query(practice_id: uuid.UUID, scope: ColumnElement[bool], cut: FunnelFilter | None) -> Select:
    query = select(Lead).where(Lead.practice_id == practice_id, scope)
    if cut is None:
        return query
    start, end = cut.bounds()
    query = query.where(Lead.received_at >= start, Lead.received_at < end)
    if cut.location_id:
        query = query.where(Lead.location_id == cut.location_id)
    if cut.treatment:
        query = query.where(Lead.treatment_interest == cut.treatment)
    if cut.channel:
        query = query.where(Lead.source_channel == cut.channel)
    if cut.provider_id:
        with_provider = select(Appointment.lead_id).where(Appointment.provider_id == cut.provider_id)
        query = query.where(Lead.id.in_(with_provider))
    return query


async def load_facts(
    session: AsyncSession,
    practice_id: uuid.UUID,
    *,
    scope: ColumnElement[bool] | None = None,
    cut: FunnelFilter | None = None,
    patient_links: dict[uuid.UUID, uuid.UUID] | None = None,
) -> list[LeadFacts]:
    """Facts of the practice's leads the scope allows (a viewer's `lead_filter`; all for the worker),
    with the patient each is linked to when `patient_links` (lead -> patient) is given."""
    leads = (await session.scalars(_lead_query(practice_id, true() if scope is None else scope, cut))).all()
    facts = {lead.id: _facts_of(lead) for lead in leads}
    for lead_id, patient_id in (patient_links or {}).items():
        if lead_id in facts:
            facts[lead_id].patient_id = patient_id
    if not facts:
        return []
    ids = select(_lead_query(practice_id, true() if scope is None else scope, cut).subquery().c.id)
    events = await session.execute(
        select(FunnelEvent.lead_id, FunnelEvent.stage, func.min(FunnelEvent.occurred_at))
        .where(FunnelEvent.lead_id.in_(ids))
        .group_by(FunnelEvent.lead_id, FunnelEvent.stage)
    )
    for lead_id, stage, at in events:
        facts[lead_id].events[stage] = at
    for row in await session.scalars(select(Appointment).where(Appointment.lead_id.in_(ids))):
        facts[row.lead_id].appointments.append(appointment_fact(row))
    clicks = await session.execute(
        select(Touchpoint.lead_id, func.min(Touchpoint.occurred_at))
        .where(
            Touchpoint.lead_id.in_(ids), or_(Touchpoint.gclid.is_not(None), Touchpoint.fbclid.is_not(None))
        )
        .group_by(Touchpoint.lead_id)
    )
    for lead_id, at in clicks:
        facts[lead_id].ad_click_at = at
    await _add_plans(session, facts)
    return list(facts.values())


async def _add_plans(session: AsyncSession, facts: dict[uuid.UUID, LeadFacts]) -> None:
    """The linked patients' treatment plans, on each lead linked to that patient."""
    leads_of: dict[uuid.UUID, list[LeadFacts]] = {}
    for fact in facts.values():
        if fact.patient_id is not None:
            leads_of.setdefault(fact.patient_id, []).append(fact)
    if not leads_of:
        return
    plans = await session.scalars(select(TreatmentPlan).where(TreatmentPlan.patient_id.in_(list(leads_of))))
    for plan in plans:
        accepted = plan.status in ("accepted", "completed")
        done = plan.status == "completed"
        shown = PlanFact(
            provider_id=plan.provider_id,
            presented=True,  # every plan the PMS sends was presented, whatever became of it
            accepted_at=(plan.accepted_at or plan.completed_at or plan.updated_at) if accepted else None,
            completed_at=(plan.completed_at or plan.updated_at) if done else None,
        )
        for fact in leads_of[plan.patient_id]:
            fact.plans.append(shown)


def in_pms_condition() -> ColumnElement[bool]:
    """Appointments the PMS knows: synced from it, or written to it (they carry its id)."""
    return or_(Appointment.source.in_(PMS_SOURCES), Appointment.pms_id.is_not(None))


def appointment_fact(row: Appointment) -> AppointmentFact:
    return AppointmentFact(
        id=row.id,
        status=row.status,
        source=row.source,
        starts_at=row.starts_at,
        provider_id=row.provider_id,
        in_pms=row.source in PMS_SOURCES or row.pms_id is not None,
    )


def _facts_of(lead: Lead) -> LeadFacts:
    return LeadFacts(
        lead_id=lead.id,
        received_at=lead.received_at,
        location_id=lead.location_id,
        channel=lead.source_channel,
        treatment=lead.treatment_interest,
        close_reason=lead.close_reason,
        closed_at=lead.closed_at,
        first_contact_at=lead.first_contact_at,
    )


async def practice_uses_pms(session: AsyncSession, practice_id: uuid.UUID) -> bool:
    """Whether any appointment of the practice came from (or went to) its PMS."""
    found = await session.scalar(
        select(Appointment.id).where(Appointment.practice_id == practice_id, in_pms_condition()).limit(1)
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class AdTotals:
    """What the ad platforms reported for the period: impressions and clicks (None when not reported)."""

    impressions: int | None
    clicks: int | None


async def ad_totals(session: AsyncSession, practice_id: uuid.UUID, cut: FunnelFilter) -> AdTotals:
    """Spend imports' totals over the period's days (platforms report per day, in the account's zone)."""
    conditions = [
        AdSpend.practice_id == practice_id,
        AdSpend.day >= datetime.combine(cut.first_day, time()),
        AdSpend.day <= datetime.combine(cut.last_day, time()),
    ]
    if cut.channel:
        conditions.append(AdSpend.channel == cut.channel)
    row = (
        await session.execute(
            select(func.sum(AdSpend.impressions), func.sum(AdSpend.clicks)).where(and_(*conditions))
        )
    ).one()
    return AdTotals(
        impressions=int(row[0]) if row[0] is not None else None,
        clicks=int(row[1]) if row[1] is not None else None,
    )
