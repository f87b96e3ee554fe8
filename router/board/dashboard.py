"""The manager's response-time figures, every one computed in SQL from what the leads recorded.

Definitions (each shown on the dashboard beside its number):
- waiting: open and not contacted yet.
- met the SLA: first contact at or before the deadline (`sla_due_at`).
- breached: the deadline passed before contact or closing (a lead closed before its deadline is
  not judged; one still inside its deadline is not judged yet).
- time to contact, patient's view: first contact minus arrival (wall time).
- time to contact, SLA's view: `first_contact_business_seconds` (business time; wall time for
  after-hours overflow leads), stored when contact happens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import FunnelEvent, Lead, Location, ManagerAlert, Practice, StaffUser
from router.privacy.access import PRACTICE_ADMIN, Viewer, may_do

PERIODS_DAYS = (7, 30)
"""Besides today: the week shows a change quickly, the month is steady enough to compare staff."""
BREACH_LIST_LIMIT = 100
"""Today's breach list; a practice with more than this today has a bigger problem than the list."""
ALERT_LIST_LIMIT = 20
BOOKED_STAGES = (
    "appointment_scheduled",
    "appointment_completed",
    "treatment_accepted",
    "treatment_completed",
)
SPEED_BUCKETS = ("under 5 min", "5-30 min", "30-60 min", "1-24 h", "later", "not contacted")
DIMENSIONS = ("location", "staff", "source", "hour")


@dataclass(frozen=True)
class DashboardScope:
    """The practice and locations a manager's figures cover (None: every location of the practice)."""

    practice_id: uuid.UUID
    practice_name: str
    time_zone: str
    location_ids: frozenset[uuid.UUID] | None

    def lead_filter(self) -> ColumnElement[bool]:
        if self.location_ids is None:
            return Lead.practice_id == self.practice_id
        return and_(Lead.practice_id == self.practice_id, Lead.location_id.in_(self.location_ids))


async def scope_for(session: AsyncSession, viewer: Viewer) -> DashboardScope | None:
    """A manager sees their own locations, a practice admin every location of their practice."""
    if not may_do(viewer, "dashboard.view") or viewer.practice_id is None:
        return None
    practice = await session.get(Practice, viewer.practice_id)
    if practice is None:
        return None
    locations = None if viewer.role == PRACTICE_ADMIN else viewer.location_ids
    return DashboardScope(practice.id, practice.name, practice.time_zone, locations)


def _epoch(interval: Any) -> Any:
    return extract("epoch", interval)


def _at(now: datetime) -> Any:
    return literal(now, DateTime(timezone=True))


def _met() -> ColumnElement[bool]:
    return and_(Lead.first_contact_at.is_not(None), Lead.first_contact_at <= Lead.sla_due_at)


def _breached(now: datetime) -> ColumnElement[bool]:
    return func.coalesce(Lead.first_contact_at, Lead.closed_at, now) > Lead.sla_due_at


def _local_day_start(now: datetime, time_zone: str) -> Any:
    """Midnight of today in the practice's zone, as an instant (computed by PostgreSQL)."""
    return func.timezone(time_zone, func.date_trunc("day", func.timezone(time_zone, _at(now))))


@dataclass(frozen=True)
class WaitingRow:
    location: str
    waiting: int
    oldest_wait_seconds: float | None


async def waiting_now(session: AsyncSession, scope: DashboardScope, now: datetime) -> list[WaitingRow]:
    """Leads waiting for first contact per location, and how long the oldest has waited."""
    rows = await session.execute(
        select(
            Location.name,
            func.count(Lead.id),
            _epoch(_at(now) - func.min(Lead.received_at)),
        )
        .join(Location, Location.id == Lead.location_id)
        .where(scope.lead_filter(), Lead.status == "open", Lead.first_contact_at.is_(None))
        .group_by(Location.name)
        .order_by(Location.name)
    )
    return [
        WaitingRow(name, int(n), float(oldest) if oldest is not None else None) for name, n, oldest in rows
    ]


@dataclass(frozen=True)
class BreachRow:
    lead_id: uuid.UUID
    location: str | None
    source: str
    received_at: datetime
    sla_due_at: datetime
    late_seconds: float
    escalation_level: int
    contacted: bool
    status: str


async def breaches_today(session: AsyncSession, scope: DashboardScope, now: datetime) -> list[BreachRow]:
    """Leads whose deadline fell today (practice time) and passed without contact, most late first."""
    late = _epoch(func.coalesce(Lead.first_contact_at, Lead.closed_at, now) - Lead.sla_due_at)
    rows = await session.execute(
        select(
            Lead.id,
            Location.name,
            Lead.source_channel,
            Lead.received_at,
            Lead.sla_due_at,
            late,
            Lead.escalation_level,
            Lead.first_contact_at.is_not(None),
            Lead.status,
        )
        .outerjoin(Location, Location.id == Lead.location_id)
        .where(
            scope.lead_filter(),
            Lead.sla_due_at >= _local_day_start(now, scope.time_zone),
            Lead.sla_due_at < now,
            _breached(now),
        )
        .order_by(late.desc())
        .limit(BREACH_LIST_LIMIT)
    )
    return [BreachRow(*row[:5], float(row[5]), *row[6:]) for row in rows]


@dataclass(frozen=True)
class SlaRate:
    period: str
    judged: int
    met: int
    percent: float | None
    """None when nothing was judged yet (never a made-up 100 %)."""


async def sla_rates(session: AsyncSession, scope: DashboardScope, now: datetime) -> list[SlaRate]:
    """% contacted within the SLA among judged leads that arrived today, in 7 days and in 30 days."""
    periods: list[tuple[str, Any]] = [("today", _local_day_start(now, scope.time_zone))]
    periods += [(f"{days} days", _at(now) - func.make_interval(0, 0, 0, days)) for days in PERIODS_DAYS]
    judged = or_(_met(), _breached(now))
    met_count, judged_count = func.count().filter(_met()), func.count().filter(judged)
    rates = []
    for label, since in periods:
        row = (
            await session.execute(
                select(
                    judged_count,
                    met_count,
                    func.round(cast(met_count, Numeric) * 100 / func.nullif(judged_count, 0), 1),
                ).where(scope.lead_filter(), Lead.received_at >= since, Lead.received_at <= now)
            )
        ).one()
        rates.append(SlaRate(label, int(row[0]), int(row[1]), float(row[2]) if row[2] is not None else None))
    return rates


@dataclass(frozen=True)
class ContactTimeRow:
    """Median and p90 time to first contact of one group, in both views."""

    label: str
    contacted: int
    median_seconds: float
    p90_seconds: float
    median_business_seconds: float | None
    p90_business_seconds: float | None


def _dimension(dimension: str) -> Any:
    if dimension == "location":
        return Location.name
    if dimension == "staff":
        return func.coalesce(StaffUser.display_name, "not logged by a person")
    if dimension == "source":
        return Lead.source_channel
    if dimension == "hour":
        # The hour of arrival on the location's own clock.
        return cast(extract("hour", func.timezone(Location.time_zone, Lead.received_at)), Integer)
    raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")


async def time_to_contact(
    session: AsyncSession, scope: DashboardScope, now: datetime, *, dimension: str, days: int = 30
) -> list[ContactTimeRow]:
    """Median and p90 time to first contact of leads that arrived in the last `days`, grouped."""
    group = _dimension(dimension).label("grp")
    wall = _epoch(Lead.first_contact_at - Lead.received_at)
    business = Lead.first_contact_business_seconds

    def pct(fraction: float, value: Any) -> Any:
        return func.percentile_cont(fraction).within_group(value)

    rows = await session.execute(
        select(group, func.count(), pct(0.5, wall), pct(0.9, wall), pct(0.5, business), pct(0.9, business))
        .select_from(Lead)
        .outerjoin(Location, Location.id == Lead.location_id)
        .outerjoin(StaffUser, StaffUser.id == Lead.first_contact_user_id)
        .where(
            scope.lead_filter(),
            Lead.first_contact_at.is_not(None),
            Lead.received_at >= _at(now) - func.make_interval(0, 0, 0, days),
            Lead.received_at <= now,
        )
        .group_by(group)
        .order_by(group)
    )
    return [
        ContactTimeRow(
            label=str(label) if dimension != "hour" else f"{int(label):02d}:00",
            contacted=int(n),
            median_seconds=float(p50),
            p90_seconds=float(p90),
            median_business_seconds=float(b50) if b50 is not None else None,
            p90_business_seconds=float(b90) if b90 is not None else None,
        )
        for label, n, p50, p90, b50, b90 in rows
    ]


@dataclass(frozen=True)
class SpeedBucketRow:
    bucket: str
    leads: int
    booked: int
    percent: float | None


def _speed_bucket() -> Any:
    waited = _epoch(Lead.first_contact_at - Lead.received_at)
    return case(
        (Lead.first_contact_at.is_(None), SPEED_BUCKETS[5]),
        (waited < 5 * 60, SPEED_BUCKETS[0]),
        (waited < 30 * 60, SPEED_BUCKETS[1]),
        (waited < 60 * 60, SPEED_BUCKETS[2]),
        (waited < 24 * 3600, SPEED_BUCKETS[3]),
        else_=SPEED_BUCKETS[4],
    )


async def conversion_by_speed(
    session: AsyncSession, scope: DashboardScope, now: datetime, *, days: int = 30
) -> list[SpeedBucketRow]:
    """Share of leads that booked an appointment, by how fast they were first contacted."""
    bucket = _speed_bucket().label("bucket")
    booked = or_(
        Lead.close_reason == "appointment_booked",
        exists().where(FunnelEvent.lead_id == Lead.id, FunnelEvent.stage.in_(BOOKED_STAGES)),
    )
    rows = await session.execute(
        select(
            bucket,
            func.count(),
            func.count().filter(booked),
            func.round(cast(func.count().filter(booked), Numeric) * 100 / func.count(), 1),
        )
        .where(
            scope.lead_filter(),
            Lead.received_at >= _at(now) - func.make_interval(0, 0, 0, days),
            Lead.received_at <= now,
        )
        .group_by(bucket)
    )
    found = {name: SpeedBucketRow(name, int(n), int(b), float(p)) for name, n, b, p in rows}
    return [found.get(name, SpeedBucketRow(name, 0, 0, None)) for name in SPEED_BUCKETS]


@dataclass(frozen=True)
class AlertRow:
    id: uuid.UUID
    lead_id: uuid.UUID
    location: str | None
    level: int
    message: str
    deliveries: list[dict[str, Any]]
    created_at: datetime


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
        )
        .outerjoin(Location, Location.id == ManagerAlert.location_id)
        .where(*where)
        .order_by(ManagerAlert.created_at.desc())
        .limit(ALERT_LIST_LIMIT)
    )
    return [AlertRow(*row) for row in rows]


@dataclass(frozen=True)
class Dashboard:
    """Everything the manager dashboard shows, as of `now`."""

    scope: DashboardScope
    now: datetime
    days: int
    waiting: list[WaitingRow]
    breaches: list[BreachRow]
    sla: list[SlaRate]
    contact_times: dict[str, list[ContactTimeRow]]
    speed: list[SpeedBucketRow]
    alerts: list[AlertRow]

    @property
    def waiting_total(self) -> int:
        return sum(row.waiting for row in self.waiting)

    @property
    def oldest_wait_seconds(self) -> float | None:
        waits = [row.oldest_wait_seconds for row in self.waiting if row.oldest_wait_seconds is not None]
        return max(waits) if waits else None


async def load_dashboard(
    session: AsyncSession, scope: DashboardScope, now: datetime, *, days: int = 30
) -> Dashboard:
    """All figures of the dashboard (no PHI: ids, places, sources and times only)."""
    return Dashboard(
        scope=scope,
        now=now,
        days=days,
        waiting=await waiting_now(session, scope, now),
        breaches=await breaches_today(session, scope, now),
        sla=await sla_rates(session, scope, now),
        contact_times={
            dimension: await time_to_contact(session, scope, now, dimension=dimension, days=days)
            for dimension in DIMENSIONS
        },
        speed=await conversion_by_speed(session, scope, now, days=days),
        alerts=await recent_alerts(session, scope),
    )
