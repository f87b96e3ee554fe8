"""Weekly hours as a form: two opening intervals a day (the gap between them is the lunch break).

The same fields serve an office's hours and a manager's on-call hours: `{prefix}-{day}-{n}-from` and
`{prefix}-{day}-{n}-until` for n = 1, 2, times as HH:MM (what a browser's time input sends). A
day with no times is closed; "until" 00:00 means midnight at the end of the day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from router.practices.hours import WEEKDAYS

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
INTERVALS_PER_DAY = 2
"""Morning and afternoon: enough for a lunch closure, which is what offices ask for."""
_TIME = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])")


def field_name(prefix: str, day: str, n: int, end: str) -> str:
    return f"{prefix}-{day}-{n}-{end}"


def _minutes(value: str) -> int | None:
    match = _TIME.fullmatch(value.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        return None
    return hours * 60 + minutes


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def read_weekly_hours(
    form: Mapping[str, Any], prefix: str
) -> tuple[dict[str, list[list[str]]], dict[str, str]]:
    """The hours the form describes, and an error per day row that cannot be understood (keyed by the
    day's first field, so the page puts the message beside it)."""
    hours: dict[str, list[list[str]]] = {}
    errors: dict[str, str] = {}
    for day in WEEKDAYS:
        intervals: list[tuple[int, int]] = []
        problem = None
        for n in range(1, INTERVALS_PER_DAY + 1):
            start = str(form.get(field_name(prefix, day, n, "from"), "") or "").strip()
            end = str(form.get(field_name(prefix, day, n, "until"), "") or "").strip()
            if not start and not end:
                continue
            if not start or not end:
                problem = f"{DAY_NAMES[day]}: give both the opening and the closing time, or neither."
                break
            opens, closes = _minutes(start), _minutes(end)
            if opens is None or closes is None:
                problem = f"{DAY_NAMES[day]}: write times as HH:MM, for example 08:30 or 17:00."
                break
            if closes == 0:
                closes = 24 * 60
            if closes <= opens:
                problem = f"{DAY_NAMES[day]}: {start} to {end} closes before it opens."
                break
            intervals.append((opens, closes))
        if problem is None and len(intervals) == 2 and intervals[1][0] < intervals[0][1]:
            problem = f"{DAY_NAMES[day]}: the afternoon opens before the morning closes."
        if problem is not None:
            errors[field_name(prefix, day, 1, "from")] = problem
        elif intervals:
            hours[day] = [[_text(a), _text(b)] for a, b in sorted(intervals)]
    return hours, errors


def weekly_hours_values(hours: Mapping[str, Any] | None, prefix: str) -> dict[str, str]:
    """Form values showing stored hours (the inverse of `read_weekly_hours`)."""
    values: dict[str, str] = {}
    for day, intervals in (hours or {}).items():
        for n, (start, end) in enumerate(list(intervals)[:INTERVALS_PER_DAY], start=1):
            values[field_name(prefix, day, n, "from")] = str(start)
            values[field_name(prefix, day, n, "until")] = "00:00" if str(end) == "24:00" else str(end)
    return values


def describe_hours(hours: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(day, "08:00-12:00, 13:00-17:00" or "closed") for every weekday, in plain words."""
    rows = []
    for day in WEEKDAYS:
        intervals = (hours or {}).get(day) or []
        if not intervals:
            rows.append((DAY_NAMES[day], "closed"))
        elif [list(i) for i in intervals] == [["00:00", "24:00"]]:
            rows.append((DAY_NAMES[day], "all day"))
        else:
            rows.append((DAY_NAMES[day], ", ".join(f"{a}–{b}" for a, b in intervals)))
    return rows
