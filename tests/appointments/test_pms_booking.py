"""Booking into the practice's PMS from the board: free slots, a slot taken meanwhile, a PMS that is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from router.appointments.booking import booking_from_form
from router.appointments.pms_booking import ALERT_AFTER_ATTEMPTS, retry_pending_bookings
from router.core.models import Appointment, Lead, LeadPatientMatch, Patient
from router.core.phi_columns import LEAD_PHONE
from tests.appointments.helpers import _At, close_on, offered_slots
from tests.board.helpers import new_lead
from tests.factories import sign_in

pytestmark = pytest.mark.integration


async def test_booking_from_the_board_creates_the_fhir_appointment_on_the_chosen_slot(
    client, domain, connected
):
    server = connected.server
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    await sign_in(client, domain, "ana@bright.example")
    slots = await offered_slots(client, lead_id)
    assert slots, "the panel offers the PMS's free slots"
    value, label = slots[0]
    assert "with Dr. Maria Chen" in label and ("CST" in label or "CDT" in label)

    answer = await close_on(client, lead_id, value)
    assert answer.status_code == 204, answer.text

    (booked,) = server.all("Appointment")
    slot_id = value.split("|")[0]
    assert booked["slot"] == [{"reference": f"Slot/{slot_id}"}]
    assert server.get("Slot", slot_id)["status"] == "busy"
    (patient,) = server.all("Patient")
    assert {"reference": f"Patient/{patient['id']}"} in [p["actor"] for p in booked["participant"]]
    assert {"reference": "Practitioner/prac-chen"} in [p["actor"] for p in booked["participant"]]
    async with domain.sessionmaker() as session:
        (appointment,) = (await session.scalars(select(Appointment))).all()
        link = await session.scalar(select(LeadPatientMatch))
        lead = await session.get(Lead, lead_id)
    assert (appointment.pms_state, appointment.pms_id, appointment.pms_slot_id) == (
        "synced",
        booked["id"],
        slot_id,
    )
    assert booked["identifier"][0]["value"] == str(appointment.id)
    assert appointment.provider_id is not None
    assert (link.lead_id, link.method) == (lead_id, "booking")
    assert (lead.status, lead.stage) == ("closed", "appointment_scheduled")
    assert value not in [
        v for v, _ in await offered_slots(client, await new_lead(domain, connected.practice))
    ]


async def test_a_slot_taken_meanwhile_is_refused_beside_the_field_and_nothing_is_written(
    client, domain, connected
):
    server = connected.server
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    await sign_in(client, domain, "ana@bright.example")
    value, _ = (await offered_slots(client, lead_id))[0]
    server.take_slot(value.split("|")[0])  # the front desk booked it in the PMS meanwhile

    answer = await close_on(client, lead_id, value)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "appointment_slot"
    assert "booked in the practice's schedule meanwhile" in error["message"]
    assert server.all("Appointment") == []
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert (await session.get(Lead, lead_id)).status == "open"


async def test_an_existing_pms_patient_is_used_not_duplicated(client, domain, connected):
    server = connected.server
    lead_id = await new_lead(domain, connected.practice, location="downtown", last_name="Okafor")
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        phone = domain.cipher.open(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id)
    existing = server.change(
        {
            "resourceType": "Patient",
            "name": [{"family": "Okafor", "given": ["Ada"]}],
            "telecom": [{"system": "phone", "value": phone}],
        }
    )
    await sign_in(client, domain, "ana@bright.example")
    value, _ = (await offered_slots(client, lead_id))[0]
    assert (await close_on(client, lead_id, value)).status_code == 204
    assert [p["id"] for p in server.all("Patient")] == [existing["id"]]
    (booked,) = server.all("Appointment")
    assert {"reference": f"Patient/{existing['id']}"} in [p["actor"] for p in booked["participant"]]


async def test_a_pms_that_is_down_keeps_the_booking_pending_retries_and_alerts_once(
    client, domain, connected
):
    server = connected.server
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    await sign_in(client, domain, "ana@bright.example")
    value, _ = (await offered_slots(client, lead_id))[0]
    server.down = True

    panel = await client.get(f"/board/leads/{lead_id}/more")
    assert "could not be read" in panel.text and 'name="appointment_at"' in panel.text
    answer = await close_on(client, lead_id, value)
    assert answer.status_code == 204, answer.text
    async with domain.sessionmaker() as session:
        (appointment,) = (await session.scalars(select(Appointment))).all()
        assert (await session.get(Lead, lead_id)).status == "closed"
    assert (appointment.pms_state, appointment.pms_attempts) == ("pending", 1)
    assert "503" in appointment.pms_error

    clock = domain.clock
    for attempt in range(2, ALERT_AFTER_ATTEMPTS + 2):
        clock_now = clock.now()
        domain.clock = _At(clock_now + timedelta(minutes=11 * attempt))
        await retry_pending_bookings(domain)
        async with domain.sessionmaker() as session:
            row = await session.get(Appointment, appointment.id)
        assert row.pms_state == "pending" and row.pms_attempts == attempt
        assert (row.pms_alerted_at is not None) == (attempt >= ALERT_AFTER_ATTEMPTS)
    alerted_at = row.pms_alerted_at

    server.down = False
    domain.clock = _At(domain.clock.now() + timedelta(minutes=11))
    assert (await retry_pending_bookings(domain))["written"] == 1
    assert (await retry_pending_bookings(domain)) == {"written": 0, "failed": 0, "refused": 0}
    async with domain.sessionmaker() as session:
        row = await session.get(Appointment, appointment.id)
        patients = await session.scalar(select(func.count()).select_from(Patient))
    assert (row.pms_state, row.pms_alerted_at) == ("synced", alerted_at)
    assert len(server.all("Appointment")) == 1 and len(server.all("Patient")) == 1 and patients == 1


@pytest.mark.unit
def test_a_slot_value_that_is_not_one_of_the_lists_is_named():
    from router.appointments.booking import booking_from_form
    from router.core.errors import InvalidFields

    good = booking_from_form(
        {"appointment_slot": "slot-1|2031-03-04T09:00:00-06:00|2031-03-04T09:30:00-06:00|prac-chen"}
    )
    assert good.slot is not None and good.slot.provider_pms_id == "prac-chen" and good.outside_hours_confirmed
    for tampered in ("slot-1", "slot-1|tomorrow|later|", "|2031-03-04T09:00:00|2031-03-04T09:30:00|"):
        with pytest.raises(InvalidFields) as refused:
            booking_from_form({"appointment_slot": tampered})
        assert set(refused.value.errors) == {"appointment_slot"}


async def test_the_overflow_agents_booking_goes_into_the_pms_on_a_free_slot(domain, connected):
    import uuid as uuid_module

    from sqlalchemy import update

    from router.appointments.pms_booking import free_slot_choices
    from router.core.models import CallCenter, CallCenterPractice
    from router.leads.overflow import record_disposition
    from router.privacy.audit import Actor
    from router.privacy.auth import create_user
    from tests.factories import viewer_of

    async with domain.sessionmaker() as session, session.begin():
        center = CallCenter(id=uuid_module.uuid4(), slug="answer-co", name="Answer Co")
        session.add(center)
        await session.flush()
        session.add(CallCenterPractice(call_center_id=center.id, practice_id=connected.practice_id))
        agent = await create_user(
            session,
            email="hana@overflow.example",
            display_name="Hana Ito",
            password="correct horse battery",
            role="overflow_agent",
            call_center_id=center.id,
        )
    lead_id = await new_lead(domain, connected.practice, location="downtown")
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(overflow=True, claimed_by_user_id=agent.id, claimed_at=domain.clock.now())
        )
    slots = await free_slot_choices(domain, connected.practice.locations["downtown"].id)
    hana = await viewer_of(domain, agent)
    await record_disposition(
        domain,
        hana,
        lead_id,
        disposition="booked",
        note="Booked on the first free time",
        call_back_at=None,
        actor=Actor("user", str(agent.id)),
        booking=booking_from_form({"appointment_slot": slots.options[0].value}),
    )
    (booked,) = connected.server.all("Appointment")
    async with domain.sessionmaker() as session:
        appointment = await session.scalar(select(Appointment).where(Appointment.lead_id == lead_id))
    assert (appointment.source, appointment.pms_state, appointment.pms_id) == (
        "overflow",
        "synced",
        booked["id"],
    )
    assert booked["slot"] == [{"reference": f"Slot/{slots.options[0].value.split('|')[0]}"}]
