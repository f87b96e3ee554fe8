"""Writing the product's bookings into the practice's PMS, when its connector can write.

Inside the close (or the overflow disposition) that booked it: the lead's patient is found or
created in the PMS (conditionally, so never twice), then the appointment, on the chosen free slot,
with our appointment id as its identifier (so a retry finds the first attempt's). A slot taken
meanwhile refuses the whole close with a clear message: nothing is stored in the product. A PMS
that does not answer leaves the appointment "pending in PMS": the close commits, and the worker
retries with back-off; after `ALERT_AFTER_ATTEMPTS` failures the managers are told once.

Known limit: the PMS call runs inside the close's transaction (bounded by the adapter's timeout); if
the commit itself then failed, the PMS would hold an appointment the product does not. Its identifier
names our appointment id, so it can be found and reconciled.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.booking import slot_value
from router.appointments.manager_notice import notify_managers
from router.appointments.patients import link_booking, linked_patient_of
from router.appointments.records import FreeSlot, NewAppointment, NewPatient
from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import Appointment, Lead, Location, Patient, PmsConnection, Provider
from router.core.phi_columns import (
    LEAD_DATE_OF_BIRTH,
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    PATIENT_FIRST_NAME,
    PATIENT_LAST_NAME,
)
from router.core.pms_ports import PmsAddress, PmsRefused, PmsUnavailable
from router.practices.alert_wording import PMS_BOOKING_PENDING, PMS_BOOKING_REFUSED

log = logging.getLogger("leadrouter.pms")

VISIT_MINUTES = 60
"""Length of a typed-time booking written to the PMS (a slot booking takes its slot's end)."""
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=10))
"""Waits between attempts to write a pending booking; the last repeats (every 10 minutes)."""
ALERT_AFTER_ATTEMPTS = 5
"""Failed attempts (about 20 minutes of an unreachable PMS) before the managers are told."""
RETRY_BATCH = 50


async def writable_pms(session: AsyncSession, practice_id: uuid.UUID) -> PmsAddress | None:
    """The practice's PMS when the product books into it (a writable FHIR connection), else None."""
    connection = await session.get(PmsConnection, practice_id)
    if connection is None or connection.kind != "fhir" or not connection.writable or not connection.base_url:
        return None
    return PmsAddress(practice_id=practice_id, kind="fhir", base_url=connection.base_url)


async def write_booking(
    domain: Domain, session: AsyncSession, lead: Lead, appointment: Appointment, *, slot: FreeSlot | None
) -> None:
    """Write a just-added appointment to the PMS inside the caller's transaction (see the module)."""
    address = await writable_pms(session, lead.practice_id)
    if address is None:
        return
    appointment.pms_state = "pending"
    appointment.pms_slot_id = slot.pms_id if slot else None
    await session.flush()
    ends_at = slot.ends_at if slot else None
    try:
        await _write(domain, session, address, lead, appointment, ends_at=ends_at)
    except PmsRefused as exc:
        field = "appointment_slot" if slot else "appointment_at"
        raise InvalidFields({field: str(exc)}) from exc
    except PmsUnavailable as exc:
        now = domain.clock.now()
        appointment.pms_attempts = 1
        appointment.pms_error = str(exc)[:500]
        appointment.pms_next_attempt_at = now + RETRY_DELAYS[0]


async def _write(
    domain: Domain,
    session: AsyncSession,
    address: PmsAddress,
    lead: Lead,
    appointment: Appointment,
    *,
    ends_at: datetime | None,
) -> None:
    """Patient (found or created), then the appointment; marks the row synced."""
    location = await session.get(Location, appointment.location_id)
    provider = await session.get(Provider, appointment.provider_id) if appointment.provider_id else None
    client = domain.pms.client(address)
    try:
        patient_pms_id = await _patient_in_pms(domain, session, client, lead)
        written = await client.book(
            NewAppointment(
                product_id=str(appointment.id),
                patient_pms_id=patient_pms_id,
                starts_at=appointment.starts_at,
                ends_at=ends_at or appointment.starts_at + timedelta(minutes=VISIT_MINUTES),
                location_pms_id=location.pms_id if location else None,
                provider_pms_id=provider.pms_id if provider else None,
                slot_pms_id=appointment.pms_slot_id,
                appointment_type=appointment.appointment_type,
            )
        )
    finally:
        await client.close()
    appointment.pms_id, appointment.pms_version = written.pms_id, written.version
    appointment.pms_state, appointment.pms_error, appointment.pms_next_attempt_at = "synced", None, None
    appointment.updated_at = domain.clock.now()
    patient = await _patient_row(domain, session, lead, patient_pms_id)
    appointment.patient_id = patient.id


async def _patient_in_pms(domain: Domain, session: AsyncSession, client: Any, lead: Lead) -> str:
    linked = await linked_patient_of(session, lead.id)
    if linked is not None:
        return linked.pms_id
    opened = domain.cipher.open
    born = opened(lead.date_of_birth_enc, column=LEAD_DATE_OF_BIRTH, row_id=lead.id)
    return str(
        await client.ensure_patient(
            NewPatient(
                lead_id=str(lead.id),
                first_name=opened(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id),
                last_name=opened(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id),
                phone=opened(lead.phone_enc, column=LEAD_PHONE, row_id=lead.id),
                email=opened(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id),
                date_of_birth=datetime.fromisoformat(born).date() if born else None,
            )
        )
    )


async def _patient_row(domain: Domain, session: AsyncSession, lead: Lead, pms_id: str) -> Patient:
    """The product's row for the PMS patient (the sync fills in the rest), linked to the lead."""
    now = domain.clock.now()
    patient = await session.scalar(
        select(Patient).where(Patient.practice_id == lead.practice_id, Patient.pms_id == pms_id)
    )
    if patient is None:
        patient_id = uuid.uuid4()
        opened, seal = domain.cipher.open, domain.cipher.seal
        first = opened(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
        last = opened(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
        patient = Patient(
            id=patient_id,
            practice_id=lead.practice_id,
            pms_id=pms_id,
            first_name_enc=seal(first, column=PATIENT_FIRST_NAME, row_id=patient_id),
            last_name_enc=seal(last, column=PATIENT_LAST_NAME, row_id=patient_id),
            phone_index=lead.phone_index,
            email_index=lead.email_index,
            source="fhir",
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        await session.flush()
    await link_booking(session, lead=lead, patient_id=patient.id, now=now)
    return patient


async def retry_pending_bookings(domain: Domain) -> dict[str, int]:
    """Write the pending appointments whose next attempt is due; each in its own transaction."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        due = (
            await session.scalars(
                select(Appointment.id)
                .where(
                    Appointment.pms_state == "pending",
                    (Appointment.pms_next_attempt_at.is_(None)) | (Appointment.pms_next_attempt_at <= now),
                )
                .order_by(Appointment.pms_next_attempt_at)
                .limit(RETRY_BATCH)
            )
        ).all()
    totals = {"written": 0, "failed": 0, "refused": 0}
    for appointment_id in due:
        totals[await _retry_one(domain, appointment_id)] += 1
    return totals


async def _retry_one(domain: Domain, appointment_id: uuid.UUID) -> str:
    alert: tuple[str, dict[str, str]] | None = None
    outcome = "failed"
    async with domain.sessionmaker() as session, session.begin():
        appointment = await session.scalar(
            select(Appointment).where(Appointment.id == appointment_id).with_for_update(skip_locked=True)
        )
        if appointment is None or appointment.pms_state != "pending" or appointment.lead_id is None:
            return "written"
        lead = await session.get(Lead, appointment.lead_id)
        address = await writable_pms(session, appointment.practice_id)
        if lead is None or address is None:
            appointment.pms_state = None  # the practice stopped booking into its PMS
            return "written"
        practice_id = appointment.practice_id
        try:
            await _write(domain, session, address, lead, appointment, ends_at=None)
            return "written"
        except PmsRefused as exc:
            appointment.pms_state, appointment.pms_error, outcome = "failed", str(exc)[:500], "refused"
            alert = PMS_BOOKING_REFUSED, {"error": str(exc)}
        except PmsUnavailable as exc:
            now = domain.clock.now()
            appointment.pms_attempts += 1
            appointment.pms_error = str(exc)[:500]
            delay = RETRY_DELAYS[min(appointment.pms_attempts - 1, len(RETRY_DELAYS) - 1)]
            appointment.pms_next_attempt_at = now + delay
            if appointment.pms_attempts >= ALERT_AFTER_ATTEMPTS and appointment.pms_alerted_at is None:
                alert = PMS_BOOKING_PENDING, {"attempts": str(appointment.pms_attempts), "error": str(exc)}
        if alert is not None:
            appointment.pms_alerted_at = domain.clock.now()
    if alert is not None:
        await notify_managers(domain, practice_id, alert=alert[0], values=alert[1])
    return outcome


async def retry_pms_bookings_task(ctx: dict[str, Any]) -> dict[str, int]:
    """The worker's sweep of bookings still pending in the PMS."""
    return await retry_pending_bookings(ctx["domain"])


SLOT_DAYS = 14
"""How far ahead the booking form offers the PMS's free slots."""
SLOT_CHOICES = 60
"""At most this many slots in the list: the next few days' openings, not a whole calendar."""


@dataclass(frozen=True)
class SlotOption:
    value: str
    label: str


@dataclass(frozen=True)
class SlotChoices:
    """What the booking form offers when the PMS takes bookings: its free slots, or why there are none."""

    options: tuple[SlotOption, ...]
    unavailable: str | None = None
    """Set when the PMS did not answer: the form then takes a typed time (stored as pending in PMS)."""


async def free_slot_choices(domain: Domain, location_id: uuid.UUID | None) -> SlotChoices | None:
    """The office's free slots in the PMS for the next `SLOT_DAYS`; None when the PMS takes no bookings."""
    if location_id is None:
        return None
    async with domain.sessionmaker() as session:
        location = await session.get(Location, location_id)
        if location is None:
            return None
        address = await writable_pms(session, location.practice_id)
        providers = dict(
            (
                await session.execute(
                    select(Provider.pms_id, Provider.name).where(Provider.practice_id == location.practice_id)
                )
            ).all()
        )
    if address is None:
        return None
    if not location.pms_id:
        return SlotChoices((), unavailable="This office is not linked to the practice-management system.")
    now = domain.clock.now()
    client = domain.pms.client(address)
    try:
        slots = await client.free_slots(
            location_pms_id=location.pms_id,
            provider_pms_id=None,
            start=now,
            end=now + timedelta(days=SLOT_DAYS),
        )
    except (PmsUnavailable, PmsRefused) as exc:
        return SlotChoices((), unavailable=str(exc))
    finally:
        await client.close()
    zone = ZoneInfo(location.time_zone)
    options = []
    for slot in slots[:SLOT_CHOICES]:
        local = slot.starts_at.astimezone(zone)
        who = providers.get(slot.provider_pms_id) if slot.provider_pms_id else None
        label = f"{local:%a %d %b, %H:%M %Z}" + (f" with {who}" if who else "")
        options.append(SlotOption(value=slot_value(slot), label=label))
    return SlotChoices(tuple(options))
