"""Quiet hours for texts: 8 am to 9 pm in the recipient's local time, from their ZIP or area code.

When the zone is unsure (an area code spanning two zones), only hours allowed in every candidate
zone count, so no recipient is ever texted at 7:30 am or 9:15 pm their time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezones

ALLOWED_FROM = time(8, 0)
"""The TCPA's calling window opens at 8 am recipient time; carriers and most states follow it."""
ALLOWED_UNTIL = time(21, 0)
"""...and closes at 9 pm (exclusive: 9:00 pm is already quiet)."""
MAX_INFORMATIVE_ZONES = 4
"""An area code spans at most a few zones; a longer list is phonenumbers saying "anywhere in +1"."""
_SEARCH_DAYS = 3
"""Any set of US zones (at most ~6 hours apart) shares a window within a day; three is plenty."""


@cache
def _zip_time_zones() -> dict[str, str]:
    """Every ZIP's time zone, indexed once (`zipcodes.matching` scans the whole list: ~6 ms a call)."""
    return {z["zip_code"]: z["timezone"] for z in zipcodes.list_all() if z.get("timezone")}


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or name.startswith("Etc/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recipient_zones(*, zip_code: str | None, phone: str | None, fallback: str) -> tuple[ZoneInfo, ...]:
    """The recipient's candidate zones: the ZIP's zone, else the area code's, else the practice's."""
    if zip_code:
        zone = _zone(_zip_time_zones().get(zip_code.strip()[:5]))
        if zone is not None:
            return (zone,)
    if phone:
        try:
            names = phone_timezones.time_zones_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            names = ()
        zones = tuple(z for z in (_zone(n) for n in names) if z is not None)
        if 0 < len(zones) <= MAX_INFORMATIVE_ZONES:
            return zones
    return (ZoneInfo(fallback),)


def allowed_at(moment: datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    """Whether an automated text may go out now in every candidate zone."""
    return all(ALLOWED_FROM <= moment.astimezone(zone).time() < ALLOWED_UNTIL for zone in zones)


def next_allowed(moment: datetime, zones: tuple[ZoneInfo, ...]) -> datetime:
    """`moment` itself when allowed, else the earliest later instant allowed in every zone."""
    if allowed_at(moment, zones):
        return moment
    openings = sorted(
        opening
        for zone in zones
        for days in range(-1, _SEARCH_DAYS)
        if (
            opening := datetime.combine(
                moment.astimezone(zone).date() + timedelta(days=days), ALLOWED_FROM, tzinfo=zone
            )
        )
        > moment
    )
    for opening in openings:
        if allowed_at(opening, zones):
            return opening
    # Known flaw: zones further apart than the 13-hour window share no time at all; we then wait for
    # the latest zone's morning, which is early evening elsewhere rather than night.
    return openings[-1]


def latest_allowed(moment: datetime, zones: tuple[ZoneInfo, ...]) -> datetime:
    """`moment` itself when allowed, else the latest earlier instant allowed in every zone.

    For messages that must not arrive late (a reminder before a visit): moving one out of the quiet
    hours means sending it the evening before, never the morning after.
    """
    if allowed_at(moment, zones):
        return moment
    last_minute = timedelta(minutes=1)
    closings = sorted(
        (
            closing - last_minute
            for zone in zones
            for days in range(-_SEARCH_DAYS, 1)
            if (
                closing := datetime.combine(
                    moment.astimezone(zone).date() + timedelta(days=days), ALLOWED_UNTIL, tzinfo=zone
                )
            )
            - last_minute
            < moment
        ),
        reverse=True,
    )
    for closing in closings:
        if allowed_at(closing, zones):
            return closing
    return closings[-1]
