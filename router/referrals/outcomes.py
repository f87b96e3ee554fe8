"""Outcome reports: a referrer hears when their patient was seen and when treatment was accepted or done.

The worker's sweep turns a referred lead's funnel events (seen = appointment completed, treatment
accepted, treatment completed) into one report per stage, whoever recorded the stage (the board
today, the practice-management sync once it lands), and emails the referring physician (or, when
none is named, the office's people). The email carries no patient data: only that a referral has
news, and the link to the portal where the report is. A stage is reported once (a unique key).

The monthly summary gives each referring office its counts per practice for the past month, again
without patient data.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Appointment,
    FunnelEvent,
    Lead,
    Practice,
    Provider,
    Referral,
    ReferralPartner,
    ReferralReport,
    ReferringOffice,
    StaffUser,
)
from router.core.ports import PortNotConfigured
from router.referrals.status import REPORTED_STAGES, STAGE_STATUS

log = logging.getLogger("leadrouter.referrals")

REPORT_BATCH = 200
"""Reports written per sweep: a practice's day of visits; the next sweep takes the rest."""


async def _recipients(domain: Domain, referral: Referral) -> list[StaffUser]:
    async with domain.sessionmaker() as session:
        if referral.referring_physician_id:
            physician = await session.get(StaffUser, referral.referring_physician_id)
            if physician is not None and physician.is_active:
                return [physician]
        if referral.referring_office_id is None:
            return []
        return list(
            (
                await session.scalars(
                    select(StaffUser).where(
                        StaffUser.referring_office_id == referral.referring_office_id,
                        StaffUser.is_active.is_(True),
                    )
                )
            ).all()
        )


async def _email(domain: Domain, to: str, subject: str, body: str) -> str:
    try:
        await domain.email.send_email(to=to, subject=subject, body=body)
    except PortNotConfigured:
        return "not sent: email is not set up"
    except Exception as exc:  # the report stays on the portal; the email is a courtesy
        log.warning("outcome email failed: %s", type(exc).__name__)
        return "not sent: the mail server did not accept it"
    return "sent"


async def _provider_of(session: AsyncSession, referral_id: uuid.UUID) -> str | None:
    """Who the patient saw: the provider of their latest appointment that has one, when known."""
    return await session.scalar(
        select(Provider.name)
        .join(Appointment, Appointment.provider_id == Provider.id)
        .join(Referral, Referral.lead_id == Appointment.lead_id)
        .where(Referral.id == referral_id)
        .order_by(Appointment.starts_at.desc())
        .limit(1)
    )


async def send_outcome_reports(domain: Domain) -> dict[str, int]:
    """Write the reports of stages reached since the last sweep and email their referrers."""
    now = domain.clock.now()
    reached = (
        select(Referral.id, FunnelEvent.stage, func.min(FunnelEvent.occurred_at).label("at"))
        .join(FunnelEvent, FunnelEvent.lead_id == Referral.lead_id)
        .outerjoin(
            ReferralReport,
            and_(ReferralReport.referral_id == Referral.id, ReferralReport.stage == FunnelEvent.stage),
        )
        .where(FunnelEvent.stage.in_(REPORTED_STAGES), ReferralReport.id.is_(None))
        .group_by(Referral.id, FunnelEvent.stage)
        .limit(REPORT_BATCH)
    )
    written: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    async with domain.sessionmaker() as session, session.begin():
        for referral_id, stage, at in (await session.execute(reached)).all():
            provider = await _provider_of(session, referral_id) if stage == "appointment_completed" else None
            report_id = await session.scalar(
                insert(ReferralReport)
                .values(
                    provider_name=provider,
                    id=uuid.uuid4(),
                    referral_id=referral_id,
                    stage=stage,
                    occurred_at=at,
                    created_at=now,
                    notified=[],
                )
                .on_conflict_do_nothing()
                .returning(ReferralReport.id)
            )
            if report_id is not None:
                written.append((report_id, referral_id, stage))
    for report_id, referral_id, stage in written:
        await _notify(domain, report_id, referral_id, stage)
    return {"reports": len(written)}


async def _notify(domain: Domain, report_id: uuid.UUID, referral_id: uuid.UUID, stage: str) -> None:
    async with domain.sessionmaker() as session:
        referral = await session.get(Referral, referral_id)
        practice = await session.get(Practice, referral.practice_id) if referral else None
    if referral is None or practice is None:
        return
    url = f"{domain.settings.intake.public_url.rstrip('/')}/referrals#referral-{referral_id}"
    subject = f"Referral update from {practice.name}"
    body = (
        f"A patient you referred to {practice.name} has an update: {STAGE_STATUS[stage].lower()}.\n\n"
        f"Sign in to see the report:\n{url}\n\nThis email holds no patient details; the portal does.\n"
    )
    notified = [
        {"user_id": str(person.id), "status": await _email(domain, person.email, subject, body)}
        for person in await _recipients(domain, referral)
    ]
    async with domain.sessionmaker() as session, session.begin():
        report = await session.get(ReferralReport, report_id)
        if report is not None:
            report.notified = notified


async def monthly_counts(
    domain: Domain, office_id: uuid.UUID, *, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Per practice name: referrals the office sent in [start, end), and how many were seen and treated."""
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"sent": 0, "contacted": 0, "seen": 0, "treated": 0}
    )
    async with domain.sessionmaker() as session:
        rows = await session.execute(
            select(Practice.name, Lead.first_contact_at, Lead.id)
            .select_from(Referral)
            .join(Practice, Practice.id == Referral.practice_id)
            .outerjoin(Lead, Lead.id == Referral.lead_id)
            .where(
                Referral.referring_office_id == office_id,
                Referral.submitted_at >= start,
                Referral.submitted_at < end,
            )
        )
        rows = rows.all()
        stages = defaultdict(set)
        lead_ids = [row[2] for row in rows if row[2]]
        if lead_ids:
            for lead_id, stage in await session.execute(
                select(FunnelEvent.lead_id, FunnelEvent.stage).where(FunnelEvent.lead_id.in_(lead_ids))
            ):
                stages[lead_id].add(stage)
    for name, contacted_at, lead_id in rows:
        counts[name]["sent"] += 1
        counts[name]["contacted"] += contacted_at is not None
        counts[name]["seen"] += bool(stages[lead_id] & set(REPORTED_STAGES))
        counts[name]["treated"] += bool(stages[lead_id] & {"treatment_accepted", "treatment_completed"})
    return dict(counts)


async def send_monthly_summaries(domain: Domain, *, start: datetime, end: datetime) -> dict[str, int]:
    """Email every referring office's people their counts for [start, end) (no patient data)."""
    async with domain.sessionmaker() as session:
        offices = (
            await session.scalars(
                select(ReferringOffice).where(
                    ReferringOffice.id.in_(select(ReferralPartner.referring_office_id))
                )
            )
        ).all()
    sent = 0
    for office in offices:
        counts = await monthly_counts(domain, office.id, start=start, end=end)
        if not counts:
            continue
        lines = [
            f"- {name}: {c['sent']} sent, {c['contacted']} contacted, {c['seen']} seen, "
            f"{c['treated']} accepted treatment"
            for name, c in sorted(counts.items())
        ]
        body = (
            f"Referrals from {office.name}, {start:%B %Y}:\n\n" + "\n".join(lines) + "\n\n"
            f"Each referral's status: {domain.settings.intake.public_url.rstrip('/')}/referrals\n"
        )
        async with domain.sessionmaker() as session:
            people = (
                await session.scalars(
                    select(StaffUser).where(
                        StaffUser.referring_office_id == office.id, StaffUser.is_active.is_(True)
                    )
                )
            ).all()
        for person in people:
            if await _email(domain, person.email, f"Your referrals in {start:%B %Y}", body) == "sent":
                sent += 1
    return {"emails": sent}


async def outcome_reports_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's sweep: reports of stages reached since the last run."""
    return await send_outcome_reports(ctx["domain"])


async def monthly_summaries_task(ctx: dict[str, Any]) -> dict[str, int]:
    """On the first of the month: last month's counts to every referring office."""
    domain: Domain = ctx["domain"]
    end = domain.clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=1)).replace(day=1)
    return await send_monthly_summaries(domain, start=start, end=end)
