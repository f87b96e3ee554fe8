"""What managers see of patient referrals: who referred a lead, and how many each patient referred."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Appointment, Lead, NurtureMessage, Patient, PatientReferral, Touchpoint
from router.core.phi_columns import PATIENT_FIRST_NAME, PATIENT_LAST_NAME, TOUCHPOINT_REFERRED_BY
from router.privacy.access import Viewer, require


@dataclass(frozen=True)
class ReferredBy:
    """Who sent this lead, as far as is known."""

    name: str | None
    """The referring patient's name from their patient record; None while not matched."""
    referring_lead_id: uuid.UUID | None
    typed: str | None
    """What the form or the desk wrote in "referred by" (shown while no patient is matched)."""
    code: str | None
    thanked: bool


@dataclass(frozen=True)
class ReferrerRow:
    """One referring patient on the managers' list."""

    patient_id: uuid.UUID
    name: str
    lead_id: uuid.UUID | None
    referred: int
    visited: int
    thanked: int


def patient_name(domain: Domain, patient: Patient) -> str:
    first = domain.cipher.open(patient.first_name_enc, column=PATIENT_FIRST_NAME, row_id=patient.id)
    last = domain.cipher.open(patient.last_name_enc, column=PATIENT_LAST_NAME, row_id=patient.id)
    return f"{first or ''} {last or ''}".strip() or "a patient without a name on file"


async def referred_by(session: AsyncSession, domain: Domain, lead: Lead) -> ReferredBy | None:
    """The referrer of a patient-referral lead (None for other leads); the caller checked the viewer."""
    if lead.source_channel != "patient_referral":
        return None
    row = await session.scalar(select(PatientReferral).where(PatientReferral.referred_lead_id == lead.id))
    if row is not None and row.referring_patient_id is not None:
        patient = await session.get(Patient, row.referring_patient_id)
        if patient is not None:
            thanks = (
                await session.get(NurtureMessage, row.thank_you_message_id)
                if row.thank_you_message_id
                else None
            )
            return ReferredBy(
                patient_name(domain, patient),
                row.referring_lead_id,
                None,
                row.code,
                thanks is not None and thanks.status == "sent",
            )
    typed, code = None, None
    for touchpoint in await session.scalars(
        select(Touchpoint).where(Touchpoint.lead_id == lead.id).order_by(Touchpoint.occurred_at)
    ):
        code = code or (touchpoint.details or {}).get("referral_code")
        typed = typed or domain.cipher.open(
            touchpoint.referred_by_enc, column=TOUCHPOINT_REFERRED_BY, row_id=touchpoint.id
        )
    return ReferredBy(None, row.referring_lead_id if row else None, typed, code, False)


async def referrals_made(session: AsyncSession, patient_id: uuid.UUID) -> int:
    """How many patients this patient referred."""
    return int(
        await session.scalar(select(func.count()).where(PatientReferral.referring_patient_id == patient_id))
        or 0
    )


async def referring_patients(domain: Domain, viewer: Viewer, *, limit: int = 200) -> list[ReferrerRow]:
    """The referring patients whose lead the viewer may see, most referrals first (managers only)."""
    require(viewer, "patient_referrals.view")
    visited = (
        select(Appointment.id)
        .where(
            Appointment.patient_id == PatientReferral.referred_patient_id, Appointment.status == "completed"
        )
        .exists()
    )
    thanked = (
        select(NurtureMessage.id)
        .where(NurtureMessage.id == PatientReferral.thank_you_message_id, NurtureMessage.status == "sent")
        .exists()
    )
    count = func.count(PatientReferral.id)
    async with domain.sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    PatientReferral.referring_patient_id,
                    PatientReferral.referring_lead_id,
                    count,
                    func.count(PatientReferral.id).filter(visited),
                    func.count(PatientReferral.id).filter(thanked),
                )
                .join(Lead, Lead.id == PatientReferral.referring_lead_id)
                .where(PatientReferral.referring_patient_id.is_not(None), viewer.lead_filter())
                .group_by(PatientReferral.referring_patient_id, PatientReferral.referring_lead_id)
                .order_by(count.desc())
                .limit(limit)
            )
        ).all()
        ids = [row[0] for row in rows]
        patients = {p.id: p for p in await session.scalars(select(Patient).where(Patient.id.in_(ids)))}
    return [
        ReferrerRow(patient_id, patient_name(domain, patients[patient_id]), lead_id, referred, seen, sent)
        for patient_id, lead_id, referred, seen, sent in rows
        if patient_id in patients
    ]
