"""Times as a person at the practice reads them: the location's zone with its abbreviation ("11:04 CST").

Stored times are UTC; every shown time goes through here, so a Central practice never reads UTC and
a daylight-saving change shows the right abbreviation on each side of it. Pages render
`local_time(moment, zone)`: a `<time>` element whose tooltip gives the UTC time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

RECENT_DAYS = 6
"""Within this many days a time shows the weekday ("Tue 09:30 CST"); older ones show the date."""


@lru_cache(maxsize=256)
def zone_of(name: str | None) -> ZoneInfo:
    """The named IANA zone; UTC when none is known (a lead without a location)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_zone(moment: datetime, zone: str | tzinfo | None) -> datetime:
    """The moment on the zone's wall clock (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone if isinstance(zone, tzinfo) else zone_of(zone))


def clock_time(moment: datetime, zone: str | tzinfo | None) -> str:
    """Hours, minutes and the zone's abbreviation at that moment: "11:04 CST", "10:04 CDT"."""
    local = in_zone(moment, zone)
    return f"{local:%H:%M} {local.tzname()}"


def local_text(
    moment: datetime, zone: str | tzinfo | None, *, now: datetime | None = None, date: bool | None = None
) -> str:
    """The moment as plain text: the clock time today, with the weekday this week, else with the date.

    `date=True` always names the day ("Dec 4, 11:04 CST"); `False` never does.
    """
    local = in_zone(moment, zone)
    clock = f"{local:%H:%M} {local.tzname()}"
    if date is False:
        return clock
    if date is None and now is not None:
        today = in_zone(now, zone).date()
        if local.date() == today:
            return clock
        if timedelta(0) < today - local.date() <= timedelta(days=RECENT_DAYS):
            return f"{local:%a} {clock}"
    day = f"{local:%b} {local.day}"
    if now is not None and in_zone(now, zone).year != local.year:
        day += f" {local.year}"
    return f"{day}, {clock}"


def utc_text(moment: datetime) -> str:
    """The UTC time for the tooltip: "2026-12-04 17:04 UTC"."""
    return f"{in_zone(moment, UTC):%Y-%m-%d %H:%M} UTC"


def local_time(
    moment: datetime | None,
    zone: str | tzinfo | None,
    *,
    now: datetime | None = None,
    date: bool | None = None,
    empty: str = "—",
) -> Markup:
    """A `<time>` element showing the local time, with the UTC time in its tooltip."""
    if moment is None:
        return Markup(escape(empty))
    text = local_text(moment, zone, now=now, date=date)
    iso = in_zone(moment, UTC).isoformat()
    return Markup(f'<time datetime="{escape(iso)}" title="{escape(utc_text(moment))}">{escape(text)}</time>')


def ago(moment: datetime, now: datetime) -> str:
    """How long ago, in the words a person uses: "just now", "4 min ago", "2 h 5 min ago", "3 days ago"."""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    days = hours // 24
    return f"{days} day{'s' if days > 1 else ''} ago"


def zone_label(zone: str | tzinfo | None, at: datetime) -> str:
    """The zone's abbreviation at a moment, for a dashboard that says which zone it uses ("CST")."""
    return in_zone(at, zone).tzname() or "UTC"
