"""Who gets a new lead: the location (chosen, else nearest by ZIP), then the staff member."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from router.core.models import Location
from router.practices.hours import BusinessHours
from router.practices.settings import AssignmentRules


def choose_location(
    locations: Sequence[Location],
    *,
    rules: AssignmentRules,
    requested: str | None,
    default_location_id: uuid.UUID | None,
    nearest: tuple[Location, float] | None,
) -> Location:
    """The form's chosen location, else the nearest by ZIP, else the form's default, else the first.

    `nearest` is `nearest_location` of the inquiry's ZIP (the intake also scores on its distance).
    """
    by_slug = {loc.slug: loc for loc in locations}
    by_id = {loc.id: loc for loc in locations}
    if requested and requested in by_slug:
        return by_slug[requested]
    if rules.route_by_zip and nearest:
        return nearest[0]
    if default_location_id in by_id:
        return by_id[default_location_id]  # type: ignore[index]
    return sorted(locations, key=lambda loc: loc.slug)[0]


class HasShift(Protocol):
    """A staff member as far as shift checks go: their own hours, if any."""

    @property
    def shift(self) -> Mapping[str, Any] | None: ...


def on_shift(user: HasShift, location: Location, now: datetime) -> bool:
    """Whether the staff member works now: their own hours when set, else the location's."""
    hours = user.shift or location.business_hours
    if not hours:
        return True
    return BusinessHours.cached(
        time_zone=location.time_zone, business_hours=hours, holidays=location.holidays
    ).is_open(now)


@dataclass(frozen=True, slots=True)
class StaffCandidate:
    """A staff member of the location as assignment sees them (read with the intake's one query)."""

    id: uuid.UUID
    availability: str
    handles_priority: bool
    shift: Mapping[str, Any] | None
    last_assigned_at: datetime | None
    open_leads: int


def pick_staff(
    candidates: Sequence[StaffCandidate],
    location: Location,
    *,
    rules: AssignmentRules,
    score: int | None,
    now: datetime,
) -> StaffCandidate | None:
    """Who gets the lead by the practice's rules; None puts it in the location's unassigned queue.

    Known flaw: two simultaneous intakes may both pick the same person before either commits; the
    imbalance is one lead and the next assignment corrects it, so no lock is taken.
    """
    location_open: list[bool] = []  # most staff work the location's hours: worked out once

    def working(c: StaffCandidate) -> bool:
        if c.shift:
            return on_shift(c, location, now)
        if not location_open:
            location_open.append(on_shift(c, location, now))
        return location_open[0]

    eligible = [
        c
        for c in candidates
        if not (rules.respect_availability and c.availability != "available")
        and not (rules.respect_shift and not working(c))
        and not (rules.max_open_leads is not None and c.open_leads >= rules.max_open_leads)
    ]
    if not eligible:
        return None
    if rules.priority_score is not None and score is not None and score >= rules.priority_score:
        eligible = [c for c in eligible if c.handles_priority] or eligible

    def rotation(c: StaffCandidate) -> tuple[float, str]:
        return (c.last_assigned_at.timestamp() if c.last_assigned_at else 0.0, str(c.id))

    if rules.strategy == "fewest_open":
        return min(eligible, key=lambda c: (c.open_leads, *rotation(c)))
    return min(eligible, key=rotation)


def assignable_roles(rules: AssignmentRules) -> list[str]:
    """The roles that receive new leads under these rules."""
    return ["front_desk", "manager"] if rules.include_managers else ["front_desk"]


STAFF_CANDIDATES_SQL = """
    SELECT s.id, s.availability, s.handles_priority, s.shift, s.last_assigned_at,
           (SELECT count(*) FROM leads l WHERE l.assigned_user_id = s.id AND l.status = 'open') AS open_leads
    FROM staff_users s JOIN staff_locations sl ON sl.user_id = s.id
    WHERE sl.location_id = :location_id AND s.is_active AND s.role = ANY(:roles) AND s.availability <> 'away'
"""
"""The location's assignable staff with their open-lead counts (the intake joins it to its person match)."""
