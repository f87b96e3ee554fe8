"""A practice's phone numbers and settings: tracking numbers (channel and office), the number texts
and calls show, and the routing settings."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Location, Practice, PracticePhoneSettings, TrackingNumber
from router.intake.normalize import normalize_phone
from scoring.channels import CHANNELS

DEFAULT_RING_SECONDS = 20
"""About five rings: long enough to reach the phone, short enough that callers do not hang up first."""
OVERFLOW_MODES = ("number", "queue")


def phone_settings_of(row: PracticePhoneSettings | None, practice_id: uuid.UUID) -> PracticePhoneSettings:
    """The practice's phone settings, or the defaults when it never set any."""
    return row or PracticePhoneSettings(
        practice_id=practice_id,
        practice_number=None,
        records_calls=False,
        consent_notice=None,
        overflow_mode="number",
        ring_timeout_seconds=DEFAULT_RING_SECONDS,
        missed_call_text_back=False,
        text_back_message=None,
    )


async def load_phone_settings(session: AsyncSession, practice_id: uuid.UUID) -> PracticePhoneSettings:
    return phone_settings_of(await session.get(PracticePhoneSettings, practice_id), practice_id)


async def add_tracking_number(
    session: AsyncSession, *, location: Location, phone: str, channel: str, campaign: str | None
) -> TrackingNumber:
    """Map a number to a location and a marketing channel; calls to it become leads of that channel."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    number = TrackingNumber(
        id=uuid.uuid4(),
        practice_id=location.practice_id,
        location_id=location.id,
        phone_e164=normalize_phone(phone),
        channel=channel,
        campaign=campaign,
    )
    session.add(number)
    await session.flush([number])
    return number


async def practice_number(
    session: AsyncSession, practice_id: uuid.UUID, location_id: uuid.UUID | None
) -> str | None:
    """The number texts and click-to-call show: the configured one, else a tracking number of the office."""
    settings = await session.get(PracticePhoneSettings, practice_id)
    if settings and settings.practice_number:
        return settings.practice_number
    numbers = (
        await session.scalars(
            select(TrackingNumber)
            .where(TrackingNumber.practice_id == practice_id)
            .order_by(TrackingNumber.created_at, TrackingNumber.phone_e164)
        )
    ).all()
    candidates = [n for n in numbers if n.location_id == location_id] or list(numbers)
    return candidates[0].phone_e164 if candidates else None


async def _practice_location(
    session: AsyncSession, practice_slug: str, location_slug: str | None
) -> Location:
    query = (
        select(Location)
        .join(Practice, Practice.id == Location.practice_id)
        .where(Practice.slug == practice_slug)
    )
    if location_slug:
        query = query.where(Location.slug == location_slug)
    location = await session.scalar(query.order_by(Location.slug).limit(1))
    if location is None:
        raise LookupError(f"no location {location_slug or '(any)'} in practice {practice_slug}")
    return location


async def configure_tracking_number(
    domain: Domain, *, practice_slug: str, location_slug: str, phone: str, channel: str, campaign: str | None
) -> TrackingNumber:
    """Admin: add a tracking number (the CLI and the demo seeding use this)."""
    async with domain.transaction() as session:
        location = await _practice_location(session, practice_slug, location_slug)
        return await add_tracking_number(
            session, location=location, phone=phone, channel=channel, campaign=campaign
        )


async def list_tracking_numbers(
    domain: Domain, practice_slug: str | None = None
) -> list[tuple[TrackingNumber, str, str]]:
    """(number, practice slug, location slug) of every tracking number, or one practice's."""
    query = (
        select(TrackingNumber, Practice.slug, Location.slug)
        .join(Practice, Practice.id == TrackingNumber.practice_id)
        .join(Location, Location.id == TrackingNumber.location_id)
        .order_by(Practice.slug, TrackingNumber.phone_e164)
    )
    if practice_slug:
        query = query.where(Practice.slug == practice_slug)
    async with domain.sessionmaker() as session:
        return [(n, p, loc) for n, p, loc in (await session.execute(query)).all()]


async def configure_phone_settings(
    domain: Domain, practice_slug: str, **changes: object
) -> PracticePhoneSettings:
    """Admin: change a practice's phone settings (unknown names and bad values are refused)."""
    unknown = (
        set(changes)
        - {c.key for c in PracticePhoneSettings.__table__.columns}
        - {"practice_id", "updated_at"}
    )
    if unknown:
        raise ValueError("unknown phone settings: " + ", ".join(sorted(unknown)))
    if changes.get("overflow_mode") not in (None, *OVERFLOW_MODES):
        raise ValueError(f"overflow_mode must be one of {', '.join(OVERFLOW_MODES)}")
    if changes.get("practice_number"):
        changes["practice_number"] = normalize_phone(str(changes["practice_number"]))
    async with domain.transaction() as session:
        location = await _practice_location(session, practice_slug, None)
        row = await session.get(PracticePhoneSettings, location.practice_id, with_for_update=True)
        if row is None:
            row = phone_settings_of(None, location.practice_id)
            session.add(row)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = domain.clock.now()
    return row
