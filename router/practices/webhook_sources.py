"""What the screens that connect a sender (web forms, chats) share: the practice's offices by name,
the office chosen for inquiries that name none, and the new source's key (its webhook address)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.form_values import FormReader
from router.core.models import Location


async def office_names(session: AsyncSession, practice_id: uuid.UUID | None) -> dict[uuid.UUID, str]:
    """Every office of the practice (open or closed), by id."""
    rows = await session.execute(
        select(Location.id, Location.name).where(Location.practice_id == practice_id)
    )
    return dict(rows.all())


async def read_default_office(
    session: AsyncSession, read: FormReader, practice_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The `default_location_id` field: one of the practice's offices, or none (refused otherwise)."""
    office = read.raw("default_location_id")
    offices = (await session.scalars(select(Location.id).where(Location.practice_id == practice_id))).all()
    chosen = next((o for o in offices if str(o) == office), None)
    if office and chosen is None:
        read.fail("default_location_id", "Choose one of your offices, or none.")
    return chosen


def new_source_key(name: str, *, fallback: str) -> str:
    """A webhook key from the source's name, made unique: "Invisalign page" -> "invisalign-page-1a2b3c4d"."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or fallback
    return f"{base}-{uuid.uuid4().hex[:8]}"
