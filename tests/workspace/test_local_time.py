"""Times in the location's zone with its abbreviation, UTC in the tooltip, across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from router.core.local_time import ago, clock_time, local_text, local_time, utc_text, zone_label

pytestmark = pytest.mark.unit

CHICAGO = "America/Chicago"
LOS_ANGELES = "America/Los_Angeles"


def test_a_central_practice_reads_central_time() -> None:
    moment = datetime(2026, 12, 4, 17, 4, tzinfo=UTC)
    assert clock_time(moment, CHICAGO) == "11:04 CST"
    assert clock_time(moment, LOS_ANGELES) == "09:04 PST"
    assert utc_text(moment) == "2026-12-04 17:04 UTC"


def test_the_abbreviation_follows_daylight_saving() -> None:
    # Central time falls back at 02:00 CDT on 1 November 2026: 01:30 happens twice.
    before = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    after = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert clock_time(before, CHICAGO) == "01:30 CDT"
    assert clock_time(after, CHICAGO) == "01:30 CST"
    # ...and springs forward at 02:00 CST on 8 March 2026: 02:30 never happens.
    assert clock_time(datetime(2026, 3, 8, 7, 59, tzinfo=UTC), CHICAGO) == "01:59 CST"
    assert clock_time(datetime(2026, 3, 8, 8, 0, tzinfo=UTC), CHICAGO) == "03:00 CDT"
    assert zone_label(CHICAGO, before) == "CDT"
    assert zone_label(CHICAGO, after) == "CST"


def test_today_this_week_and_older() -> None:
    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Friday 14:00 CST
    assert local_text(now - timedelta(hours=3), CHICAGO, now=now) == "11:00 CST"
    assert local_text(now - timedelta(days=2), CHICAGO, now=now) == "Wed 14:00 CST"
    assert local_text(now - timedelta(days=30), CHICAGO, now=now) == "Nov 4, 14:00 CST"
    assert local_text(now - timedelta(days=400), CHICAGO, now=now) == "Oct 30 2025, 15:00 CDT"
    assert local_text(now + timedelta(days=1), CHICAGO, now=now) == "Dec 5, 14:00 CST"
    assert local_text(now, CHICAGO, now=now, date=True) == "Dec 4, 14:00 CST"


def test_the_local_day_decides_today_not_the_utc_day() -> None:
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Friday 19:00 CST, already Saturday in UTC
    earlier = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 09:00 CST
    assert local_text(earlier, CHICAGO, now=now) == "09:00 CST"


def test_the_time_element_carries_utc_in_its_tooltip() -> None:
    html = str(local_time(datetime(2026, 12, 4, 17, 4, tzinfo=UTC), CHICAGO, date=False))
    assert html == '<time datetime="2026-12-04T17:04:00+00:00" title="2026-12-04 17:04 UTC">11:04 CST</time>'
    assert str(local_time(None, CHICAGO)) == "—"


def test_an_unknown_zone_is_shown_as_utc() -> None:
    assert clock_time(datetime(2026, 12, 4, 17, 4, tzinfo=UTC), None) == "17:04 UTC"
    assert clock_time(datetime(2026, 12, 4, 17, 4, tzinfo=UTC), "Not/AZone") == "17:04 UTC"


def test_ago() -> None:
    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(minutes=4), now) == "4 min ago"
    assert ago(now - timedelta(minutes=125), now) == "2 h 5 min ago"
    assert ago(now - timedelta(days=3), now) == "3 days ago"
