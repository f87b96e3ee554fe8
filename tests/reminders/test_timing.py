"""Reminder timing: offsets across daylight-saving changes and the quiet-hours moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from router.reminders.timing import plan_messages

pytestmark = pytest.mark.unit

CHICAGO = ZoneInfo("America/Chicago")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def local(plan, zone=CHICAGO):
    return {m.kind: m.send_at.astimezone(zone).replace(tzinfo=None) for m in plan}


def test_confirmation_then_48_and_2_hours_before():
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 10, 14, 0),
        booked_at=at(CHICAGO, 2026, 6, 1, 11, 30),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert [m.kind for m in plan] == ["confirmation", "reminder_48h", "reminder_2h"]
    assert local(plan) == {
        "confirmation": datetime(2026, 6, 1, 11, 30),
        "reminder_48h": datetime(2026, 6, 8, 14, 0),
        "reminder_2h": datetime(2026, 6, 10, 12, 0),
    }


def test_whole_day_offsets_keep_the_wall_clock_across_the_spring_change():
    # Clocks go forward on Sunday 8 March 2026: 48 h of elapsed time before Monday 9:30 would be
    # Saturday 8:30; the patient expects the same 9:30.
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 3, 9, 9, 30),
        booked_at=at(CHICAGO, 2026, 3, 1, 10, 0),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert local(plan)["reminder_48h"] == datetime(2026, 3, 7, 9, 30)
    assert plan[1].send_at.astimezone(UTC) == datetime(2026, 3, 7, 15, 30, tzinfo=UTC)


def test_whole_day_offsets_keep_the_wall_clock_across_the_autumn_change():
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 11, 2, 9, 30),
        booked_at=at(CHICAGO, 2026, 10, 20, 10, 0),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert local(plan)["reminder_48h"] == datetime(2026, 10, 31, 9, 30)


def test_hour_offsets_are_elapsed_time_across_a_change():
    # 2 h before 3:30 on the spring-forward morning is 00:30 by the clock... which is quiet, so the
    # reminder moves to the evening before, never after.
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 3, 8, 3, 30),
        booked_at=at(CHICAGO, 2026, 3, 1, 10, 0),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert local(plan)["reminder_2h"] == datetime(2026, 3, 7, 20, 59)


def test_a_reminder_in_quiet_hours_moves_earlier_in_the_patients_zone():
    # An 8:30 visit: 2 h before is 6:30, quiet; it goes at 20:59 the evening before.
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 10, 8, 30),
        booked_at=at(CHICAGO, 2026, 6, 1, 12, 0),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert local(plan)["reminder_2h"] == datetime(2026, 6, 9, 20, 59)
    # A patient two hours behind (Pacific) for a 10:00 Central visit: 8:00 Central is 6:00 for them.
    west = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 10, 10, 0),
        booked_at=at(CHICAGO, 2026, 6, 1, 12, 0),
        office_zone=CHICAGO,
        patient_zones=(LOS_ANGELES,),
    )
    assert local(west, LOS_ANGELES)["reminder_2h"] == datetime(2026, 6, 9, 20, 59)


def test_a_confirmation_booked_at_night_waits_for_the_morning():
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 10, 14, 0),
        booked_at=at(CHICAGO, 2026, 6, 1, 22, 15),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert local(plan)["confirmation"] == datetime(2026, 6, 2, 8, 0)


def test_reminders_already_past_at_booking_or_too_close_are_dropped():
    # Booked at 11:00 for 14:00 the next day: 48 h before has passed; the 2 h reminder stays.
    plan = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 2, 14, 0),
        booked_at=at(CHICAGO, 2026, 6, 1, 11, 0),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
    )
    assert [m.kind for m in plan] == ["confirmation", "reminder_2h"]
    # Booked at 11:50 for 14:00 the same day: the 2 h reminder would follow the confirmation by 10 min.
    soon = plan_messages(
        starts_at=at(CHICAGO, 2026, 6, 2, 14, 0),
        booked_at=at(CHICAGO, 2026, 6, 2, 11, 50),
        office_zone=CHICAGO,
        patient_zones=(CHICAGO,),
        offsets=(timedelta(hours=2),),
    )
    assert [m.kind for m in soon] == ["confirmation"]
