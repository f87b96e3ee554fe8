"""The patient directory over the PMS sync's tables: patients, their links to leads, treatment values."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.clock import clock_of
from router.core.crypto import FieldCipher
from router.core.models import LeadPatientMatch, Patient, TreatmentPlan
from router.core.phi_columns import (
    PATIENT_DATE_OF_BIRTH,
    PATIENT_EMAIL,
    PATIENT_FIRST_NAME,
    PATIENT_LAST_NAME,
    PATIENT_PHONE,
)

METHODS = {"matcher": "probabilistic", "review": "manual"}
"""How the link table names the matcher's and a manager's links."""


class SyncedPatients:
    """`PatientDirectory` over `patients`, `lead_patient_matches` and `treatment_plans`."""

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    async def patient_records(self, session: AsyncSession, practice_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = (await session.scalars(select(Patient).where(Patient.practice_id == practice_id))).all()
        return [self._record(p) for p in rows]

    def _record(self, patient: Patient) -> dict[str, Any]:
        def unseal(blob: bytes | None, column: Any) -> str | None:
            return self._cipher.open(blob, column=column, row_id=patient.id)

        return {
            "record_id": str(patient.id),
            "first_name": unseal(patient.first_name_enc, PATIENT_FIRST_NAME),
            "last_name": unseal(patient.last_name_enc, PATIENT_LAST_NAME),
            "phone": unseal(patient.phone_enc, PATIENT_PHONE),
            "email": unseal(patient.email_enc, PATIENT_EMAIL),
            "date_of_birth": unseal(patient.date_of_birth_enc, PATIENT_DATE_OF_BIRTH),
            "zip": patient.zip,
        }

    async def lead_links(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
        rows = await session.execute(
            select(LeadPatientMatch.lead_id, LeadPatientMatch.patient_id).where(
                LeadPatientMatch.practice_id == practice_id
            )
        )
        return {lead: patient for lead, patient in rows}

    async def link(
        self,
        session: AsyncSession,
        *,
        practice_id: uuid.UUID,
        lead_id: uuid.UUID,
        patient_id: uuid.UUID,
        method: str,
        probability: float | None,
    ) -> None:
        statement = insert(LeadPatientMatch).values(
            id=uuid.uuid4(),
            practice_id=practice_id,
            lead_id=lead_id,
            patient_id=patient_id,
            method=METHODS.get(method, method),
            score=probability if probability is not None else 1.0,
            created_at=clock_of(session).now(),
        )
        await session.execute(
            statement.on_conflict_do_nothing(constraint="uq_lead_patient_matches_lead_patient")
        )

    async def lifetime_values(self, session: AsyncSession, practice_id: uuid.UUID) -> dict[uuid.UUID, float]:
        rows = await session.execute(
            select(LeadPatientMatch.lead_id, func.sum(TreatmentPlan.value))
            .join(TreatmentPlan, TreatmentPlan.patient_id == LeadPatientMatch.patient_id)
            .where(
                LeadPatientMatch.practice_id == practice_id,
                TreatmentPlan.status == "completed",
                TreatmentPlan.value.is_not(None),
            )
            .group_by(LeadPatientMatch.lead_id)
        )
        return {lead: float(total) for lead, total in rows if total}
