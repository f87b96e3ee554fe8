"""The no-show report's numbers per office and month, and the managers' reminder settings."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from router.core.models import Appointment, AuditRecord, ReminderSettings
from router.privacy.access import MANAGER
from router.reminders.report import no_show_report
from tests.escalation.support import freeze
from tests.factories import csrf_of, make_practice, sign_in, viewer_of

pytestmark = pytest.mark.integration

CENTRAL = ZoneInfo("America/Chicago")
MANAGER_EMAIL = "maria@bright.example"
TWO_OFFICES = {
    "downtown": {"zip": "78701"},
    "lakeway": {"zip": "78734"},
}


async def _visits(domain, practice, office: str, month: int, day: int, *, kept: int, missed: int, hour=9):  # type: ignore[no-untyped-def]
    """Visits with an outcome (and one cancelled, never counted) on one day at one office."""
    async with domain.sessionmaker() as session, session.begin():
        for n, status in enumerate(["completed"] * kept + ["no_show"] * missed + ["cancelled"]):
            session.add(
                Appointment(
                    id=uuid.uuid4(),
                    practice_id=practice.practice.id,
                    location_id=practice.locations[office].id,
                    starts_at=datetime(2026, month, day, hour + n % 6, 0, tzinfo=CENTRAL),
                    status=status,
                    source="pms",
                    created_at=domain.clock.now(),
                )
            )


async def _report_practice(domain):  # type: ignore[no-untyped-def]
    freeze(domain, datetime(2026, 6, 20, 12, 0, tzinfo=CENTRAL))
    practice = await make_practice(
        domain, locations=TWO_OFFICES, staff={MANAGER_EMAIL: {"name": "Maria", "role": MANAGER}}
    )
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            ReminderSettings(
                practice_id=practice.practice.id,
                enabled=True,
                enabled_at=datetime(2026, 4, 15, 9, 0, tzinfo=CENTRAL),
                first_enabled_at=datetime(2026, 4, 15, 9, 0, tzinfo=CENTRAL),
                updated_at=domain.clock.now(),
            )
        )
    await _visits(domain, practice, "downtown", 2, 28, kept=13, missed=7, hour=18)  # 35 %: 1 March in UTC
    await _visits(domain, practice, "downtown", 3, 10, kept=6, missed=4)  # 40 %
    await _visits(domain, practice, "downtown", 4, 10, kept=8, missed=2)  # before the switch on the 15th
    await _visits(domain, practice, "downtown", 4, 20, kept=5, missed=0)  # after it
    await _visits(domain, practice, "downtown", 5, 10, kept=17, missed=3)  # 15 %
    await _visits(domain, practice, "lakeway", 5, 10, kept=3, missed=1)
    return practice


async def test_the_report_counts_no_shows_by_office_and_month_before_and_after(domain):
    practice = await _report_practice(domain)
    viewer = await viewer_of(domain, practice.staff[MANAGER_EMAIL])
    async with domain.sessionmaker() as session:
        report = await no_show_report(session, viewer, now=domain.clock.now())
    assert [o.name for o in report.offices] == ["Downtown Office", "Lakeway Office"]
    downtown = report.offices[0]
    months = {m.month.month: (m.visits, m.no_shows, m.period) for m in downtown.months if m.visits}
    assert months == {
        2: (20, 7, "before"),  # 28 Feb in Austin, though 1 March in UTC
        3: (10, 4, "before"),
        4: (15, 2, "switched"),
        5: (20, 3, "after"),
    }
    assert len(downtown.months) == 12 and downtown.months[-1].month.month == 6
    assert (downtown.before.visits, downtown.before.no_shows) == (40, 13)
    assert (downtown.after.visits, downtown.after.no_shows) == (25, 3)
    assert round(downtown.before.rate, 3) == 0.325 and downtown.after.rate == 0.12
    assert (report.offices[1].after.visits, report.offices[1].after.no_shows) == (4, 1)


async def test_the_report_page_draws_the_chart_for_managers_only(client, domain):
    practice = await _report_practice(domain)
    await sign_in(client, domain, MANAGER_EMAIL)
    page = await client.get("/reminders/no-shows")
    assert page.status_code == 200
    assert "Before reminders: <strong>32 %</strong> missed (13 of 40 visits)" in page.text
    assert "With reminders: <strong>12 %</strong> missed (3 of 25 visits)" in page.text
    assert page.text.count('<svg class="bar"') == 12 + 12
    assert "35 % missed (7 of 20)" in page.text and "reminders on</span>" in page.text
    assert practice


async def test_a_manager_switches_reminders_on_and_the_moment_is_recorded(client, domain):
    freeze(domain, datetime(2026, 6, 20, 12, 0, tzinfo=CENTRAL))
    practice = await make_practice(domain, staff={MANAGER_EMAIL: {"name": "Maria", "role": MANAGER}})
    await sign_in(client, domain, MANAGER_EMAIL)
    assert "Off" in (await client.get("/reminders")).text
    headers = {"x-csrftoken": await csrf_of(client)}
    bad = await client.post(
        "/reminders/settings",
        data={"enabled": "1", "hours_before": "48, 0", "type_hours": "Cleaning 24"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "each time is a whole number of hours from 1 to 336" in bad.text
    assert "Line 1: write the type, a colon, then the hours" in bad.text
    async with domain.sessionmaker() as session:
        assert await session.get(ReminderSettings, practice.practice.id) is None  # nothing changed

    saved = await client.post(
        "/reminders/settings",
        data={
            "enabled": "1",
            "confirmation": "1",
            "hours_before": "2, 48h",
            "type_hours": "New Patient Exam: 72, 2",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    domain.clock.advance(timedelta(days=3))
    await sign_in(client, domain, MANAGER_EMAIL)  # the session lapsed meanwhile
    headers = {"x-csrftoken": await csrf_of(client)}
    await client.post("/reminders/settings", data={"hours_before": "48, 2"}, headers=headers)  # off
    await client.post("/reminders/settings", data={"enabled": "1", "hours_before": "24"}, headers=headers)
    async with domain.sessionmaker() as session:
        row = await session.get(ReminderSettings, practice.practice.id)
        audits = (
            await session.scalars(
                select(AuditRecord.action).where(AuditRecord.action == "reminders.settings")
            )
        ).all()
    assert row.enabled and row.hours_before == [24] and row.type_hours == {}
    assert row.first_enabled_at == datetime(2026, 6, 20, 12, 0, tzinfo=CENTRAL)
    assert row.enabled_at == datetime(2026, 6, 23, 12, 0, tzinfo=CENTRAL)
    assert len(audits) == 3
    page = (await client.get("/reminders")).text
    assert re.search(r"On</span> since", page) and "Appointment reminder: text" in page


async def test_the_front_desk_may_not_change_reminders_or_read_the_report(client, domain):
    freeze(domain, datetime(2026, 6, 20, 12, 0, tzinfo=CENTRAL))
    await make_practice(domain, staff={"desk@bright.example": {"name": "Dee"}})
    await sign_in(client, domain, "desk@bright.example")
    assert (await client.get("/reminders")).status_code == 403
    assert (await client.get("/reminders/no-shows")).status_code == 403
    answer = await client.post(
        "/reminders/settings", data={"enabled": "1"}, headers={"x-csrftoken": await csrf_of(client)}
    )
    assert answer.status_code == 403
