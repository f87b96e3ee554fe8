"""The contact deadline by hand: business hours, lunch, holidays, after-hours rules, time zones, DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from router.core.models import Location
from router.practices.settings import PracticeSettings
from router.practices.sla import contact_deadline, level2_due, sla_elapsed

pytestmark = pytest.mark.unit

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAY = [["08:00", "12:00"], ["13:00", "17:00"]]
HOURS = {
    "mon": WEEKDAY,
    "tue": WEEKDAY,
    "wed": WEEKDAY,
    "thu": WEEKDAY,
    "fri": WEEKDAY,
    "sat": [["09:00", "13:00"]],
}


def office(time_zone: str = "America/Chicago", hours=HOURS, holidays=("2026-07-03",)) -> Location:
    return Location(
        name="Downtown Office", time_zone=time_zone, business_hours=hours, holidays=list(holidays)
    )


def local(*args: int, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime(*args, tzinfo=zone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


START = PracticeSettings()
OVERFLOW = PracticeSettings(after_hours="overflow")


def test_in_hours_deadline_is_five_business_minutes():
    deadline = contact_deadline(local(2026, 3, 4, 10, 0), office(), START)
    assert deadline.started_at == local(2026, 3, 4, 10, 0)
    assert deadline.due_at == local(2026, 3, 4, 10, 5)
    assert not deadline.overflow


def test_lunch_closure_pauses_the_clock():
    # 2 minutes before lunch (11:58-12:00), the other 3 after it (13:00-13:03).
    assert contact_deadline(local(2026, 3, 4, 11, 58), office(), START).due_at == local(2026, 3, 4, 13, 3)


def test_sla_minutes_are_configured_per_practice_and_carry_over_to_the_next_day():
    ten = PracticeSettings(sla_minutes=10)
    # Wed 16:55 -> 5 minutes today, 5 on Thursday from 08:00.
    assert contact_deadline(local(2026, 3, 4, 16, 55), office(), ten).due_at == local(2026, 3, 5, 8, 5)


def test_holiday_is_skipped():
    # Thu 16:58: 2 minutes Thursday, Friday 3 July is a holiday, Saturday opens 09:00 -> 09:03.
    assert contact_deadline(local(2026, 7, 2, 16, 58), office(), START).due_at == local(2026, 7, 4, 9, 3)


def test_after_hours_start_at_opening():
    deadline = contact_deadline(local(2026, 3, 4, 20, 0), office(), START)
    assert deadline.started_at == local(2026, 3, 5, 8, 0)
    assert deadline.due_at == local(2026, 3, 5, 8, 5)
    assert not deadline.overflow


def test_after_hours_overflow_runs_on_the_wall_clock_and_goes_to_agents_now():
    deadline = contact_deadline(local(2026, 3, 4, 20, 0), office(), OVERFLOW)
    assert deadline.started_at == local(2026, 3, 4, 20, 0)
    assert deadline.due_at == local(2026, 3, 4, 20, 5)
    assert deadline.overflow


def test_lunch_is_not_after_hours():
    # 12:30 is a closure inside the day; the overflow rule still applies (the office is closed).
    assert contact_deadline(local(2026, 3, 4, 12, 30), office(), START).due_at == local(2026, 3, 4, 13, 5)


def test_location_without_hours_is_open_around_the_clock():
    deadline = contact_deadline(utc(2026, 3, 8, 3, 0), office(hours={}), START)
    assert deadline.due_at == utc(2026, 3, 8, 3, 5)
    assert not deadline.overflow


def test_same_instant_in_two_time_zones():
    instant = utc(2026, 3, 4, 15, 0)  # 10:00 in New York (open), 07:00 in Los Angeles (opens at 08:00)
    new_york = contact_deadline(instant, office("America/New_York"), START)
    los_angeles = contact_deadline(instant, office("America/Los_Angeles"), START)
    assert new_york.due_at == utc(2026, 3, 4, 15, 5)
    assert los_angeles.started_at == utc(2026, 3, 4, 16, 0)
    assert los_angeles.due_at == utc(2026, 3, 4, 16, 5)


def test_spring_forward_weekend_opens_at_local_eight_on_the_new_offset():
    # Sat 7 March 12:58 CST (UTC-6): 2 minutes Saturday; Monday 9 March opens 08:00 CDT (UTC-5).
    due = contact_deadline(local(2026, 3, 7, 12, 58), office(), START).due_at
    assert due == utc(2026, 3, 9, 13, 3)
    assert due.astimezone(CHICAGO).hour == 8


def test_fall_back_weekend_opens_at_local_eight_on_the_new_offset():
    # Sat 31 October 12:58 CDT (UTC-5); Monday 2 November opens 08:00 CST (UTC-6).
    assert contact_deadline(local(2026, 10, 31, 12, 58), office(), START).due_at == utc(2026, 11, 2, 14, 3)


def test_deadline_across_the_missing_hour_is_five_real_minutes():
    night = {"sun": [["01:00", "05:00"]]}
    # 01:58 CST on 8 March; 02:00 becomes 03:00 CDT. Five real minutes later it is 03:03 CDT.
    due = contact_deadline(local(2026, 3, 8, 1, 58), office(hours=night), START).due_at
    assert due == utc(2026, 3, 8, 8, 3)
    assert (due.astimezone(CHICAGO).hour, due.astimezone(CHICAGO).minute) == (3, 3)


def test_the_repeated_hour_counts_twice_in_business_time():
    all_sunday = {"sun": [["00:00", "24:00"]]}
    location = office(hours=all_sunday)
    contacted = local(2026, 11, 2, 0, 0)
    # Sunday 1 November 2026 in Chicago lasts 25 hours.
    elapsed = sla_elapsed(
        received_at=local(2026, 11, 1, 0, 0),
        sla_started_at=local(2026, 11, 1, 0, 0),
        until=contacted,
        location=location,
    )
    assert elapsed == timedelta(hours=25)


def test_level2_is_business_minutes_past_the_deadline():
    due = local(2026, 3, 4, 11, 55)
    # 5 minutes to lunch, 10 after it.
    at = level2_due(
        sla_due_at=due, sla_started_at=local(2026, 3, 4, 11, 50), location=office(), settings=START
    )
    assert at == local(2026, 3, 4, 13, 10)
    twenty = PracticeSettings(escalation_level2_minutes=20)
    at = level2_due(
        sla_due_at=due, sla_started_at=local(2026, 3, 4, 11, 50), location=office(), settings=twenty
    )
    assert at == local(2026, 3, 4, 13, 15)


def test_level2_of_an_after_hours_overflow_lead_is_wall_time():
    at = level2_due(
        sla_due_at=local(2026, 3, 4, 20, 5),
        sla_started_at=local(2026, 3, 4, 20, 0),
        location=office(),
        settings=OVERFLOW,
    )
    assert at == local(2026, 3, 4, 20, 20)


def test_sla_elapsed_counts_business_time_from_arrival():
    # Arrived Wed 20:00 (start at opening), contacted Thu 08:07: 7 business minutes, 12 h 7 min waited.
    elapsed = sla_elapsed(
        received_at=local(2026, 3, 4, 20, 0),
        sla_started_at=local(2026, 3, 5, 8, 0),
        until=local(2026, 3, 5, 8, 7),
        location=office(),
    )
    assert elapsed == timedelta(minutes=7)


def test_sla_elapsed_of_an_overflow_lead_is_wall_time():
    elapsed = sla_elapsed(
        received_at=local(2026, 3, 4, 20, 0),
        sla_started_at=local(2026, 3, 4, 20, 0),
        until=local(2026, 3, 4, 20, 12),
        location=office(),
    )
    assert elapsed == timedelta(minutes=12)


def test_overflow_deadline_across_the_missing_hour_is_five_real_minutes():
    due = contact_deadline(local(2026, 3, 8, 1, 58), office(), OVERFLOW).due_at
    assert due == utc(2026, 3, 8, 8, 3)
