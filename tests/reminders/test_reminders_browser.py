"""The reminder screens in headless Chromium at 1440 and 390 px (screenshots in var/screenshots/):
the settings, the no-show report, and a schedule alert in the text inbox; none scrolls sideways."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from router.core.models import Appointment, NurtureMessage, ReminderSettings
from router.phones.inbound_texts import receive_text
from router.reminders.inbound import read_reminder_reply
from router.reminders.planning import plan_due_reminders
from tests.factories import open_staff_session
from tests.fixtures.browser import shoot_at_width, signed_in_page
from tests.phones.helpers import CALLER, TRACKING, form_lead
from tests.reminders.helpers import book, reminder_practice

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDTHS = (1440, 390)
MANAGER = "maya@bright.example"
CENTRAL = ZoneInfo("America/Chicago")


async def _world(domain):  # type: ignore[no-untyped-def]
    """Reminders on since three months ago, visits with outcomes before and after, one patient who
    answered a reminder "can we do another day"."""
    practice = await reminder_practice(domain, staff={MANAGER: {"role": "manager", "name": "Maya"}})
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(ReminderSettings).values(
                first_enabled_at=now - timedelta(days=90), enabled_at=now - timedelta(days=90)
            )
        )
        for days_ago in range(20, 300, 9):
            for n in range(6 if days_ago > 90 else 9):
                session.add(
                    Appointment(
                        id=uuid.uuid4(),
                        practice_id=practice.practice.id,
                        location_id=practice.locations["downtown"].id,
                        starts_at=now - timedelta(days=days_ago, hours=n),
                        status="no_show" if n % (3 if days_ago > 90 else 8) == 0 else "completed",
                        source="pms",
                        created_at=now,
                    )
                )
    lead_id = await form_lead(domain, practice, first_name="Ana", last_name="Lopez")
    visit = (now + timedelta(days=3)).astimezone(CENTRAL).replace(hour=10, minute=0, second=0, microsecond=0)
    appointment_id = await book(domain, practice, lead_id, visit)
    await plan_due_reminders(domain)
    async with domain.sessionmaker() as session, session.begin():  # as if the 48 h reminder went an hour ago
        await session.execute(
            update(NurtureMessage)
            .where(
                NurtureMessage.appointment_id == appointment_id,
                NurtureMessage.reminder_kind == "reminder_48h",
            )
            .values(
                status="sent", attempt_started_at=now - timedelta(hours=1), sent_at=now - timedelta(hours=1)
            )
        )
    received = await receive_text(
        domain,
        message_sid="SM" + uuid.uuid4().hex,
        sender=CALLER,
        to=TRACKING,
        body="can we do another day?",
        ip=None,
    )
    assert received.message_id is not None
    assert (await read_reminder_reply(domain, received.message_id)).meaning == "reschedule"
    return practice


async def test_the_reminder_screens_at_both_widths(chromium, live_server, reminders):
    practice = await _world(reminders)
    token = await open_staff_session(reminders, practice.staff[MANAGER])
    for width in WIDTHS:
        context, page = await signed_in_page(chromium, live_server, token, width=width)
        for name, path, seen in (
            ("settings", "/reminders", "Send appointment reminders"),
            ("no-shows", "/reminders/no-shows", "Before reminders:"),
            ("inbox", "/inbox", "Schedule:"),
        ):
            await page.goto(live_server.url + path)
            await page.wait_for_selector(f"text={seen}")
            await shoot_at_width(page, f"reminders-{name}", width)
        assert "Wants to reschedule" in await page.inner_text(".schedule-alert")
        assert page.policy_violations == []
        await context.close()
