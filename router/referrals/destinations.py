"""Where a referrer may send a patient: the practices their office is partnered with, and their offices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Location, Practice, ReferralPartner, StaffUser
from router.privacy.access import PHYSICIAN, Viewer


@dataclass(frozen=True)
class Destination:
    """One choice of the form's "Send to": a practice, and one of its offices or no preference."""

    practice_id: uuid.UUID
    location_id: uuid.UUID | None
    location_slug: str | None
    label: str

    @property
    def value(self) -> str:
        return f"{self.practice_id}:{self.location_id or ''}"


async def partner_practices(session: AsyncSession, viewer: Viewer) -> list[Practice]:
    """The practices this referrer's office sends patients to, by name."""
    if viewer.referring_office_id is None:
        return []
    return list(
        (
            await session.scalars(
                select(Practice)
                .join(ReferralPartner, ReferralPartner.practice_id == Practice.id)
                .where(ReferralPartner.referring_office_id == viewer.referring_office_id)
                .order_by(Practice.name)
            )
        ).all()
    )


async def destinations_for(session: AsyncSession, viewer: Viewer) -> list[Destination]:
    """Every practice and office this referrer may send a patient to ("no preference" first)."""
    practices = await partner_practices(session, viewer)
    if not practices:
        return []
    locations = (
        await session.scalars(
            select(Location)
            .where(Location.practice_id.in_([p.id for p in practices]), Location.is_active.is_(True))
            .order_by(Location.name)
        )
    ).all()
    choices: list[Destination] = []
    for practice in practices:
        choices.append(Destination(practice.id, None, None, f"{practice.name}: any office"))
        choices.extend(
            Destination(practice.id, loc.id, loc.slug, f"{practice.name}: {loc.name}")
            for loc in locations
            if loc.practice_id == practice.id
        )
    return choices


async def physicians_for(session: AsyncSession, viewer: Viewer) -> list[tuple[uuid.UUID, str]]:
    """Whom a referral may be from: the physician themselves, or their office's physicians."""
    if viewer.role == PHYSICIAN:
        return [(viewer.user_id, viewer.display_name)]
    if viewer.referring_office_id is None:
        return []
    rows = await session.execute(
        select(StaffUser.id, StaffUser.display_name)
        .where(
            StaffUser.referring_office_id == viewer.referring_office_id,
            StaffUser.role == PHYSICIAN,
            StaffUser.is_active.is_(True),
        )
        .order_by(StaffUser.display_name)
    )
    return [(row.id, row.display_name) for row in rows]
