"""Who gets a new lead: the location (chosen, else nearest by ZIP), then the staff member."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.hours import BusinessHours
from router.models import Lead, Location, StaffLocation, StaffUser
from router.practice_settings import AssignmentRules
from scoring.geo import haversine_miles, zip_coordinates


def nearest_location(zip_code: str | None, locations: Sequence[Location]) -> tuple[Location, float] | None:
    """The location closest to the ZIP, with its distance; None when the ZIP is unknown."""
    origin = zip_coordinates(zip_code)
    if origin is None:
        return None
    placed = [loc for loc in locations if loc.latitude is not None and loc.longitude is not None]
    if not placed:
        return None
    best = min(placed, key=lambda loc: haversine_miles(origin, (loc.latitude, loc.longitude)))  # type: ignore[arg-type]
    return best, haversine_miles(origin, (best.latitude, best.longitude))  # type: ignore[arg-type]


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
    rows = (await session.execute(_STAFF_OF_LOCATION, {"location_id": location.id, "roles": roles})).all()
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
    await session.execute(
        update(StaffUser.__table__)
        .where(StaffUser.__table__.c.id == chosen[0].id)
        .values(last_assigned_at=now)
    )
    return chosen[0]


_OPEN_LEAD_COUNT = (
    select(func.count(Lead.id))
    .where(Lead.assigned_user_id == StaffUser.id, Lead.status == "open")
    .correlate(StaffUser)
    .scalar_subquery()
)
_STAFF_OF_LOCATION = (
    select(StaffUser, _OPEN_LEAD_COUNT)
    .join(StaffLocation, StaffLocation.user_id == StaffUser.id)
    .where(
        StaffLocation.location_id == bindparam("location_id"),
        StaffUser.is_active.is_(True),
        StaffUser.role.in_(bindparam("roles", expanding=True)),
        StaffUser.availability != "away",
    )
)
"""Built once (with its open-lead count per person), reused for every inquiry."""
_MARK_ASSIGNED = (
    update(StaffUser.__table__)
    .where(StaffUser.__table__.c.id == bindparam("user_id"))
    .values(last_assigned_at=bindparam("now"))
)
