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
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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

from router.core.models import FunnelEvent, Lead, Location, Practice, StaffUser
from router.privacy.access import PRACTICE_ADMIN, Viewer, may_do

DEFAULT_DAYS = 7
"""The period shown first: a week shows a change quickly and covers every weekday once."""
LONGEST_RANGE_DAYS = 366
"""A range longer than a year is refused: the figures would take long and say little."""
BREACH_LIST_LIMIT = 100
"""The breach list's length; a practice with more than this in its period has a bigger problem."""
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

    def narrowed(self, location_id: uuid.UUID | None) -> DashboardScope:
        """The scope of one of its locations (a location outside it narrows to nothing)."""
        if location_id is None:
            return self
        inside = self.location_ids is None or location_id in self.location_ids
        return replace(self, location_ids=frozenset({location_id}) if inside else frozenset())


@dataclass(frozen=True)
class DateRange:
    """Whole days in the practice's zone, first to last inclusive: the period the figures cover."""

    first_day: date
    last_day: date
    time_zone: str

    @classmethod
    def last_days(cls, now: datetime, time_zone: str, days: int = DEFAULT_DAYS) -> DateRange:
        today = now.astimezone(ZoneInfo(time_zone)).date()
        return cls(today - timedelta(days=days - 1), today, time_zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=ZoneInfo(self.time_zone))

    @property
    def end(self) -> datetime:
        """Midnight after the last day (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=ZoneInfo(self.time_zone))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def received_in(self, now: datetime) -> ColumnElement[bool]:
        """Leads that arrived in the range (and not after `now`)."""
        return and_(Lead.received_at >= self.start, Lead.received_at < min(self.end, now))


async def scope_for(session: AsyncSession, viewer: Viewer) -> DashboardScope | None:
    """A manager sees their own locations, a practice admin every location of their practice."""
    if not may_do(viewer, "dashboard.view") or viewer.practice_id is None:
        return None
    practice = await session.get(Practice, viewer.practice_id)
    if practice is None:
        return None
    locations = None if viewer.role == PRACTICE_ADMIN else viewer.location_ids
    return DashboardScope(practice.id, practice.name, practice.time_zone, locations)


def epoch(interval: Any) -> Any:
    return extract("epoch", interval)


def _at(now: datetime) -> Any:
    return literal(now, DateTime(timezone=True))


def met_sla() -> ColumnElement[bool]:
    return and_(Lead.first_contact_at.is_not(None), Lead.first_contact_at <= Lead.sla_due_at)


def breached(now: datetime) -> ColumnElement[bool]:
    return func.coalesce(Lead.first_contact_at, Lead.closed_at, now) > Lead.sla_due_at


@dataclass(frozen=True)
class WaitingRow:
    location: str
    waiting: int
    oldest_wait_seconds: float | None
    next_due_at: datetime | None
    """The nearest contact deadline among the waiting leads (past when one is overdue)."""


async def waiting_now(session: AsyncSession, scope: DashboardScope, now: datetime) -> list[WaitingRow]:
    """Leads waiting for first contact per location, and how long the oldest has waited."""
    rows = await session.execute(
        select(
            Location.name,
            func.count(Lead.id),
            epoch(_at(now) - func.min(Lead.received_at)),
            func.min(Lead.sla_due_at),
        )
        .join(Location, Location.id == Lead.location_id)
        .where(scope.lead_filter(), Lead.status == "open", Lead.first_contact_at.is_(None))
        .group_by(Location.name)
        .order_by(Location.name)
    )
    return [
        WaitingRow(name, int(n), float(oldest) if oldest is not None else None, due)
        for name, n, oldest, due in rows
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


async def breaches_in(
    session: AsyncSession, scope: DashboardScope, now: datetime, period: DateRange
) -> list[BreachRow]:
    """Leads whose deadline fell in the period (practice time) and passed without contact, most late first."""
    late = epoch(func.coalesce(Lead.first_contact_at, Lead.closed_at, now) - Lead.sla_due_at)
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
            Lead.sla_due_at >= period.start,
            Lead.sla_due_at < min(now, period.end),
            breached(now),
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


def judged_and_met(now: datetime) -> tuple[Any, Any, Any]:
    """Count of judged leads, of those that met the SLA, and the percentage (one decimal; NULL for none)."""
    judged = or_(met_sla(), breached(now))
    met_count, judged_count = func.count().filter(met_sla()), func.count().filter(judged)
    percent = func.round(cast(met_count, Numeric) * 100 / func.nullif(judged_count, 0), 1)
    return judged_count, met_count, percent


async def sla_rates(
    session: AsyncSession, scope: DashboardScope, now: datetime, periods: list[tuple[str, DateRange]]
) -> list[SlaRate]:
    """% contacted within the SLA among judged leads that arrived in each period."""
    rates = []
    for label, period in periods:
        row = (
            await session.execute(
                select(*judged_and_met(now)).where(scope.lead_filter(), period.received_in(now))
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
    session: AsyncSession, scope: DashboardScope, now: datetime, *, dimension: str, period: DateRange
) -> list[ContactTimeRow]:
    """Median and p90 time to first contact of leads that arrived in the period, grouped."""
    group = _dimension(dimension).label("grp")
    wall = epoch(Lead.first_contact_at - Lead.received_at)
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
            period.received_in(now),
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
    waited = epoch(Lead.first_contact_at - Lead.received_at)
    return case(
        (Lead.first_contact_at.is_(None), SPEED_BUCKETS[5]),
        (waited < 5 * 60, SPEED_BUCKETS[0]),
        (waited < 30 * 60, SPEED_BUCKETS[1]),
        (waited < 60 * 60, SPEED_BUCKETS[2]),
        (waited < 24 * 3600, SPEED_BUCKETS[3]),
        else_=SPEED_BUCKETS[4],
    )


async def conversion_by_speed(
    session: AsyncSession, scope: DashboardScope, now: datetime, *, period: DateRange
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
        .where(scope.lead_filter(), period.received_in(now))
        .group_by(bucket)
    )
    found = {name: SpeedBucketRow(name, int(n), int(b), float(p)) for name, n, b, p in rows}
    return [found.get(name, SpeedBucketRow(name, 0, 0, None)) for name in SPEED_BUCKETS]
