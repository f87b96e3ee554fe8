"""Referrer scorecards: per physician and per referring office, what their referrals became.

For one practice and a chosen period (by the day a referral was sent): referrals, median time to
first contact (business time, as the SLA counts it), the share seen (an appointment completed) and
the share that accepted treatment, and the value of that treatment (known from the practice-
management system or the staff; blank until some is recorded). Aggregates only: no patient data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import FunnelEvent, Lead, PatientValue, Referral, ReferringOffice, StaffUser

SEEN_STAGES = ("appointment_completed", "treatment_accepted", "treatment_completed")
TREATED_STAGES = ("treatment_accepted", "treatment_completed")


@dataclass(frozen=True)
class Scorecard:
    """One referrer's figures over the period."""

    key: uuid.UUID | None
    name: str
    office: str | None
    referrals: int
    contacted: int
    median_contact_minutes: float | None
    seen: int
    treated: int
    treatment_value: float | None

    @property
    def seen_share(self) -> float:
        return self.seen / self.referrals if self.referrals else 0.0

    @property
    def treated_share(self) -> float:
        return self.treated / self.referrals if self.referrals else 0.0


def _reached(stages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return exists().where(FunnelEvent.lead_id == Lead.id, FunnelEvent.stage.in_(stages))


async def scorecards(
    session: AsyncSession, practice_id: uuid.UUID, *, start: datetime, end: datetime, by: str
) -> list[Scorecard]:
    """The practice's referrers' figures for referrals sent in [start, end); `by` is physician or office."""
    key = Referral.referring_physician_id if by == "physician" else Referral.referring_office_id
    seen, treated = _reached(SEEN_STAGES), _reached(TREATED_STAGES)
    value = select(func.sum(PatientValue.value)).where(PatientValue.lead_id == Lead.id).scalar_subquery()
    rows = (
        await session.execute(
            select(
                key.label("key"),
                func.count(Referral.id).label("referrals"),
                func.count(Lead.first_contact_at).label("contacted"),
                func.percentile_cont(0.5)
                .within_group(cast(Lead.first_contact_business_seconds, Float))
                .label("median_seconds"),
                func.count().filter(seen).label("seen"),
                func.count().filter(treated).label("treated"),
                func.sum(value).label("value"),
            )
            .select_from(Referral)
            .outerjoin(Lead, Lead.id == Referral.lead_id)
            .where(
                and_(
                    Referral.practice_id == practice_id,
                    Referral.submitted_at >= start,
                    Referral.submitted_at < end,
                )
            )
            .group_by(key)
        )
    ).all()
    names = await _names(session, [r.key for r in rows if r.key], by=by)
    cards = [
        Scorecard(
            key=row.key,
            name=names.get(row.key, ("(no longer listed)", None))[0] if row.key else "(not named)",
            office=names.get(row.key, ("", None))[1] if row.key else None,
            referrals=row.referrals,
            contacted=row.contacted,
            median_contact_minutes=round(row.median_seconds / 60, 1)
            if row.median_seconds is not None
            else None,
            seen=row.seen,
            treated=row.treated,
            treatment_value=float(row.value) if row.value is not None else None,
        )
        for row in rows
    ]
    return sorted(cards, key=lambda c: (-c.referrals, c.name))


async def _names(
    session: AsyncSession, keys: list[uuid.UUID], *, by: str
) -> dict[uuid.UUID, tuple[str, str | None]]:
    if not keys:
        return {}
    if by == "office":
        offices = await session.execute(
            select(ReferringOffice.id, ReferringOffice.name).where(ReferringOffice.id.in_(keys))
        )
        return {row.id: (row.name, None) for row in offices}
    people = await session.execute(
        select(StaffUser.id, StaffUser.display_name, ReferringOffice.name)
        .outerjoin(ReferringOffice, ReferringOffice.id == StaffUser.referring_office_id)
        .where(StaffUser.id.in_(keys))
    )
    return {row[0]: (row[1], row[2]) for row in people}
