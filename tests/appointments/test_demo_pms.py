"""`leadrouter run` connects the demo practice to its own local PMS, which the sync then reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from connectors.pms.fhir_seed import seed_schedule
from leadrouter.demo import seed_demo
from leadrouter.demo_pms import DEMO_PMS_PRACTICE, connect_demo_pms
from router.appointments.pms_booking import free_slot_choices
from router.appointments.sync import sync_practice
from router.core.models import Location, PmsConnection, Practice

pytestmark = pytest.mark.integration


async def test_the_demo_practice_books_into_and_syncs_with_its_local_pms(domain, fhir_server):
    await seed_demo(domain)
    seed = await connect_demo_pms(domain, fhir_server.base_url)
    assert seed["locations"] and seed["practitioners"] and seed["time_zone"] == "America/Chicago"
    seed_schedule(
        fhir_server,
        locations=seed["locations"],
        practitioners=seed["practitioners"],
        first_day=date.today() + timedelta(days=1),
        days=7,
        time_zone=seed["time_zone"],
    )
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == DEMO_PMS_PRACTICE))
        connection = await session.get(PmsConnection, practice.id)
        office = await session.scalar(select(Location).where(Location.practice_id == practice.id).limit(1))
    assert (connection.kind, connection.writable, connection.base_url) == ("fhir", True, fhir_server.base_url)
    slots = await free_slot_choices(domain, office.id)
    assert slots is not None and slots.options and slots.unavailable is None
    assert not (await sync_practice(domain, practice.id)).failed
    assert await connect_demo_pms(domain, fhir_server.base_url) == seed  # a restart changes nothing
