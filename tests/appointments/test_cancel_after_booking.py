"""A visit cancelled in the PMS after its lead was closed as booked: the lead's stage goes back, the
funnel counts it as cancelled (not scheduled) and the lead's timeline says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.appointments.sync import sync_practice
from router.core.models import FunnelEvent, Lead
from router.funnel.facts import load_facts
from router.funnel.report import cancelled_count, stage_rows
from tests.appointments.helpers import book_from_board, notes_of
from tests.factories import sign_in
from tests.fixtures.pms import connect_practice

pytestmark = pytest.mark.integration

STAFF = {"ana@bright.example": {"name": "Ana Ruiz"}, "boss@bright.example": {"role": "manager"}}


@pytest.fixture
async def connected(domain, fhir_server):
    return await connect_practice(domain, fhir_server, staff=STAFF)


async def _scheduled(domain, practice_id) -> tuple[int, int]:
    async with domain.sessionmaker() as session:
        facts = await load_facts(session, practice_id)
    counts = {row.stage: row.count for row in stage_rows(facts)}
    return counts["appointment_scheduled"], cancelled_count(facts)


async def test_a_cancellation_after_a_booked_close_moves_the_lead_back(client, domain, connected):
    await sign_in(client, domain, "boss@bright.example")  # books from the board, then reads the funnel
    lead_id, appointment = await book_from_board(client, domain, connected)
    kept_id, _ = await book_from_board(client, domain, connected)
    await sync_practice(domain, connected.practice_id)
    async with domain.sessionmaker() as session:
        booked = await session.get(Lead, lead_id)
    assert (booked.status, booked.close_reason, booked.stage) == (
        "closed",
        "appointment_booked",
        "appointment_scheduled",
    )
    assert await _scheduled(domain, connected.practice_id) == (2, 0)

    connected.server.set_status("Appointment", appointment.pms_id, "cancelled")
    await sync_practice(domain, connected.practice_id)
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        kept = await session.get(Lead, kept_id)
        stages = (
            await session.scalars(select(FunnelEvent.stage).where(FunnelEvent.lead_id == lead_id))
        ).all()
    assert lead.stage == ("contacted" if lead.first_contact_at else "lead")
    assert lead.status == "closed" and kept.stage == "appointment_scheduled"
    assert "appointment_cancelled" in stages
    assert await _scheduled(domain, connected.practice_id) == (1, 1)
    (note,) = await notes_of(domain, lead_id)
    assert "closed as booked" in note and "counts as cancelled in the funnel" in note

    await sync_practice(domain, connected.practice_id)  # seen twice: no second note, no second move
    assert len(await notes_of(domain, lead_id)) == 1

    page = await client.get("/funnel")
    assert page.status_code == 200
    assert "1 lead was booked, then every appointment was cancelled" in page.text
