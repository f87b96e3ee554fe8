"""What the board's templates use to speak plainly: words for codes and times in the office's zone.

One small place on purpose: the app-wide mapping of codes to words and the local-time format replace
these two functions when they land, and the board's templates do not change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

WORDS = {
    "form": "web form",
    "walk_in": "walk-in",
    "phone": "phone call",
    "call": "phone call",
    "chat": "chat",
    "referral": "referral",
    "google_ads": "Google Ads",
    "meta_ads": "Meta ads",
    "facebook": "Facebook",
    "organic": "search",
    "direct": "direct",
    "appointment_booked": "appointment booked",
    "existing_patient": "existing patient",
    "not_interested": "not interested",
    "wrong_number": "wrong number",
}
"""Codes whose words are not simply the code with spaces."""


def plain(code: str | None) -> str:
    """A code as the staff say it ("walk_in" -> "walk-in")."""
    if not code:
        return ""
    return WORDS.get(code, code.replace("_", " "))


def local_time(moment: datetime | None, zone: str | None) -> str:
    """A time on the office's clock with its zone's abbreviation ("11:04 CST")."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%H:%M %Z")


def local_day_time(moment: datetime | None, zone: str | None) -> str:
    """A date and time on the office's clock ("2026-12-04 11:04 CST")."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M %Z")


def utc_title(moment: datetime | None) -> str:
    """The same moment in UTC, for a tooltip."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


BOARD_HELPERS: dict[str, Any] = {
    "plain": plain,
    "local_time": local_time,
    "local_day_time": local_day_time,
    "utc_title": utc_title,
}
"""Passed to every board template render (pages and pushes alike)."""
