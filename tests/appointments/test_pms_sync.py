"""Reading the PMS's changes: cancellations and no-shows reach the lead; paging, cursor, outages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connectors.pms import fhir
from router.appointments.sync import ALERT_AFTER, last_pms_sync, sync_practice
from router.core.models import (
    Appointment,
    DomainEvent,
    Lead,
    LeadPatientMatch,
    Patient,
    PmsConnection,
    PmsSyncRun,
)
from router.core.phi_columns import LEAD_PHONE
from tests.appointments.helpers import _At, book_from_board, notes_of, offered_slots
from tests.board.helpers import new_lead
from tests.factories import sign_in

pytestmark = pytest.mark.integration


async def test_a_cancellation_and_a_no_show_in_the_pms_reach_their_leads(client, domain, connected):
    server = connected.server
    await sign_in(client, domain, "ana@bright.example")
    cancelled_lead, cancelled = await book_from_board(client, domain, connected)
    missed_lead, missed = await book_from_board(client, domain, connected)
    assert (await sync_practice(domain, connected.practice_id)).changed >= 0  # the bookings come back as-is

    server.set_status("Appointment", cancelled.pms_id, "cancelled")
    server.set_status("Appointment", missed.pms_id, "noshow")
    outcome = await sync_practice(domain, connected.practice_id)
    assert not outcome.failed and outcome.changed >= 2

    async with domain.sessionmaker() as session:
        statuses = {
            a.lead_id: a.status
            for a in await session.scalars(select(Appointment).where(Appointment.lead_id.is_not(None)))
        }
        kinds = (
            await session.scalars(
                select(DomainEvent.kind).where(DomainEvent.lead_id.in_([cancelled_lead, missed_lead]))
            )
        ).all()
    assert statuses == {cancelled_lead: "cancelled", missed_lead: "no_show"}
    assert kinds.count("lead.appointment_changed") == 2
    (note,) = await notes_of(domain, cancelled_lead)
    assert "as cancelled" in note and "Downtown Office" in note
    assert "as a no-show" in (await notes_of(domain, missed_lead))[0]
    # the freed slot is offered again
    assert cancelled.pms_slot_id in [
        v.split("|")[0] for v, _ in await offered_slots(client, await new_lead(domain, connected.practice))
    ]

    again = await sync_practice(domain, connected.practice_id)  # a change seen twice changes nothing twice
    assert again.changed == 0
    assert len(await notes_of(domain, cancelled_lead)) == 1

    server.set_status("Appointment", missed.pms_id, "fulfilled")
    await sync_practice(domain, connected.practice_id)
    async with domain.sessionmaker() as session:
        assert (await session.get(Lead, missed_lead)).stage == "appointment_completed"


async def test_pages_and_the_cursor_read_each_change_once_and_link_exact_matches(
    domain, connected, monkeypatch
):
    server = connected.server
    monkeypatch.setattr(fhir, "PAGE_SIZE", 3)
    lead_id = await new_lead(domain, connected.practice, location="downtown", date_of_birth="1990-02-03")
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
    patients = [
        server.change({"resourceType": "Patient", "name": [{"family": f"Family{n}", "given": ["Pat"]}]})
        for n in range(7)
    ]
    same_person = server.change(
        {
            "resourceType": "Patient",
            "name": [{"family": "Someone", "given": ["Else"]}],
            "telecom": [{"system": "phone", "value": phone}],
            "birthDate": "1990-02-03",
        }
    )
    for n, patient in enumerate(patients[:5]):
        server.change(
            {
                "resourceType": "Appointment",
                "status": "booked",
                "start": f"2031-01-0{n + 1}T15:00:00+00:00",
                "participant": [
                    {"actor": {"reference": f"Patient/{patient['id']}"}, "status": "accepted"},
                    {"actor": {"reference": "Location/loc-downtown"}, "status": "accepted"},
                ],
            }
        )
    first = await sync_practice(domain, connected.practice_id)
    assert (first.seen, first.changed, first.failed) == (13, 13, False)
    paged = [q for m, q in server.requests if m == "GET" and "_offset=" in q]
    assert len(paged) >= 3, "the sync followed the Bundles' next links"
    second = await sync_practice(domain, connected.practice_id)
    assert second.changed == 0 and second.seen <= 2  # only the newest of each resource, at the cursor
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Patient)) == 8
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 5
        link = await session.scalar(select(LeadPatientMatch))
        stored = await session.scalar(select(Patient).where(Patient.pms_id == same_person["id"]))
        status = await last_pms_sync(session, connected.practice_id)
    assert (link.lead_id, link.patient_id, link.method) == (lead_id, stored.id, "exact")
    assert status.last_error is None and status.last_success_at is not None


async def test_a_pms_that_is_down_backs_off_and_alerts_managers_after_30_minutes(domain, connected):
    server = connected.server
    server.down = True
    start = domain.clock.now()
    domain.clock = _At(start)
    outcome = await sync_practice(domain, connected.practice_id)
    assert outcome.failed
    async with domain.sessionmaker() as session:
        connection = await session.get(PmsConnection, connected.practice_id)
        (run,) = (await session.scalars(select(PmsSyncRun))).all()
    assert (
        "503" in connection.last_error and connection.next_sync_at > start and connection.alerted_at is None
    )
    assert run.status == "failed" and "503" in run.problems[0]
    domain.clock = _At(start + ALERT_AFTER + timedelta(minutes=1))
    await sync_practice(domain, connected.practice_id)
    async with domain.sessionmaker() as session:
        connection = await session.get(PmsConnection, connected.practice_id)
    assert connection.alerted_at == start + ALERT_AFTER + timedelta(minutes=1)
    assert connection.next_sync_at - connection.last_sync_at == timedelta(minutes=15)
    server.down = False
    await sync_practice(domain, connected.practice_id)
    async with domain.sessionmaker() as session:
        connection = await session.get(PmsConnection, connected.practice_id)
    assert (connection.failing_since, connection.alerted_at, connection.last_error) == (None, None, None)
