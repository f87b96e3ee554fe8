"""The contact deadline of a lead: business time in the location's zone, and the after-hours rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from router.core.models import Location
from router.practices.hours import BusinessHours
from router.practices.settings import PracticeSettings


@dataclass(frozen=True)
class ContactDeadline:
    """When the clock started, when contact is due, and whether overflow agents take it at once."""

    started_at: datetime
    due_at: datetime
    overflow: bool


def location_hours(location: Location) -> BusinessHours | None:
    """The location's business hours, or None for a location open around the clock."""
    if not location.business_hours:
        return None
    return BusinessHours.cached(
        time_zone=location.time_zone, business_hours=location.business_hours, holidays=location.holidays
    )


def contact_deadline(
    received_at: datetime, location: Location, settings: PracticeSettings
) -> ContactDeadline:
    """Deadline for first contact: `sla_minutes` of business time, or wall time for after-hours overflow."""
    received_at = received_at.astimezone(UTC)  # wall-clock sums in UTC stay right across a DST change
    sla = timedelta(minutes=settings.sla_minutes)
    hours = location_hours(location)
    if hours is None or hours.is_open(received_at):
        due = hours.add_business_time(received_at, sla) if hours else received_at + sla
        return ContactDeadline(received_at, due or received_at + sla, overflow=False)
    if settings.after_hours == "overflow":
        return ContactDeadline(received_at, received_at + sla, overflow=True)
    opening = hours.next_opening(received_at) or received_at
    due = hours.add_business_time(received_at, sla) or opening + sla
    return ContactDeadline(opening, due, overflow=False)


def runs_on_wall_clock(sla_started_at: datetime, hours: BusinessHours | None) -> bool:
    """An after-hours overflow lead (clock started while closed) is judged in wall time, as agents work."""
    return hours is None or not hours.is_open(sla_started_at)


def level2_due(
    *, sla_due_at: datetime, sla_started_at: datetime, location: Location, settings: PracticeSettings
) -> datetime:
    """When managers are texted/emailed: `escalation_level2_minutes` past the deadline (lead's clock)."""
    wait = timedelta(minutes=settings.escalation_level2_minutes)
    hours = location_hours(location)
    if runs_on_wall_clock(sla_started_at, hours):
        return sla_due_at.astimezone(UTC) + wait
    assert hours is not None
    return hours.add_business_time(sla_due_at, wait) or sla_due_at + wait


def sla_elapsed(
    *, received_at: datetime, sla_started_at: datetime, until: datetime, location: Location
) -> timedelta:
    """Time the SLA clock ran from arrival to `until`: business time; wall time for after-hours overflow."""
    hours = location_hours(location)
    if runs_on_wall_clock(sla_started_at, hours):
        return max(until.astimezone(UTC) - received_at.astimezone(UTC), timedelta(0))
    assert hours is not None
    return hours.business_time_between(received_at, until)
