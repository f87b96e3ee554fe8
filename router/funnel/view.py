"""What the funnel pages show: stage counts with filters, the leads at a stage, and the checks'
open findings with their leads; names shown are audited reads of the lead."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import distinct, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import NotPermitted
from router.core.models import Appointment, Lead, Location, Practice, Provider, ReconciliationFinding
from router.core.phi_columns import LEAD_FIRST_NAME, LEAD_LAST_NAME
from router.funnel.facts import AdTotals, FunnelFilter, ad_totals, load_facts
from router.funnel.reconciliation import RESOLUTIONS, RULES
from router.funnel.report import (
    ProviderAcceptance,
    StageRow,
    ad_click_count,
    cancelled_count,
    leads_at,
    provider_acceptance,
    stage_rows,
)
from router.privacy import audit
from router.privacy.access import Viewer, may_do

LINKABLE_DAYS = 120
"""Appointments offered for linking: those of the last four months and the next one without a lead."""


@dataclass(frozen=True, slots=True)
class Choices:
    """What the filters offer: the viewer's offices, the practice's providers, treatments, channels."""

    locations: list[tuple[uuid.UUID, str]]
    providers: dict[uuid.UUID, str]
    treatments: list[str]
    channels: list[str]


@dataclass(frozen=True, slots=True)
class FunnelPage:
    practice_name: str
    time_zone: str
    cut: FunnelFilter
    stages: list[StageRow]
    cancelled: int
    """Leads whose every appointment was cancelled: shown beside the stages, not as scheduled."""
    ad_clicks_seen: int
    ads: AdTotals
    providers: list[ProviderAcceptance]
    choices: Choices
    open_findings: int


@dataclass(frozen=True, slots=True)
class LeadLine:
    """One lead in a list: who (an audited read), when, from where."""

    lead_id: uuid.UUID
    name: str
    received_at: datetime
    channel: str
    location: str
    status: str


@dataclass(slots=True)
class FindingView:
    finding: ReconciliationFinding
    heading: str
    leads: list[LeadLine] = field(default_factory=list)
    resolutions: tuple[str, ...] = ()


def practice_of(viewer: Viewer) -> uuid.UUID:
    if not may_do(viewer, "funnel.view") or viewer.practice_id is None:
        raise NotPermitted("the funnel is for managers and practice admins")
    return viewer.practice_id


async def practice_row(session: AsyncSession, viewer: Viewer) -> Practice:
    practice = await session.get(Practice, practice_of(viewer))
    if practice is None:
        raise NotPermitted("the funnel is for managers and practice admins")
    return practice


async def choices(session: AsyncSession, viewer: Viewer, practice_id: uuid.UUID) -> Choices:
    offices = select(Location.id, Location.name).where(Location.practice_id == practice_id)
    if viewer.location_ids and viewer.role == "manager":
        offices = offices.where(Location.id.in_(viewer.location_ids))
    providers = select(Provider.id, Provider.name).where(Provider.practice_id == practice_id)
    treatments = select(distinct(Lead.treatment_interest)).where(
        Lead.practice_id == practice_id, Lead.treatment_interest.is_not(None)
    )
    channels = select(distinct(Lead.source_channel)).where(Lead.practice_id == practice_id)
    return Choices(
        locations=[(i, n) for i, n in await session.execute(offices.order_by(Location.name))],
        providers={i: n for i, n in await session.execute(providers.order_by(Provider.name))},
        treatments=sorted(t for t in (await session.scalars(treatments)).all() if t),
        channels=sorted((await session.scalars(channels)).all()),
    )


async def funnel_page(domain: Domain, viewer: Viewer, cut: FunnelFilter) -> FunnelPage:
    """Counts only (no names): the stages, ad totals, provider acceptance and the open findings."""
    async with domain.sessionmaker() as session:
        practice = await practice_row(session, viewer)
        links = await domain.patients.lead_links(session, practice.id)
        facts = await load_facts(
            session, practice.id, scope=viewer.lead_filter(), cut=cut, patient_links=links
        )
        open_findings = len(
            (
                await session.scalars(
                    select(ReconciliationFinding.id).where(
                        ReconciliationFinding.practice_id == practice.id,
                        ReconciliationFinding.status == "open",
                    )
                )
            ).all()
        )
        return FunnelPage(
            practice_name=practice.name,
            time_zone=practice.time_zone,
            cut=cut,
            stages=stage_rows(facts),
            cancelled=cancelled_count(facts),
            ad_clicks_seen=ad_click_count(facts),
            ads=await ad_totals(session, practice.id, cut),
            providers=provider_acceptance(facts),
            choices=await choices(session, viewer, practice.id),
            open_findings=open_findings,
        )


def _name(domain: Domain, lead: Lead) -> str:
    parts = [
        domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
        domain.cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id),
    ]
    return " ".join(p for p in parts if p) or "(no name given)"


async def lead_lines(
    session: AsyncSession,
    domain: Domain,
    viewer: Viewer,
    ids: list[uuid.UUID],
    *,
    actor: audit.Actor,
    via: str,
) -> list[LeadLine]:
    """The leads the viewer may see among `ids`, in that order, each read audited."""
    if not ids:
        return []
    rows = await session.execute(
        select(Lead, Location.name)
        .outerjoin(Location, Location.id == Lead.location_id)
        .where(Lead.id.in_(ids), viewer.lead_filter())
    )
    found = {lead.id: (lead, office) for lead, office in rows}
    lines = []
    for lead_id in ids:
        if lead_id not in found:
            continue
        lead, office = found[lead_id]
        audit.record_read(session, actor=actor, practice_id=lead.practice_id, lead_id=lead.id, via=via)
        lines.append(
            LeadLine(
                lead.id, _name(domain, lead), lead.received_at, lead.source_channel, office or "", lead.status
            )
        )
    return lines


STAGE_LIST_LIMIT = 200
"""A drill-down lists the newest 200 leads of a stage: a page a person reads, not an export."""


async def stage_lead_lines(
    domain: Domain, viewer: Viewer, cut: FunnelFilter, stage: str, *, actor: audit.Actor
) -> tuple[list[LeadLine], int]:
    """The newest leads that reached `stage` under the filters, and how many reached it in all."""
    async with domain.sessionmaker() as session, session.begin():
        practice = await practice_row(session, viewer)
        links = await domain.patients.lead_links(session, practice.id)
        everyone = await load_facts(
            session, practice.id, scope=viewer.lead_filter(), cut=cut, patient_links=links
        )
        facts = leads_at(everyone, stage)
        ids = [f.lead_id for f in facts[:STAGE_LIST_LIMIT]]
        return await lead_lines(session, domain, viewer, ids, actor=actor, via="funnel"), len(facts)


async def open_findings(domain: Domain, viewer: Viewer, *, actor: audit.Actor) -> list[FindingView]:
    """Open findings, newest first, each with the leads the viewer may see (audited)."""
    async with domain.sessionmaker() as session, session.begin():
        practice = await practice_row(session, viewer)
        rows = (
            await session.scalars(
                select(ReconciliationFinding)
                .where(
                    ReconciliationFinding.practice_id == practice.id, ReconciliationFinding.status == "open"
                )
                .order_by(ReconciliationFinding.found_at.desc(), ReconciliationFinding.rule)
            )
        ).all()
        views = []
        for row in rows:
            ids = [uuid.UUID(i) for i in row.lead_ids]
            lines = await lead_lines(session, domain, viewer, ids, actor=actor, via="funnel_checks")
            if lines:
                views.append(
                    FindingView(row, RULES.get(row.rule, row.rule), lines, RESOLUTIONS.get(row.rule, ()))
                )
        return views


@dataclass(frozen=True, slots=True)
class LinkableAppointment:
    id: uuid.UUID
    starts_at: datetime
    office: str
    status: str


async def linkable_appointments(domain: Domain, viewer: Viewer) -> list[LinkableAppointment]:
    """Appointments without a lead (typically synced from the PMS) that a finding could be linked to."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        practice = await practice_row(session, viewer)
        rows = await session.execute(
            select(Appointment, Location.name)
            .join(Location, Location.id == Appointment.location_id)
            .where(
                Appointment.practice_id == practice.id,
                Appointment.lead_id.is_(None),
                Appointment.starts_at >= now - timedelta(days=LINKABLE_DAYS),
                Appointment.starts_at <= now + timedelta(days=30),
            )
            .order_by(Appointment.starts_at.desc())
            .limit(100)
        )
        return [LinkableAppointment(a.id, a.starts_at, office, a.status) for a, office in rows]
