"""Storing what the PMS says about patients and treatment plans, and linking patients to leads.

Rows are keyed by the PMS's id and carry the PMS's version: a record seen again with the same
version changes nothing (a re-read page, a re-imported file). PHI is sealed per column as on leads;
phone and email are blind-indexed with the leads' keys, so the exact link below is one indexed query.

The exact link is deliberately narrow: the same phone or email AND the same date of birth (or, when
the lead gave none, the same first and last name). The probabilistic matcher replaces it for
everything fuzzier (typos, nicknames, a new phone) and adds its own `probabilistic` rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.appointments.records import PatientRecord, TreatmentPlanRecord
from router.core.domain import Domain
from router.core.models import Appointment, Lead, LeadPatientMatch, Patient, Provider, TreatmentPlan
from router.core.phi_columns import (
    LEAD_DATE_OF_BIRTH,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    PATIENT_DATE_OF_BIRTH,
    PATIENT_EMAIL,
    PATIENT_FIRST_NAME,
    PATIENT_LAST_NAME,
    PATIENT_PHONE,
)


@dataclass(frozen=True)
class Applied:
    """What storing one record did: the row, whether anything changed, and leads newly linked."""

    patient: Patient | None
    changed: bool
    linked_leads: tuple[uuid.UUID, ...] = ()


async def apply_patient(
    domain: Domain,
    session: AsyncSession,
    practice_id: uuid.UUID,
    record: PatientRecord,
    *,
    source: str,
    now: datetime,
) -> Applied:
    """Insert or update the patient; unchanged (same version) does nothing. Links exact-matching leads."""
    patient = await session.scalar(
        select(Patient)
        .where(Patient.practice_id == practice_id, Patient.pms_id == record.pms_id)
        .with_for_update()
    )
    if patient is not None and patient.pms_version == record.version:
        return Applied(patient, changed=False)
    if patient is None:
        patient = Patient(
            id=uuid.uuid4(), practice_id=practice_id, pms_id=record.pms_id, source=source, created_at=now
        )
        session.add(patient)
    seal, row_id = domain.cipher.seal, patient.id
    patient.first_name_enc = seal(record.first_name, column=PATIENT_FIRST_NAME, row_id=row_id)
    patient.last_name_enc = seal(record.last_name, column=PATIENT_LAST_NAME, row_id=row_id)
    patient.phone_enc = seal(record.phone, column=PATIENT_PHONE, row_id=row_id)
    patient.email_enc = seal(record.email, column=PATIENT_EMAIL, row_id=row_id)
    birth = record.date_of_birth.isoformat() if record.date_of_birth else None
    patient.date_of_birth_enc = seal(birth, column=PATIENT_DATE_OF_BIRTH, row_id=row_id)
    patient.phone_index = domain.blind_index.digest(record.phone, kind="phone")
    patient.email_index = domain.blind_index.digest(record.email, kind="email")
    patient.zip = record.zip
    patient.pms_version = record.version
    patient.updated_at = now
    await session.flush()
    linked = await link_exact_matches(domain, session, patient, record, now=now)
    return Applied(patient, changed=True, linked_leads=linked)


async def link_exact_matches(
    domain: Domain, session: AsyncSession, patient: Patient, record: PatientRecord, *, now: datetime
) -> tuple[uuid.UUID, ...]:
    """Link the practice's leads with the same phone or email and the same birth date (or name)."""
    keys = [
        c
        for c in (
            Lead.phone_index == patient.phone_index if patient.phone_index else None,
            Lead.email_index == patient.email_index if patient.email_index else None,
        )
        if c is not None
    ]
    if not keys:
        return ()
    leads = (
        await session.scalars(select(Lead).where(Lead.practice_id == patient.practice_id, or_(*keys)))
    ).all()
    linked = []
    for lead in leads:
        if not _same_person(domain, lead, record):
            continue
        inserted = await session.scalar(
            insert(LeadPatientMatch)
            .values(
                id=uuid.uuid4(),
                practice_id=patient.practice_id,
                lead_id=lead.id,
                patient_id=patient.id,
                method="exact",
                score=1.0,
                created_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_lead_patient_matches_lead_patient")
            .returning(LeadPatientMatch.id)
        )
        if inserted is not None:
            linked.append(lead.id)
    return tuple(linked)


def _same_person(domain: Domain, lead: Lead, record: PatientRecord) -> bool:
    opened = domain.cipher.open
    born = opened(lead.date_of_birth_enc, column=LEAD_DATE_OF_BIRTH, row_id=lead.id)
    if born and record.date_of_birth:
        return born == record.date_of_birth.isoformat()
    first = opened(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    last = opened(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
    return bool(first and last and record.first_name and record.last_name) and (
        (first.casefold(), last.casefold()) == (record.first_name.casefold(), record.last_name.casefold())
    )


async def link_booking(session: AsyncSession, *, lead: Lead, patient_id: uuid.UUID, now: datetime) -> None:
    """The product created (or found) this lead's patient while booking: a certain link."""
    await session.execute(
        insert(LeadPatientMatch)
        .values(
            id=uuid.uuid4(),
            practice_id=lead.practice_id,
            lead_id=lead.id,
            patient_id=patient_id,
            method="booking",
            score=1.0,
            created_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_lead_patient_matches_lead_patient")
    )


async def linked_lead_of(session: AsyncSession, patient_id: uuid.UUID) -> uuid.UUID | None:
    """The lead a patient is linked to (the most recent link), if any."""
    return await session.scalar(
        select(LeadPatientMatch.lead_id)
        .where(LeadPatientMatch.patient_id == patient_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


async def apply_treatment_plan(
    session: AsyncSession, practice_id: uuid.UUID, record: TreatmentPlanRecord, *, zone: str, now: datetime
) -> bool | str:
    """Insert or update a plan; False when unchanged, a problem string when its patient is unknown."""
    patient_id = await session.scalar(
        select(Patient.id).where(Patient.practice_id == practice_id, Patient.pms_id == record.patient_pms_id)
    )
    if patient_id is None:
        return f"patient {record.patient_pms_id} is not known yet; import the patients export first."
    plan = await session.scalar(
        select(TreatmentPlan).where(
            TreatmentPlan.practice_id == practice_id, TreatmentPlan.pms_id == record.pms_id
        )
    )
    if plan is not None and plan.pms_version == record.version:
        return False
    if plan is None:
        plan = TreatmentPlan(id=uuid.uuid4(), practice_id=practice_id, pms_id=record.pms_id)
        session.add(plan)
    provider_id = None
    if record.provider_pms_id:
        provider_id = await session.scalar(
            select(Provider.id).where(
                Provider.practice_id == practice_id, Provider.pms_id == record.provider_pms_id
            )
        )
    plan.patient_id = patient_id
    plan.description = record.description
    plan.status = record.status
    plan.value = record.value
    plan.provider_id = provider_id
    plan.presented_at = aware(record.presented_at, zone)
    plan.accepted_at = aware(record.accepted_at, zone)
    plan.completed_at = aware(record.completed_at, zone)
    plan.pms_version = record.version
    plan.updated_at = now
    return True


def aware(moment: datetime | None, zone: str) -> datetime | None:
    """A file export's wall-clock time read in the office's (or practice's) zone; aware times as they are."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(zone))


async def linked_patient_of(session: AsyncSession, lead_id: uuid.UUID) -> Patient | None:
    """The patient a lead is linked to (the most recent link), if any."""
    return await session.scalar(
        select(Patient)
        .join(LeadPatientMatch, LeadPatientMatch.patient_id == Patient.id)
        .where(LeadPatientMatch.lead_id == lead_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


async def is_existing_patient(session: AsyncSession, lead: Lead) -> bool:
    """The lead is linked (on sync, by the matcher or by a manager) to a patient who had a completed
    visit before the lead arrived: someone the practice already treats, not a new patient."""
    visited_before = exists().where(
        Appointment.patient_id == LeadPatientMatch.patient_id,
        Appointment.status == "completed",
        Appointment.starts_at < lead.received_at,
    )
    linked = exists().where(LeadPatientMatch.lead_id == lead.id, visited_before)
    return bool(await session.scalar(select(linked)))


async def linked_patient_exit(session: AsyncSession, lead: Lead, patient_id: uuid.UUID) -> str | None:
    """Why a lead just linked to this patient leaves its follow-up sequence: "booked" when the patient
    has a visit (not cancelled) from the inquiry on, "existing_patient" when they had a completed visit
    before it; None when the PMS shows no visit (the lead is still someone to win)."""
    visits = (
        await session.execute(
            select(Appointment.status, Appointment.starts_at).where(
                Appointment.patient_id == patient_id, Appointment.status != "cancelled"
            )
        )
    ).all()
    if any(starts_at >= lead.received_at for _, starts_at in visits):
        return "booked"
    if any(status == "completed" and starts_at < lead.received_at for status, starts_at in visits):
        return "existing_patient"
    return None
