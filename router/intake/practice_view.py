"""What the intake reads of a practice on every inquiry: locations, settings, form defaults (cached)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Location,
    Practice,
    Provider,
)
from router.intake.commands import (
    UnknownPractice,
)
from router.practices.settings import PracticeSettings


@dataclass
class PracticeView:
    practice: Practice
    settings: PracticeSettings
    locations: list[Location]
    provider_names: tuple[str, ...]


async def load_practice(domain: Domain, practice_id: uuid.UUID) -> PracticeView:
    """The practice's settings, locations and providers (cached for seconds: read on every inquiry)."""
    cached = domain.lookups.get(("practice", practice_id))
    if isinstance(cached, PracticeView):
        return cached
    async with domain.sessionmaker() as session:
        return await read_practice(session, domain, practice_id)


async def read_practice(session: AsyncSession, domain: Domain, practice_id: uuid.UUID) -> PracticeView:
    practice = await session.get(Practice, practice_id)
    if practice is None:
        raise UnknownPractice(f"practice {practice_id} does not exist")
    locations = list(
        (
            await session.scalars(
                select(Location).where(Location.practice_id == practice_id, Location.is_active.is_(True))
            )
        ).all()
    )
    if not locations:
        raise UnknownPractice(f"practice {practice.slug} has no open locations")
    providers = (
        await session.scalars(select(Provider.name).where(Provider.practice_id == practice_id))
    ).all()
    view = PracticeView(practice, PracticeSettings.from_json(practice.settings), locations, tuple(providers))
    domain.lookups.put(("practice", practice_id), view)
    return view
