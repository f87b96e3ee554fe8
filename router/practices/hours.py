"""Business hours of a location in its own time zone: open/closed, next opening, business time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEARCH_DAYS = 400
"""How far ahead we look for an opening: a location closed for more than a year has no SLA."""


_PARSED: dict[tuple[str, str, str], BusinessHours] = {}
_PARSED_LIMIT = 1024
"""Distinct hours configurations remembered per process (cleared when full: a cache, not a registry)."""


class HoursError(ValueError):
    """Business hours that cannot be understood."""


def _parse_time(value: str) -> time:
    hours, _, minutes = value.partition(":")
    if hours == "24" and minutes in {"00", ""}:
        return time.max
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening intervals (several per day, so a lunch closure is expressible) and holidays."""

    zone: ZoneInfo
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date]

    @classmethod
    def from_config(
        cls,
        *,
        time_zone: str,
        business_hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Sequence[Any] = (),
    ) -> BusinessHours:
        weekly: dict[int, tuple[tuple[time, time], ...]] = {}
        for name, intervals in business_hours.items():
            if name not in WEEKDAYS:
                raise HoursError(f"unknown weekday {name!r}")
            parsed = tuple(sorted((_parse_time(a), _parse_time(b)) for a, b in intervals))
            if any(a >= b for a, b in parsed):
                raise HoursError(f"{name}: an interval must end after it starts")
            weekly[WEEKDAYS.index(name)] = parsed
        days = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in holidays)
        return cls(zone=ZoneInfo(time_zone), weekly=weekly, holidays=days)

    @classmethod
    def cached(
        cls,
        *,
        time_zone: str,
        business_hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Sequence[Any] | None = (),
    ) -> BusinessHours:
        """`from_config`, remembered: assignment and the SLA read the same few locations' hours for
        every inquiry, and parsing them each time cost more than the rest of the staff choice."""
        key = (time_zone, repr(business_hours), repr(holidays))
        hours = _PARSED.get(key)
        if hours is None:
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.clear()
            hours = _PARSED[key] = cls.from_config(
                time_zone=time_zone, business_hours=business_hours, holidays=holidays or ()
            )
        return hours

    def _intervals_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if day in self.holidays:
            return
        for start, end in self.weekly.get(day.weekday(), ()):
            opens = datetime.combine(day, start, tzinfo=self.zone)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
                if end == time.max
                else datetime.combine(day, end, tzinfo=self.zone)
            )
            yield opens.astimezone(UTC), closes.astimezone(UTC)

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        # In UTC: arithmetic on two datetimes of one ZoneInfo ignores a DST change between them.
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(_SEARCH_DAYS):
            for opens, closes in self._intervals_on(day + timedelta(days=offset)):
                if closes > moment:
                    yield max(opens, moment), closes

    def is_open(self, moment: datetime) -> bool:
        """Whether the location is open at this instant."""
        interval = next(self._intervals_from(moment), None)
        return interval is not None and interval[0] <= moment

    def next_opening(self, moment: datetime) -> datetime | None:
        """The instant business time next runs: `moment` itself when open."""
        interval = next(self._intervals_from(moment), None)
        return interval[0] if interval else None

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime | None:
        """The instant at which `duration` of open time has passed since `start`."""
        remaining = duration
        for opens, closes in self._intervals_from(start):
            span = closes - opens
            if remaining <= span:
                return opens + remaining
            remaining -= span
        return None

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time elapsed between two instants (what the SLA judges)."""
        total = timedelta(0)
        end = end.astimezone(UTC)
        if end <= start:
            return total
        for opens, closes in self._intervals_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total
