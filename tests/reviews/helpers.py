"""Helpers of the review-request and complaint tests: a practice that asks for reviews, a lead that
became a patient, and its visits as the PMS's file export reports them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from router.appointments.pms_settings import import_export_for
from router.core.domain import Domain
from router.core.models import Appointment, NurtureMessage, Patient, Practice
from router.privacy.audit import Actor
from tests.nurture.support import nurture_practice

REVIEW_URL = "https://g.page/r/bright-dental-austin/review"
STAFF: dict[str, dict[str, Any]] = {
    "desk@bright.example": {"name": "Dana Desk"},
    "maya@bright.example": {"role": "manager", "name": "Maya Manager"},
    "pat@bright.example": {"role": "practice_admin", "name": "Pat Admin"},
}
PATIENTS_HEADER = "patient_id,first_name,last_name,date_of_birth,phone,email,zip\n"
APPOINTMENTS_HEADER = "appointment_id,patient_id,start,status,type\n"


async def review_practice(domain: Domain, *, asking: bool = True) -> Any:
    """A practice with phones, the starter wording approved, and review requests on (or off)."""
    practice = await nurture_practice(domain, treatments=(), staff=STAFF)
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(Practice, practice.practice.id)
        row.settings = {**(row.settings or {}), "review_requests": asking, "review_page_url": REVIEW_URL}
    domain.forget_practice(practice.practice.id)
    return practice


async def pms_import(domain: Domain, practice: Any, name: str, text: str) -> None:
    """A file export of the practice's PMS, imported as the drop folder or an upload would."""
    result = await import_export_for(
        domain, practice.practice.id, text=text, file_name=name, actor=Actor("integration", "pms-test")
    )
    assert not result.problems, result.problems


async def becomes_patient(
    domain: Domain,
    practice: Any,
    *,
    pms_id: str = "P-1",
    first: str = "Ana",
    last: str = "Lopez",
    phone: str = "(512) 867-5309",
) -> uuid.UUID:
    """The PMS knows the lead (same phone and name): the patient row, linked to the lead by the import."""
    line = f"{pms_id},{first},{last},,{phone},,78701\n"
    await pms_import(domain, practice, f"patients-{pms_id}.csv", PATIENTS_HEADER + line)
    async with domain.sessionmaker() as session:
        return await session.scalar(
            select(Patient.id).where(Patient.practice_id == practice.practice.id, Patient.pms_id == pms_id)
        )


async def visit(
    domain: Domain, practice: Any, *, appointment: str, patient: str = "P-1", start: str, status: str
) -> None:
    """One appointment as the PMS's export reports it (a later export with a new status updates it)."""
    line = f"{appointment},{patient},{start},{status},New patient exam\n"
    await pms_import(domain, practice, f"appointments-{appointment}-{status}.csv", APPOINTMENTS_HEADER + line)


async def review_requests(domain: Domain, patient_id: uuid.UUID) -> list[NurtureMessage]:
    async with domain.sessionmaker() as session:
        return list(
            await session.scalars(
                select(NurtureMessage)
                .where(NurtureMessage.patient_id == patient_id, NurtureMessage.purpose == "review_request")
                .order_by(NurtureMessage.created_at)
            )
        )


async def appointment_id(domain: Domain, practice: Any, pms_id: str) -> uuid.UUID:
    async with domain.sessionmaker() as session:
        return await session.scalar(
            select(Appointment.id).where(
                Appointment.practice_id == practice.practice.id, Appointment.pms_id == pms_id
            )
        )
