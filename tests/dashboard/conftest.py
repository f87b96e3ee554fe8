"""A practice with a day of hand-made history; every dashboard expectation is computed from it by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from router.core.models import FunnelEvent, Lead
from router.leads.escalation import escalate_lead
from router.leads.first_contact import record_first_contact
from tests.escalation.support import freeze, new_lead
from tests.factories import make_practice

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
"""Wednesday 14:00 in Chicago (UTC-6); "today" there began at 06:00 UTC."""
WEEKDAY = [["08:00", "12:00"], ["13:00", "17:00"]]
UPTOWN_HOURS = {day: WEEKDAY for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class History:
    fixture: object
    leads: dict[str, Lead]
    staff: dict[str, object]


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def history(domain) -> History:
    clock = freeze(domain, at(1, 0))
    practice = await make_practice(
        domain,
        locations={
            "downtown": {"zip": "78701"},  # open around the clock: business time = wall time
            "uptown": {"zip": "78705", "business_hours": UPTOWN_HOURS},
        },
        staff={
            "dana@bright.example": {"name": "Dana"},
            "eli@bright.example": {"name": "Eli"},
            "boss@bright.example": {"role": "manager", "name": "Morgan"},
            "downtown.boss@bright.example": {"role": "manager", "locations": ["downtown"]},
        },
    )
    staff = {email.split("@")[0]: user for email, user in practice.staff.items()}
    # name: (received, location, channel, contacted after, by, source of contact)
    plan = {
        "L1": (at(4, 15, 0), "downtown", "google_ads", timedelta(seconds=180), "dana", "board"),
        "L2": (at(4, 15, 10), "downtown", "google_ads", timedelta(seconds=600), "eli", "board"),
        "L3": (at(4, 16, 0), "downtown", "google_ads", timedelta(seconds=120), "dana", "board"),
        "L4": (at(4, 17, 0), "downtown", "google_ads", None, None, None),
        "L5": (at(4, 19, 58), "downtown", "google_ads", None, None, None),
        "L6": (at(4, 16, 30), "downtown", "google_ads", None, None, None),
        "L7": (at(4, 17, 58), "uptown", "phone", timedelta(minutes=63), "dana", "call"),
        "L8": (at(1, 15, 0), "downtown", "facebook_ads", timedelta(seconds=2400), "eli", "board"),
        "L9": (at(20, 15, 0, month=2), "downtown", "google_ads", timedelta(seconds=7200), "dana", "board"),
        "L10": (at(20, 15, 0, month=1), "downtown", "google_ads", timedelta(seconds=60), "dana", "board"),
    }
    leads = {}
    for name, (received, location, channel, after, by, source) in plan.items():
        clock.set(received)
        lead = await new_lead(domain, practice.practice.id, location=location, channel=channel)
        async with domain.sessionmaker() as session, session.begin():
            row = await session.get(Lead, lead.id, with_for_update=True)
            if after is not None:
                await record_first_contact(session, row, received + after, source, user_id=staff[by].id)
            if name == "L3":
                row.status, row.close_reason, row.closed_at = "closed", "appointment_booked", received + after
            if name == "L6":
                row.status, row.close_reason = "closed", "spam"
                row.closed_at = received + timedelta(minutes=2)
            if name == "L8":
                session.add(
                    FunnelEvent(
                        practice_id=row.practice_id,
                        lead_id=row.id,
                        stage="appointment_scheduled",
                        occurred_at=received + timedelta(hours=1),
                    )
                )
        leads[name] = lead
    clock.set(NOW)
    await escalate_lead(domain, leads["L4"].id, 1)  # as its job would have (only the breach list shows it)
    return History(practice, leads, staff)
