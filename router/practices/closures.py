"""An office's closures calendar: whole days it is closed (holidays, a training day), each with a name.

The dates are the office's `holidays` (what the SLA clock skips); `closure_names` labels them for
the calendar. Adding or removing a day moves the deadlines of leads waiting at the office, like an
hours change, and the page says how many moved.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import Location, Practice
from router.practices.deadlines import (
    OfficeHours,
    apply_deadline_changes,
    deadline_changes,
    schedule_moved_deadlines,
)
from router.practices.location_admin import editable_office
from router.practices.settings import PracticeSettings
from router.practices.settings_admin import record_configuration_change
from router.privacy import audit
from router.privacy.access import Viewer, require

MONTHS_SHOWN = 3
"""The calendar shows this month and the next two: the closures a front desk plans around."""


@dataclass(frozen=True)
class Closure:
    day: date
    name: str


def closures_of(location: Location, *, since: date | None = None) -> list[Closure]:
    """The office's closed days (from `since`), oldest first."""
    days = sorted(date.fromisoformat(str(d)) for d in location.holidays or [])
    names = location.closure_names or {}
    return [Closure(d, names.get(d.isoformat(), "Closed")) for d in days if since is None or d >= since]


@dataclass(frozen=True)
class MonthGrid:
    title: str
    weeks: list[list[tuple[int, str | None] | None]]
    """Weeks from Monday; each day (day of month, closure name or None), None outside the month."""


def calendar_months(location: Location, today: date, months: int = MONTHS_SHOWN) -> list[MonthGrid]:
    names = {c.day: c.name for c in closures_of(location)}
    grids = []
    year, month = today.year, today.month
    for _ in range(months):
        weeks = [
            [(d.day, names.get(d)) if d.month == month else None for d in week]
            for week in calendar.Calendar().monthdatescalendar(year, month)
        ]
        grids.append(MonthGrid(f"{calendar.month_name[month]} {year}", weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return grids


async def change_closure(
    domain: Domain,
    viewer: Viewer,
    location_id: uuid.UUID,
    *,
    day_text: str,
    name: str,
    add: bool,
    actor: audit.Actor,
) -> int:
    """Add (or remove) a closed day; returns how many waiting leads' deadlines moved."""
    require(viewer, "practice.configure")
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError as exc:
        raise InvalidFields({"closure_day": "Enter the date of the closure, like 2026-11-26."}) from exc
    name = " ".join(name.split())[:80] or "Closed"
    async with domain.transaction() as session:
        location = editable_office(
            viewer, await session.get(Location, location_id, with_for_update=True, populate_existing=True)
        )
        practice = await session.get(Practice, location.practice_id)
        assert practice is not None
        days: set[str] = {str(d) for d in location.holidays or []}
        names: dict[str, Any] = dict(location.closure_names or {})
        if add:
            days.add(day.isoformat())
            names[day.isoformat()] = name
        else:
            days.discard(day.isoformat())
            names.pop(day.isoformat(), None)
        moved = await deadline_changes(
            session,
            location.id,
            OfficeHours(location.time_zone, location.business_hours, sorted(days)),
            PracticeSettings.from_json(practice.settings),
            lock=True,
        )
        location.holidays, location.closure_names = sorted(days), names
        location.revision += 1
        location.updated_at, location.updated_by_user_id = domain.clock.now(), viewer.user_id
        audit.record(
            session,
            actor=actor,
            action="location.closure_added" if add else "location.closure_removed",
            practice_id=location.practice_id,
            details={
                "location_id": str(location.id),
                "day": day.isoformat(),
                "name": name,
                "deadlines_moved": len(moved),
            },
        )
        await apply_deadline_changes(session, moved)
        await record_configuration_change(session, location.practice_id, "location")
    domain.forget_practice(location.practice_id)
    await schedule_moved_deadlines(domain, moved)
    return len(moved)


def local_today(location: Location, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(location.time_zone)).date()
