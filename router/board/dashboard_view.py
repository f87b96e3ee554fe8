"""The manager dashboard as one page: the figures of router/board/dashboard.py for a period and an
office, the daily trend, the "waiting now" urgency, and the latest manager alerts.

Daily trend: for each day of the period (the practice's days), the leads that arrived that day,
how many were judged and met the SLA (as on the rate tile), and their median time to first contact
from arrival and in business time. Ranges longer than `WEEKLY_AFTER_DAYS` are shown by week.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.board.dashboard import (
    DIMENSIONS,
    BreachRow,
    ContactTimeRow,
    DashboardScope,
    DateRange,
    SlaRate,
    SpeedBucketRow,
    WaitingRow,
    breaches_in,
    conversion_by_speed,
    epoch,
    judged_and_met,
    sla_rates,
    time_to_contact,
    waiting_now,
)
from router.core.models import Lead, Location, ManagerAlert

ALERT_LIST_LIMIT = 20
DUE_SOON_SECONDS = 120
"""The "waiting now" tile turns amber when a waiting lead is this close to its deadline: two
minutes is the time it takes to finish a call and pick up the next one."""
WEEKLY_AFTER_DAYS = 31
"""Up to a month the trend has a row per day; longer periods get a row per week (from Monday)."""


@dataclass(frozen=True)
class TrendRow:
    """One day (or week) of the period."""

    first_day: date
    last_day: date
    leads: int
    judged: int
    met: int
    percent: float | None
    median_seconds: float | None
    median_business_seconds: float | None


def _bucket_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


async def daily_trend(
    session: AsyncSession, scope: DashboardScope, now: datetime, period: DateRange
) -> list[TrendRow]:
    """The period day by day (or week by week), empty days included."""
    weekly = period.days > WEEKLY_AFTER_DAYS
    local_day = cast(func.timezone(period.time_zone, Lead.received_at), Date)
    bucket = (func.date_trunc("week", local_day) if weekly else local_day).label("bucket")
    wall = epoch(Lead.first_contact_at - Lead.received_at)
    rows = await session.execute(
        select(
            cast(bucket, Date),
            func.count(),
            *judged_and_met(now),
            func.percentile_cont(0.5).within_group(wall),
            func.percentile_cont(0.5).within_group(Lead.first_contact_business_seconds),
        )
        .where(scope.lead_filter(), period.received_in(now))
        .group_by(bucket)
    )
    found = {row[0]: row for row in rows}
    trend = []
    day = _bucket_start(period.first_day, weekly)
    while day <= period.last_day:
        last = min(day + timedelta(days=6 if weekly else 0), period.last_day)
        row = found.get(day)
        if row is None:
            trend.append(TrendRow(max(day, period.first_day), last, 0, 0, 0, None, None, None))
        else:
            _, leads, judged, met, percent, median, business = row
            trend.append(
                TrendRow(
                    max(day, period.first_day),
                    last,
                    int(leads),
                    int(judged),
                    int(met),
                    float(percent) if percent is not None else None,
                    float(median) if median is not None else None,
                    float(business) if business is not None else None,
                )
            )
        day += timedelta(days=7 if weekly else 1)
    return trend


@dataclass(frozen=True)
class AlertRow:
    id: uuid.UUID
    lead_id: uuid.UUID
    location: str | None
    level: int
    message: str
    deliveries: list[dict[str, Any]]
    created_at: datetime
    call_task_id: uuid.UUID | None = None
    """Set when the alert is about an overdue follow-up call rather than a lead's first contact."""


async def recent_alerts(session: AsyncSession, scope: DashboardScope) -> list[AlertRow]:
    """The latest escalation alerts of the managers' locations."""
    where = [ManagerAlert.practice_id == scope.practice_id]
    if scope.location_ids is not None:
        where.append(ManagerAlert.location_id.in_(scope.location_ids))
    rows = await session.execute(
        select(
            ManagerAlert.id,
            ManagerAlert.lead_id,
            Location.name,
            ManagerAlert.level,
            ManagerAlert.message,
            ManagerAlert.deliveries,
            ManagerAlert.created_at,
            ManagerAlert.call_task_id,
        )
        .outerjoin(Location, Location.id == ManagerAlert.location_id)
        .where(*where)
        .order_by(ManagerAlert.created_at.desc())
        .limit(ALERT_LIST_LIMIT)
    )
    return [AlertRow(*row) for row in rows]


@dataclass(frozen=True)
class Dashboard:
    """Everything the manager dashboard shows, as of `now`, for `period`."""

    scope: DashboardScope
    now: datetime
    period: DateRange
    waiting: list[WaitingRow]
    breaches: list[BreachRow]
    breaches_today: int
    sla: list[SlaRate]
    contact_times: dict[str, list[ContactTimeRow]]
    speed: list[SpeedBucketRow]
    trend: list[TrendRow]
    alerts: list[AlertRow]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.scope.time_zone)

    @property
    def waiting_total(self) -> int:
        return sum(row.waiting for row in self.waiting)

    @property
    def oldest_wait_seconds(self) -> float | None:
        waits = [row.oldest_wait_seconds for row in self.waiting if row.oldest_wait_seconds is not None]
        return max(waits) if waits else None

    @property
    def urgency(self) -> str:
        """late (a waiting lead is past its deadline), soon (within two minutes of it), or calm."""
        deadlines = [row.next_due_at for row in self.waiting if row.next_due_at is not None]
        if not deadlines:
            return "calm"
        nearest = min(deadlines)
        if nearest <= self.now:
            return "late"
        return "soon" if nearest <= self.now + timedelta(seconds=DUE_SOON_SECONDS) else "calm"

    @property
    def nearest_deadline(self) -> datetime | None:
        deadlines = [row.next_due_at for row in self.waiting if row.next_due_at is not None]
        return min(deadlines) if deadlines else None


async def load_dashboard(
    session: AsyncSession,
    scope: DashboardScope,
    now: datetime,
    *,
    period: DateRange | None = None,
    days: int = 30,
) -> Dashboard:
    """All figures of the dashboard (no PHI: ids, places, sources and times only)."""
    period = period or DateRange.last_days(now, scope.time_zone, days)
    today = DateRange.last_days(now, scope.time_zone, 1)
    return Dashboard(
        scope=scope,
        now=now,
        period=period,
        waiting=await waiting_now(session, scope, now),
        breaches=await breaches_in(session, scope, now, period),
        breaches_today=len(await breaches_in(session, scope, now, today)),
        sla=await sla_rates(session, scope, now, [("today", today), (period_words(period, now), period)]),
        contact_times={
            dimension: await time_to_contact(session, scope, now, dimension=dimension, period=period)
            for dimension in DIMENSIONS
        },
        speed=await conversion_by_speed(session, scope, now, period=period),
        trend=await daily_trend(session, scope, now, period),
        alerts=await recent_alerts(session, scope),
    )


async def location_choices(session: AsyncSession, scope: DashboardScope) -> list[tuple[uuid.UUID, str]]:
    """The offices the dashboard may be filtered to (the viewer's own)."""
    query = select(Location.id, Location.name).where(Location.practice_id == scope.practice_id)
    if scope.location_ids is not None:
        query = query.where(Location.id.in_(scope.location_ids))
    return [(i, name) for i, name in (await session.execute(query.order_by(Location.name))).all()]


def period_words(period: DateRange, now: datetime) -> str:
    """ "last 7 days", or "Mar 1 to Mar 14" for another range."""
    today = now.astimezone(ZoneInfo(period.time_zone)).date()
    if period.last_day == today:
        return "today" if period.days == 1 else f"last {period.days} days"
    first, last = period.first_day, period.last_day
    return f"{first.strftime('%b')} {first.day} to {last.strftime('%b')} {last.day}"
