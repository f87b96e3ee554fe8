"""Shared helpers of the matching tests: staff, leads from web-form inquiries, people to match."""

from __future__ import annotations

import hashlib
import json
import uuid

from router.intake.pipeline import InquiryCommand, ingest_inquiry
from tests.board.helpers import FORM
from tests.factories import inquiry

STAFF = {"boss@bright.example": {"role": "manager"}, "desk@bright.example": {}}


async def new_lead(domain, practice, **fields):
    """A web-form inquiry with these contact details, as the intake stores it."""
    body = inquiry(**fields)
    result = await ingest_inquiry(
        domain,
        InquiryCommand(
            practice_id=practice.practice.id,
            source_kind="form",
            fields=body,
            received_at=domain.clock.now(),
            actor=FORM,
            idempotency_scope="form:test",
            idempotency_key=uuid.uuid4().hex,
            request_sha256=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest(),
        ),
    )
    return result.lead_id


async def _people(domain, bright, book):
    """One sure match (same details), one unsure (nickname, new phone, no email), one stranger."""
    sure = await new_lead(
        domain,
        bright,
        first_name="Marisol",
        last_name="Quintero",
        phone="(512) 555-0161",
        email="mq@example.com",
        zip="78704",
    )
    unsure = await new_lead(
        domain,
        bright,
        first_name="Bob",
        last_name="Okafor",
        phone="(512) 555-0162",
        email="bob.o@example.net",
        zip="78705",
    )
    await new_lead(
        domain, bright, first_name="Zed", last_name="Stranger", phone="(512) 555-0163", zip="78610"
    )
    practice = bright.practice.id
    marisol = book.add(
        practice,
        first_name="Marisol",
        last_name="Quintero",
        phone="+15125550161",
        email="mq@example.com",
        zip="78704",
    )
    robert = book.add(
        practice, first_name="Robert", last_name="Okafor", phone="+15125550999", email=None, zip="78705"
    )
    book.add(
        practice,
        first_name="Ada",
        last_name="Other",
        phone="+15125550777",
        email="ada@example.org",
        zip="78701",
    )
    return sure, unsure, marisol, robert


async def stored_patient(domain, practice_id, *, first_name, last_name, phone=None, email=None, zip=None):
    """A patient row as the PMS sync stores it (PHI sealed per column)."""
    from router.core.models import Patient
    from router.core.phi_columns import PATIENT_EMAIL, PATIENT_FIRST_NAME, PATIENT_LAST_NAME, PATIENT_PHONE

    patient_id = uuid.uuid4()
    seal = domain.cipher.seal
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            Patient(
                id=patient_id,
                practice_id=practice_id,
                pms_id=f"pat-{patient_id.hex[:8]}",
                first_name_enc=seal(first_name, column=PATIENT_FIRST_NAME, row_id=patient_id),
                last_name_enc=seal(last_name, column=PATIENT_LAST_NAME, row_id=patient_id),
                phone_enc=seal(phone, column=PATIENT_PHONE, row_id=patient_id),
                email_enc=seal(email, column=PATIENT_EMAIL, row_id=patient_id),
                zip=zip,
                source="fhir",
                created_at=domain.clock.now(),
                updated_at=domain.clock.now(),
            )
        )
    return patient_id


async def visit(domain, practice, patient_id, *, starts_at, status="completed", lead_id=None):
    """An appointment of the patient, synced from the PMS, at the practice's first office."""
    from router.core.models import Appointment

    appointment_id = uuid.uuid4()
    location = next(iter(practice.locations.values()))
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            Appointment(
                id=appointment_id,
                practice_id=practice.practice.id,
                lead_id=lead_id,
                patient_id=patient_id,
                location_id=location.id,
                starts_at=starts_at,
                status=status,
                source="pms",
                pms_id=f"appt-{appointment_id.hex[:8]}",
                pms_state="synced",
                created_at=domain.clock.now(),
            )
        )
    return appointment_id
