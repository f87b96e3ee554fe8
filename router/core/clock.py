"""The one clock all domain code reads, so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to a moment."""
        self._now = moment


_clock: Clock = Clock()


def get_clock() -> Clock:
    """The process-wide clock."""
    return _clock


def set_clock(clock: Clock) -> None:
    """Replace the process-wide clock (tests only)."""
    global _clock
    _clock = clock


def utcnow() -> datetime:
    """Now, from the process-wide clock."""
    return _clock.now()
