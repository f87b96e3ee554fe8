"""Receive times as exports write them: ISO 8601, US month/day with a 12- or 24-hour clock, month names,
Excel serial numbers, and dates without a time.

A value without a time of day is read as the start of that day but flagged, so the time-of-day
features stay missing for it (a hand-typed call is not a midnight inquiry). Slash dates are read
month first (US) unless the practice's map says `day_first`; a value that only makes sense the
other way round ("25/03/2025") is refused with that hint rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_CLOCK = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?\s*(?P<half>[ap]\.?\s?m\.?)?"
_SLASHED = re.compile(
    r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<year>\d{4}|\d{2})(?:[ T,]+" + _CLOCK + r")?$", re.IGNORECASE
)
_NAMED = re.compile(
    r"^(?:[a-z]{3,9},?\s+)?(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"(?:[ ,]+(?:at\s+)?" + _CLOCK + r")?$",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_EXCEL_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Excel's serial dates (the 1900 leap-year bug folded in, as Excel itself does)."""
_EXCEL_SERIALS = (20_000.0, 80_000.0)
"""Serial numbers read as dates: 1954 to 2119, so a stray count is never taken for a date."""


class DayFirstDate(ValueError):
    """A slash date that only makes sense as day/month/year."""


@dataclass(frozen=True, slots=True)
class ReceiveTime:
    """When a lead arrived (aware) and whether the file said the time of day."""

    at: datetime
    has_time: bool


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _clock(hour: str | None, minute: str | None, second: str | None, half: str | None) -> time | None:
    """The time of day, or None when the value had none; ValueError when it is impossible."""
    if hour is None:
        return None
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if half:
        if not 1 <= h <= 12:
            raise ValueError("an AM/PM hour must be 1 to 12")
        h = h % 12 + (12 if half.lower().startswith("p") else 0)
    return time(h, m, s)


def _combine(day: date, clock: time | None, zone: tzinfo) -> ReceiveTime:
    return ReceiveTime(datetime.combine(day, clock or time(0), tzinfo=zone), clock is not None)


def parse_receive_time(text: str, zone: tzinfo, *, day_first: bool = False) -> ReceiveTime:
    """A receive time from a cell; naive values are in `zone`. ValueError (or `DayFirstDate`) otherwise."""
    value = text.strip()
    if not value:
        raise ValueError("empty")
    slashed = _SLASHED.match(value)
    if slashed:
        a, b = int(slashed["a"]), int(slashed["b"])
        month, day = (b, a) if day_first else (a, b)
        if month > 12 and day <= 12:
            raise DayFirstDate("reads as day/month/year")
        clock = _clock(slashed["hour"], slashed["minute"], slashed["second"], slashed["half"])
        return _combine(date(_year(slashed["year"]), month, day), clock, zone)
    named = _NAMED.match(value)
    if named:
        month = _MONTHS.get(named["month"].lower())
        if month is None:
            raise ValueError(f"{named['month']!r} is not a month")
        clock = _clock(named["hour"], named["minute"], named["second"], named["half"])
        return _combine(date(int(named["year"]), month, int(named["day"])), clock, zone)
    try:
        serial = float(value)
    except ValueError:
        serial = None
    if serial is not None:
        if not _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
            raise ValueError("a number, not a date")
        moment = _EXCEL_EPOCH + timedelta(days=serial)
        return ReceiveTime(moment.replace(tzinfo=zone), serial != int(serial))
    iso = value.replace("Z", "+00:00").replace("z", "+00:00")
    if len(iso) == 10:  # 2025-03-01: a date alone
        return _combine(date.fromisoformat(iso), None, zone)
    moment = datetime.fromisoformat(iso)
    return ReceiveTime(moment if moment.tzinfo else moment.replace(tzinfo=zone), True)
