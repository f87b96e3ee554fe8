"""The no-show report: per office, each month's share of visits the patient missed, with the counts,
before and after the practice switched reminders on.

A visit counts once its outcome is known from the practice-management system: completed or a
no-show (cancelled visits and visits with no outcome yet are not in the rate). Months are the
office's calendar months; the month reminders were switched on is marked, and the totals compare
every visit that started before that moment with every visit after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import Appointment, Location, ReminderSettings
from router.privacy.access import Viewer, require

MONTHS = 12
"""A year of months: enough to see a before and an after around the switch."""


@dataclass(frozen=True)
class MonthRow:
    month: date
    visits: int
    no_shows: int
    period: str
    """before, switched (reminders were switched on during this month) or after."""

    @property
    def rate(self) -> float | None:
        return self.no_shows / self.visits if self.visits else None


@dataclass(frozen=True)
class Totals:
    visits: int = 0
    no_shows: int = 0

    @property
    def rate(self) -> float | None:
        return self.no_shows / self.visits if self.visits else None


@dataclass
class OfficeReport:
    location_id: uuid.UUID
    name: str
    months: list[MonthRow] = field(default_factory=list)
    before: Totals = Totals()
    after: Totals = Totals()


@dataclass(frozen=True)
class NoShowReport:
    switched_on_at: datetime | None
    offices: list[OfficeReport]


def _month_start(moment: date) -> date:
    return moment.replace(day=1)


def _months_back(today: date, count: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def no_show_report(session: AsyncSession, viewer: Viewer, *, now: datetime) -> NoShowReport:
    """The report for the viewer's practice and offices (managers: `funnel.view`)."""
    require(viewer, "funnel.view")
    assert viewer.practice_id is not None
    settings = await session.get(ReminderSettings, viewer.practice_id)
    switched = settings.first_enabled_at if settings else None
    offices = (
        await session.scalars(
            select(Location)
            .where(Location.practice_id == viewer.practice_id, Location.id.in_(viewer.location_ids))
            .order_by(Location.name)
        )
    ).all()
    return NoShowReport(switched, [await _office(session, office, switched, now) for office in offices])


async def _office(
    session: AsyncSession, office: Location, switched: datetime | None, now: datetime
) -> OfficeReport:
    zone = ZoneInfo(office.time_zone)
    months = _months_back(now.astimezone(zone).date(), MONTHS)
    local_month = cast(func.date_trunc("month", func.timezone(office.time_zone, Appointment.starts_at)), Date)
    missed = func.count().filter(Appointment.status == "no_show")
    known = Appointment.status.in_(("no_show", "completed"))
    since = datetime(months[0].year, months[0].month, 1, tzinfo=zone)
    counted = (
        select(local_month, func.count(), missed)
        .where(Appointment.location_id == office.id, known, Appointment.starts_at >= since)
        .group_by(local_month)
    )
    by_month = {month: (visits, no_shows) for month, visits, no_shows in await session.execute(counted)}
    switch_month = _month_start(switched.astimezone(zone).date()) if switched else None
    report = OfficeReport(office.id, office.name)
    for month in months:
        visits, no_shows = by_month.get(month, (0, 0))
        period = (
            "before"
            if switch_month is None or month < switch_month
            else "switched"
            if month == switch_month
            else "after"
        )
        report.months.append(MonthRow(month, int(visits), int(no_shows), period))
    if switched is not None:
        side = Appointment.starts_at >= switched
        totals = await session.execute(
            select(side, func.count(), missed)
            .where(Appointment.location_id == office.id, known, Appointment.starts_at <= now)
            .group_by(side)
        )
        for after, visits, no_shows in totals:
            if after:
                report.after = Totals(int(visits), int(no_shows))
            else:
                report.before = Totals(int(visits), int(no_shows))
    return report
