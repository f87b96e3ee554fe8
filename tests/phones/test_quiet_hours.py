"""Quiet hours: 8 am to 9 pm recipient time, every candidate zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from router.phones.quiet_hours import allowed_at, next_allowed, recipient_zones

pytestmark = pytest.mark.unit

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_the_window_is_8_am_inclusive_to_9_pm_exclusive():
    assert not allowed_at(local(CHICAGO, 2026, 6, 2, 7, 59, 59), (CHICAGO,))
    assert allowed_at(local(CHICAGO, 2026, 6, 2, 8, 0), (CHICAGO,))
    assert allowed_at(local(CHICAGO, 2026, 6, 2, 20, 59, 59), (CHICAGO,))
    assert not allowed_at(local(CHICAGO, 2026, 6, 2, 21, 0), (CHICAGO,))


def test_a_late_evening_text_waits_for_the_next_morning():
    at = local(CHICAGO, 2026, 6, 2, 21, 0)
    assert next_allowed(at, (CHICAGO,)) == local(CHICAGO, 2026, 6, 3, 8, 0)
    assert next_allowed(local(CHICAGO, 2026, 6, 3, 0, 30), (CHICAGO,)) == local(CHICAGO, 2026, 6, 3, 8, 0)


def test_an_allowed_moment_is_itself():
    at = local(CHICAGO, 2026, 6, 2, 12, 0)
    assert next_allowed(at, (CHICAGO,)) == at


def test_spring_forward_night_opens_at_8_am_daylight_time():
    # 2026-03-08: Chicago jumps from 2:00 CST to 3:00 CDT; 8 am that day is 13:00 UTC, not 14:00.
    at = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 1:30 am CST
    opening = next_allowed(at, (CHICAGO,))
    assert opening == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert opening.astimezone(CHICAGO).hour == 8


def test_fall_back_night_opens_at_8_am_standard_time():
    # 2026-11-01: 2:00 CDT becomes 1:00 CST; 8 am is 14:00 UTC.
    at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 1:30 am CDT, the first of two 1:30s
    assert next_allowed(at, (CHICAGO,)) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_unsure_zones_allow_only_hours_valid_in_every_zone():
    zones = (NEW_YORK, LOS_ANGELES)
    # 8:30 am in New York is 5:30 am in Los Angeles: not yet; the first shared minute is 8 am Pacific.
    at = local(NEW_YORK, 2026, 6, 2, 8, 30)
    assert not allowed_at(at, zones)
    assert next_allowed(at, zones) == local(LOS_ANGELES, 2026, 6, 2, 8, 0)
    # 8:30 pm Pacific is 11:30 pm Eastern: closed until 8 am Pacific the next day.
    late = local(LOS_ANGELES, 2026, 6, 2, 20, 30)
    assert next_allowed(late, zones) == local(LOS_ANGELES, 2026, 6, 3, 8, 0)


def test_zip_decides_the_zone_before_the_area_code():
    assert recipient_zones(zip_code="97034", phone="+15128675309", fallback="UTC") == (LOS_ANGELES,)


def test_area_code_decides_without_a_zip():
    assert recipient_zones(zip_code=None, phone="+12125550123", fallback="UTC") == (NEW_YORK,)


def test_an_uninformative_number_falls_back_to_the_practice_zone():
    assert recipient_zones(zip_code=None, phone="+18002345678", fallback="America/Chicago") == (CHICAGO,)
