"""Matching against the PMS sync's own tables: patients read and decrypted, links written there,
completed treatment values summed per linked lead."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from router.core.models import LeadPatientMatch, Patient, TreatmentPlan
from router.core.phi_columns import PATIENT_EMAIL, PATIENT_FIRST_NAME, PATIENT_LAST_NAME, PATIENT_PHONE
from router.matching.patients import SyncedPatients
from router.matching.queue import match_practice
from tests.factories import make_practice
from tests.matching.helpers import new_lead

pytestmark = pytest.mark.integration


async def _patient(domain, practice_id, **fields):
    patient_id = uuid.uuid4()
    seal = domain.cipher.seal
    async with domain.sessionmaker() as session, session.begin():
        session.add(
            Patient(
                id=patient_id,
                practice_id=practice_id,
                pms_id=f"pat-{patient_id.hex[:8]}",
                first_name_enc=seal(fields["first_name"], column=PATIENT_FIRST_NAME, row_id=patient_id),
                last_name_enc=seal(fields["last_name"], column=PATIENT_LAST_NAME, row_id=patient_id),
                phone_enc=seal(fields["phone"], column=PATIENT_PHONE, row_id=patient_id),
                email_enc=seal(fields["email"], column=PATIENT_EMAIL, row_id=patient_id),
                zip=fields["zip"],
                source="fhir",
                created_at=domain.clock.now(),
                updated_at=domain.clock.now(),
            )
        )
    return patient_id


async def test_a_sure_match_is_linked_in_the_sync_tables_and_its_value_counted(domain):
    bright = await make_practice(domain)
    lead = await new_lead(
        domain,
        bright,
        first_name="Marisol",
        last_name="Quintero",
        phone="(512) 555-0161",
        email="mq@example.com",
        zip="78704",
    )
    patient = await _patient(
        domain,
        bright.practice.id,
        first_name="Marisol",
        last_name="Quintero",
        phone="+15125550161",
        email="mq@example.com",
        zip="78704",
    )
    directory = SyncedPatients(domain.cipher)
    run = await match_practice(domain, directory, bright.practice.id, now=domain.clock.now())
    assert (run.patients, run.linked) == (1, 1)
    async with domain.sessionmaker() as session, session.begin():
        link = await session.scalar(select(LeadPatientMatch))
        assert (link.lead_id, link.patient_id, link.method) == (lead, patient, "probabilistic")
        for value, status in ((1200.0, "completed"), (800.0, "completed"), (5000.0, "accepted")):
            session.add(
                TreatmentPlan(
                    id=uuid.uuid4(),
                    practice_id=bright.practice.id,
                    patient_id=patient,
                    pms_id=uuid.uuid4().hex[:12],
                    status=status,
                    value=value,
                    updated_at=domain.clock.now(),
                )
            )
    async with domain.sessionmaker() as session:
        assert await directory.lifetime_values(session, bright.practice.id) == {lead: 2000.0}
    again = await match_practice(domain, directory, bright.practice.id, now=domain.clock.now())
    assert again.linked == 0
