"""The clock: domain code reads `domain.clock`, or `clock_of(session)` where only a session is at hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


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


SESSION_CLOCK = "clock"
"""The key in `session.info` of the clock of the domain whose sessionmaker opened the session."""


def sessions_on_clock(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Callable[[], Clock]
) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker like `sessionmaker` whose sessions know `clock()` (the domain's current clock).

    Rows written with only a session at hand (domain events, audit records, model promotions) are
    stamped with it, so the time a test or simulation sets is the time every row records.
    """
    kw = dict(sessionmaker.kw)
    info = {**kw.pop("info", {}), SESSION_CLOCK: clock}
    return async_sessionmaker(class_=sessionmaker.class_, info=info, **kw)


def clock_of(session: AsyncSession) -> Clock:
    """The clock of the domain that opened `session` (see `sessions_on_clock`)."""
    try:
        return session.info[SESSION_CLOCK]()
    except KeyError:
        raise LookupError("this session was not opened by a Domain's sessionmaker: it has no clock") from None
