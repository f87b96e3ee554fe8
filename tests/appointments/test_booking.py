"""Booking an appointment: one row per booking, checked against the practice, in the office's time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from router.appointments.booking import BookingRequest, booking_from_form
from router.core import errors
from router.core.models import Appointment, Lead
from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import new_lead
from tests.factories import csrf_of, make_practice, sign_in, viewer_of

pytestmark = pytest.mark.integration

WEEKDAYS_NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
async def office(domain):
    practice = await make_practice(
        domain,
        locations={
            "downtown": {"zip": "78701", "business_hours": WEEKDAYS_NINE_TO_FIVE},
            "lakeway": {"zip": "78734", "time_zone": "America/Los_Angeles"},
        },
        staff={"ana@bright.example": {"name": "Ana Ruiz"}},
    )
    ana = await viewer_of(domain, practice.staff["ana@bright.example"])
    return practice, ana


def next_weekday_at(now: datetime, zone: str, hour: int) -> datetime:
    """A Tuesday at `hour` o'clock in the zone, at least two days ahead."""
    local = (now + timedelta(days=2)).astimezone(ZoneInfo(zone))
    local += timedelta(days=(1 - local.weekday()) % 7)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def count_appointments(domain) -> int:
    async with domain.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Appointment))


async def test_booked_close_stores_one_appointment_in_the_offices_own_time(domain, office):
    practice, ana = office
    lead_id = await new_lead(domain, practice, location="downtown")
    tuesday_ten = next_weekday_at(domain.clock.now(), "America/Chicago", 10).replace(tzinfo=None)
    await actions.close_lead(
        domain,
        ana,
        lead_id,
        reason="appointment_booked",
        actor=Actor("user", str(ana.user_id)),
        booking=BookingRequest(starts_at=tuesday_ten),
    )
    async with domain.sessionmaker() as session:
        (appointment,) = (await session.scalars(select(Appointment))).all()
        lead = await session.get(Lead, lead_id)
    assert appointment.lead_id == lead_id and appointment.location_id == practice.locations["downtown"].id
    assert appointment.starts_at.astimezone(ZoneInfo("America/Chicago")).replace(tzinfo=None) == tuesday_ten
    assert (appointment.status, appointment.source, appointment.booked_by_user_id) == (
        "booked",
        "board",
        ana.user_id,
    )
    assert (lead.status, lead.close_reason) == ("closed", "appointment_booked")


async def test_a_booking_that_cannot_be_stored_changes_nothing_and_names_the_field(domain, office):
    practice, ana = office
    lead_id = await new_lead(domain, practice, location="downtown")
    me = Actor("user", str(ana.user_id))
    now = domain.clock.now()
    with pytest.raises(errors.InvalidFields) as missing:
        await actions.close_lead(domain, ana, lead_id, reason="appointment_booked", actor=me)
    assert set(missing.value.errors) == {"appointment_at"}
    with pytest.raises(errors.InvalidFields) as past:
        await actions.close_lead(
            domain,
            ana,
            lead_id,
            reason="appointment_booked",
            actor=me,
            booking=BookingRequest(starts_at=now - timedelta(hours=1)),
        )
    assert "passed" in past.value.errors["appointment_at"]
    sunday = next_weekday_at(now, "America/Chicago", 10) - timedelta(days=2)
    with pytest.raises(errors.InvalidFields) as closed:
        await actions.close_lead(
            domain,
            ana,
            lead_id,
            reason="appointment_booked",
            actor=me,
            booking=BookingRequest(starts_at=sunday),
        )
    assert "closed at that time" in closed.value.errors["appointment_at"]
    elsewhere = await make_practice(domain, slug="other")
    with pytest.raises(errors.InvalidFields) as foreign:
        await actions.close_lead(
            domain,
            ana,
            lead_id,
            reason="appointment_booked",
            actor=me,
            booking=BookingRequest(
                starts_at=now + timedelta(days=3), location_id=elsewhere.locations["downtown"].id
            ),
        )
    assert set(foreign.value.errors) == {"appointment_location"}
    assert await count_appointments(domain) == 0
    async with domain.sessionmaker() as session:
        assert (await session.get(Lead, lead_id)).status == "open"

    await actions.close_lead(
        domain,
        ana,
        lead_id,
        reason="appointment_booked",
        actor=me,
        booking=BookingRequest(starts_at=sunday, outside_hours_confirmed=True),
    )
    assert await count_appointments(domain) == 1


def test_form_fields_are_read_and_each_bad_one_named():
    request = booking_from_form({"appointment_at": "2031-03-04T09:30", "appointment_outside_hours": "on"})
    assert request.starts_at == datetime(2031, 3, 4, 9, 30) and request.outside_hours_confirmed
    with pytest.raises(errors.InvalidFields) as bad:
        booking_from_form({"appointment_at": "next tuesday", "appointment_provider": "dr-who"})
    assert set(bad.value.errors) == {"appointment_at", "appointment_provider"}


async def test_the_board_form_books_in_the_chosen_offices_zone_and_names_bad_fields(client, domain, office):
    practice, _ = office
    lead_id = await new_lead(domain, practice, location="downtown")
    await sign_in(client, domain, "ana@bright.example")
    headers = {"x-csrftoken": await csrf_of(client)}
    refused = await client.post(
        f"/board/leads/{lead_id}/close", data={"reason": "appointment_booked"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "appointment_at", "message": "Enter the appointment's date and time."}
    ]
    lakeway = practice.locations["lakeway"].id
    answer = await client.post(
        f"/board/leads/{lead_id}/close",
        data={
            "reason": "appointment_booked",
            "appointment_at": "2031-03-04T08:15",
            "appointment_location": str(lakeway),
        },
        headers=headers,
    )
    assert answer.status_code == 204, answer.text
    async with domain.sessionmaker() as session:
        (appointment,) = (await session.scalars(select(Appointment))).all()
    assert appointment.location_id == lakeway
    assert appointment.starts_at == datetime(2031, 3, 4, 8, 15, tzinfo=ZoneInfo("America/Los_Angeles"))
