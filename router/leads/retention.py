"""Retention: a closed lead's PHI is purged after its practice's retention period; the figures stay.

Purged: names, phone, email and date of birth (and their blind indexes), inquiry messages, notes and
transcripts, text bodies and numbers, call recordings and their provider ids, web visitor ids, and
the consent record's IP. Kept, de-identified: the lead row's dates, channel, campaign, stage, close
reason, score and its reasons, the first three digits of the ZIP code, funnel events, attribution
values, and the consent record itself (evidence of what was agreed, when, on which page; it holds no
name or number, only a keyed hash). Every purged lead gets an audit row; audit rows are never purged,
so the chain still verifies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import ConsentRecord, Interaction, Lead, PhoneCall, Practice, SmsMessage, Touchpoint
from router.practices.settings import PracticeSettings
from router.privacy import audit

JUNK_REASONS = ("spam", "wrong_number")
"""Close reasons purged after the shorter period."""
BATCH_SIZE = 200
"""Leads purged per transaction: short locks on a busy practice's tables."""
ZIP_PREFIX = 3
"""HIPAA's Safe Harbor keeps the first three digits of a ZIP code (areas of more than 20,000 people)."""


@dataclass
class PurgeReport:
    """What a purge run did, per practice (lead counts)."""

    purged: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.purged.values())


def _due(settings: PracticeSettings, now: datetime):  # type: ignore[no-untyped-def]
    """Closed, not yet purged, and past the practice's retention period for its close reason."""
    junk = Lead.close_reason.in_(JUNK_REASONS)
    return and_(
        Lead.status == "closed",
        Lead.phi_purged_at.is_(None),
        Lead.closed_at.is_not(None),
        or_(
            and_(junk, Lead.closed_at < now - timedelta(days=settings.junk_retention_days)),
            and_(
                ~junk | Lead.close_reason.is_(None),
                Lead.closed_at < now - timedelta(days=settings.retention_days),
            ),
        ),
    )


async def _purge(session: AsyncSession, lead_ids: list[uuid.UUID], now: datetime) -> None:
    await session.execute(
        update(Lead)
        .where(Lead.id.in_(lead_ids))
        .values(
            first_name_enc=None,
            last_name_enc=None,
            phone_enc=None,
            email_enc=None,
            date_of_birth_enc=None,
            phone_index=None,
            email_index=None,
            zip=func.left(Lead.zip, ZIP_PREFIX),
            phi_purged_at=now,
        )
    )
    await session.execute(
        update(Touchpoint).where(Touchpoint.lead_id.in_(lead_ids)).values(message_enc=None, visitor_id=None)
    )
    await session.execute(update(Interaction).where(Interaction.lead_id.in_(lead_ids)).values(note_enc=None))
    await session.execute(
        update(SmsMessage)
        .where(SmsMessage.lead_id.in_(lead_ids))
        .values(phone_enc=None, phone_index=None, body_enc=None)
    )
    await session.execute(
        update(PhoneCall)
        .where(PhoneCall.lead_id.in_(lead_ids))
        .values(recording_url=None, recording_sid=None, transcription_sid=None, call_sid=None)
    )
    await session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.lead_id.in_(lead_ids), ConsentRecord.ip_enc.is_not(None))
        .values(ip_enc=None)
    )


async def purge_expired_phi(domain: Domain, *, now: datetime | None = None) -> PurgeReport:
    """Purge every practice's closed leads past retention, in batches, each lead audited."""
    now = now or domain.clock.now()
    report = PurgeReport(purged={})
    async with domain.sessionmaker() as session:
        practices = (await session.execute(select(Practice.id, Practice.slug, Practice.settings))).all()
    actor = audit.Actor.system("retention")
    for practice_id, slug, raw_settings in practices:
        settings = PracticeSettings.from_json(raw_settings)
        report.purged[slug] = 0
        while True:
            async with domain.transaction() as session:
                lead_ids = list(
                    (
                        await session.scalars(
                            select(Lead.id)
                            .where(Lead.practice_id == practice_id, _due(settings, now))
                            .limit(BATCH_SIZE)
                            .with_for_update(skip_locked=True)
                        )
                    ).all()
                )
                if not lead_ids:
                    break
                await _purge(session, lead_ids, now)
                for lead_id in lead_ids:
                    audit.record(
                        session,
                        actor=actor,
                        action="lead.phi_purged",
                        practice_id=practice_id,
                        lead_id=lead_id,
                        details={"retention_days": settings.retention_days},
                    )
                report.purged[slug] += len(lead_ids)
    return report
