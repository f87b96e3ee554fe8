"""Every dashboard number against a hand computation over the history in conftest.py."""

from datetime import date, timedelta

import pytest

from router.board.dashboard import DashboardScope, DateRange, breaches_in, sla_rates
from router.board.dashboard_view import daily_trend, load_dashboard
from router.core.models import Lead
from tests.dashboard.conftest import NOW, at

pytestmark = pytest.mark.integration


def whole_practice(history) -> DashboardScope:
    practice = history.fixture.practice
    return DashboardScope(practice.id, practice.name, practice.time_zone, None)


async def dashboard_of(domain, scope, days=30):
    async with domain.sessionmaker() as session:
        return await load_dashboard(session, scope, NOW, days=days)


async def test_waiting_now_and_oldest_wait(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # L4 (since 17:00) and L5 (since 19:58) wait at Downtown; nobody waits at Uptown.
    assert [(w.location, w.waiting, w.oldest_wait_seconds) for w in board.waiting] == [
        ("Downtown Office", 2, 3 * 3600.0)
    ]
    assert (board.waiting_total, board.oldest_wait_seconds) == (2, 10800.0)


def days(n: int) -> DateRange:
    return DateRange.last_days(NOW, "America/Chicago", n)


async def test_todays_breaches_most_late_first(domain, history):
    async with domain.sessionmaker() as session:
        today = await breaches_in(session, whole_practice(history), NOW, days(1))
        week = await breaches_in(session, whole_practice(history), NOW, days(7))
    # L4: due 17:05, still waiting at 20:00 -> 2 h 55 min late. L2: due 15:15, contacted 15:20 -> 5 min.
    # L8 and L9 breached on other days; L6 was closed before its deadline; L5 is not due yet.
    assert [(b.lead_id, b.late_seconds, b.escalation_level, b.contacted) for b in today] == [
        (history.leads["L4"].id, 10500.0, 1, False),
        (history.leads["L2"].id, 300.0, 0, True),
    ]
    # The week adds L8 (Sunday Mar 1: due 15:05, contacted 15:40 -> 35 min late) between them.
    assert [b.late_seconds for b in week] == [10500.0, 2100.0, 300.0]
    board = await dashboard_of(domain, whole_practice(history), days=7)
    assert (board.breaches_today, len(board.breaches)) == (2, 3)


async def test_percent_contacted_within_the_sla(domain, history):
    # Today: met L1 L3 L7, breached L2 L4 (L5 not due, L6 closed in time) -> 3/5.
    # 7 days adds L8 (breached) -> 3/6; 30 days adds L9 (breached) -> 3/7 = 42.857 %. L10 is older.
    periods = [("today", days(1)), ("7 days", days(7)), ("30 days", days(30))]
    async with domain.sessionmaker() as session:
        rates = await sla_rates(session, whole_practice(history), NOW, periods)
    assert [(r.period, r.judged, r.met, r.percent) for r in rates] == [
        ("today", 5, 3, 60.0),
        ("7 days", 6, 3, 50.0),
        ("30 days", 7, 3, 42.9),
    ]
    board = await dashboard_of(domain, whole_practice(history), days=7)
    assert [(r.period, r.percent) for r in board.sla] == [("today", 60.0), ("last 7 days", 50.0)]


async def test_the_daily_trend_day_by_day_in_the_practices_days(domain, history):
    async with domain.sessionmaker() as session:
        trend = await daily_trend(session, whole_practice(history), NOW, days(7))
    # Feb 26 .. Mar 4 in Chicago. Sunday Mar 1: L8, breached, 40 min. Wednesday Mar 4: L1..L7 arrived;
    # judged L1 L3 L7 (met) L2 L4 (breached) -> 60 %; contacted from arrival [120, 180, 600, 3780] ->
    # median 390 s; in business time [120, 180, 180, 600] -> 180 s (L7's lunch hour does not count).
    assert [
        (r.first_day, r.leads, r.judged, r.met, r.percent, r.median_seconds, r.median_business_seconds)
        for r in trend
    ] == [
        (date(2026, 2, 26), 0, 0, 0, None, None, None),
        (date(2026, 2, 27), 0, 0, 0, None, None, None),
        (date(2026, 2, 28), 0, 0, 0, None, None, None),
        (date(2026, 3, 1), 1, 1, 0, 0.0, 2400.0, 2400.0),
        (date(2026, 3, 2), 0, 0, 0, None, None, None),
        (date(2026, 3, 3), 0, 0, 0, None, None, None),
        (date(2026, 3, 4), 7, 5, 3, 60.0, 390.0, 180.0),
    ]


async def test_a_long_period_trends_by_week_from_monday(domain, history):
    period = DateRange(date(2026, 1, 26), date(2026, 3, 4), "America/Chicago")  # 38 days
    async with domain.sessionmaker() as session:
        trend = await daily_trend(session, whole_practice(history), NOW, period)
    # Weeks from Mondays Jan 26 .. Mar 2; L9 (Fri Feb 20), L8 (Sun Mar 1), L1..L7 (Wed Mar 4).
    assert [(r.first_day, r.last_day, r.leads, r.met, r.judged) for r in trend] == [
        (date(2026, 1, 26), date(2026, 2, 1), 0, 0, 0),
        (date(2026, 2, 2), date(2026, 2, 8), 0, 0, 0),
        (date(2026, 2, 9), date(2026, 2, 15), 0, 0, 0),
        (date(2026, 2, 16), date(2026, 2, 22), 1, 0, 1),
        (date(2026, 2, 23), date(2026, 3, 1), 1, 0, 1),
        (date(2026, 3, 2), date(2026, 3, 4), 7, 3, 5),
    ]


async def test_waiting_now_turns_late_then_soon_near_a_deadline(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    assert board.urgency == "late"  # L4 waits past its 17:05 deadline
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(Lead, history.leads["L4"].id)).status = "closed"
    board = await dashboard_of(domain, whole_practice(history))
    assert (board.urgency, board.nearest_deadline) == ("calm", at(4, 20, 3))  # L5: 3 min to go
    async with domain.sessionmaker() as session:
        soon = await load_dashboard(session, whole_practice(history), NOW + timedelta(seconds=61))
    assert soon.urgency == "soon"


def figures(rows):
    return {
        r.label: (
            r.contacted,
            r.median_seconds,
            r.p90_seconds,
            r.median_business_seconds,
            r.p90_business_seconds,
        )
        for r in rows
    }


async def test_time_to_contact_by_location(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # Downtown [120, 180, 600, 2400, 7200]: median 600; p90 at rank 3.6 -> 2400 + 0.6 * 4800 = 5280.
    # Uptown L7: 63 min from arrival, but only 3 business minutes (11:58-12:00 and 13:00-13:01).
    assert figures(board.contact_times["location"]) == {
        "Downtown Office": (5, 600.0, 5280.0, 600.0, 5280.0),
        "Uptown Office": (1, 3780.0, 3780.0, 180.0, 180.0),
    }


async def test_time_to_contact_by_staff_member(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # Dana [120, 180, 3780, 7200]: median 1980; p90 at rank 2.7 -> 3780 + 0.7 * 3420 = 6174.
    #   business [120, 180, 180, 7200]: median 180; p90 -> 180 + 0.7 * 7020 = 5094.
    # Eli [600, 2400]: median 1500; p90 -> 600 + 0.9 * 1800 = 2220.
    assert figures(board.contact_times["staff"]) == {
        "Dana": (4, 1980.0, pytest.approx(6174.0), 180.0, pytest.approx(5094.0)),
        "Eli": (2, 1500.0, 2220.0, 1500.0, 2220.0),
    }


async def test_time_to_contact_by_source(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # google_ads [120, 180, 600, 7200]: median 390; p90 -> 600 + 0.7 * 6600 = 5220.
    assert figures(board.contact_times["source"]) == {
        "facebook_ads": (1, 2400.0, 2400.0, 2400.0, 2400.0),
        "google_ads": (4, 390.0, pytest.approx(5220.0), 390.0, pytest.approx(5220.0)),
        "phone": (1, 3780.0, 3780.0, 180.0, 180.0),
    }


async def test_time_to_contact_by_hour_of_arrival_in_local_time(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # 09:00 Chicago: L1, L2, L8, L9 [180, 600, 2400, 7200]: median 1500; p90 -> 2400 + 0.7 * 4800 = 5760.
    assert figures(board.contact_times["hour"]) == {
        "09:00": (4, 1500.0, pytest.approx(5760.0), 1500.0, pytest.approx(5760.0)),
        "10:00": (1, 120.0, 120.0, 120.0, 120.0),
        "11:00": (1, 3780.0, 3780.0, 180.0, 180.0),
    }


async def test_conversion_by_speed_to_first_contact(domain, history):
    board = await dashboard_of(domain, whole_practice(history))
    # under 5: L1, L3 (booked); 5-30: L2; 30-60: L8 (booked); 1-24 h: L7, L9; not contacted: L4 L5 L6.
    assert [(s.bucket, s.leads, s.booked, s.percent) for s in board.speed] == [
        ("under 5 min", 2, 1, 50.0),
        ("5-30 min", 1, 0, 0.0),
        ("30-60 min", 1, 1, 100.0),
        ("1-24 h", 2, 0, 0.0),
        ("later", 0, 0, None),
        ("not contacted", 3, 0, 0.0),
    ]


async def test_a_seven_day_window_drops_older_leads(domain, history):
    board = await dashboard_of(domain, whole_practice(history), days=7)
    assert figures(board.contact_times["staff"])["Eli"] == (2, 1500.0, 2220.0, 1500.0, 2220.0)
    assert figures(board.contact_times["staff"])["Dana"][0] == 3  # L9 is 12 days old


async def test_a_manager_of_one_location_sees_only_it(domain, history):
    practice = history.fixture.practice
    downtown = history.fixture.locations["downtown"].id
    board = await dashboard_of(
        domain, DashboardScope(practice.id, practice.name, practice.time_zone, frozenset({downtown}))
    )
    assert set(figures(board.contact_times["location"])) == {"Downtown Office"}
    # Today without L7 (uptown, met): met L1 L3, breached L2 L4 -> 2/4.
    assert (board.sla[0].judged, board.sla[0].met, board.sla[0].percent) == (4, 2, 50.0)
