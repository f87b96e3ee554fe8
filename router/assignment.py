"""Who gets a new lead: the location (chosen, else nearest by ZIP), then the staff member."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime

import zipcodes
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.hours import BusinessHours
from router.models import Lead, Location, StaffLocation, StaffUser
from router.practice_settings import AssignmentRules

_EARTH_RADIUS_MILES = 3958.8


def zip_coordinates(zip_code: str | None) -> tuple[float, float] | None:
    """Latitude and longitude of a ZIP's centre from the offline dataset."""
    if not zip_code:
        return None
    try:
        matches = zipcodes.matching(zip_code)
    except (TypeError, ValueError):
        return None
    if not matches:
        return None
    return float(matches[0]["lat"]), float(matches[0]["long"])


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def nearest_location(zip_code: str | None, locations: Sequence[Location]) -> tuple[Location, float] | None:
    """The location closest to the ZIP, with its distance; None when the ZIP is unknown."""
    origin = zip_coordinates(zip_code)
    if origin is None:
        return None
    placed = [loc for loc in locations if loc.latitude is not None and loc.longitude is not None]
    if not placed:
        return None
    best = min(placed, key=lambda loc: miles_between(origin, (loc.latitude, loc.longitude)))  # type: ignore[arg-type]
    return best, miles_between(origin, (best.latitude, best.longitude))  # type: ignore[arg-type]


def choose_location(
    locations: Sequence[Location],
    *,
    rules: AssignmentRules,
    requested: str | None,
    default_location_id: uuid.UUID | None,
    zip_code: str | None,
) -> Location:
    """The form's chosen location, else the nearest by ZIP, else the form's default, else the first."""
    by_slug = {loc.slug: loc for loc in locations}
    by_id = {loc.id: loc for loc in locations}
    if requested and requested in by_slug:
        return by_slug[requested]
    if rules.route_by_zip:
        nearest = nearest_location(zip_code, locations)
        if nearest:
            return nearest[0]
    if default_location_id in by_id:
        return by_id[default_location_id]  # type: ignore[index]
    return sorted(locations, key=lambda loc: loc.slug)[0]


def on_shift(user: StaffUser, location: Location, now: datetime) -> bool:
    """Whether the staff member works now: their own hours when set, else the location's."""
    hours = user.shift or location.business_hours
    if not hours:
        return True
    return BusinessHours.from_config(
        time_zone=location.time_zone, business_hours=hours, holidays=location.holidays
    ).is_open(now)


async def choose_staff(
    session: AsyncSession,
    location: Location,
    *,
    rules: AssignmentRules,
    score: int | None,
    now: datetime,
) -> StaffUser | None:
    """Eligible staff of the location by the practice's rules; None puts the lead in the unassigned queue."""
    roles = ["front_desk", "manager"] if rules.include_managers else ["front_desk"]
    open_leads = (
        select(func.count(Lead.id))
        .where(Lead.assigned_user_id == StaffUser.id, Lead.status == "open")
        .correlate(StaffUser)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(StaffUser, open_leads)
            .join(StaffLocation, StaffLocation.user_id == StaffUser.id)
            .where(
                StaffLocation.location_id == location.id,
                StaffUser.is_active.is_(True),
                StaffUser.role.in_(roles),
                StaffUser.availability != "away",
            )
        )
    ).all()
    candidates = []
    for user, open_count in rows:
        if rules.respect_availability and user.availability != "available":
            continue
        if rules.respect_shift and not on_shift(user, location, now):
            continue
        if rules.max_open_leads is not None and open_count >= rules.max_open_leads:
            continue
        candidates.append((user, open_count))
    if not candidates:
        return None
    if rules.priority_score is not None and score is not None and score >= rules.priority_score:
        priority = [c for c in candidates if c[0].handles_priority]
        candidates = priority or candidates

    def rotation(candidate: tuple[StaffUser, int]) -> tuple[float, str]:
        user = candidate[0]
        return (user.last_assigned_at.timestamp() if user.last_assigned_at else 0.0, str(user.id))

    if rules.strategy == "fewest_open":
        chosen = min(candidates, key=lambda c: (c[1], *rotation(c)))
    else:
        chosen = min(candidates, key=rotation)
    # Known flaw: two simultaneous intakes may both pick the same person before either commits;
    # the imbalance is one lead and the next assignment corrects it, so no lock is taken here.
    chosen[0].last_assigned_at = now
    return chosen[0]
