"""Thanking the patient who sent a new patient: the referral recorded on the referring patient, then
one thank-you for each referred patient, after that patient's first completed visit.

Why after the visit and not at booking: the practice thanks for a patient who came (a booking may
be cancelled or missed), and a thank-you cannot tell the referrer about a booking their friend has
not mentioned yet. The message names nobody either way ("someone you know has asked us for care").

The worker, once a minute:
1. records each patient-referral lead that is now linked to a patient (`patient_referrals`, one row
   per referred patient), with its referrer: the patient linked to the lead whose referral code the
   inquiry carried, else the one patient whose full name is exactly the "referred by" the form gave
   (a name shared by two patients, or a nickname, is left for a person: no row is guessed);
2. looks again, for `RESOLVE_FOR`, for the referrer of rows still without one (a referrer's lead may
   be linked to their patient record later);
3. queues the thank-you (purpose `thank_you`, to the referrer's lead) for rows whose referred patient
   has a completed visit, under the row's lock: once per referred patient, whatever runs at once.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import (
    Appointment,
    Lead,
    LeadPatientMatch,
    Patient,
    PatientReferral,
    PatientReferralCode,
    Touchpoint,
)
from router.core.phi_columns import PATIENT_FIRST_NAME, PATIENT_LAST_NAME, TOUCHPOINT_REFERRED_BY
from router.nurture.one_off import OneOff, compose_one_off

PATIENT_REFERRAL = "patient_referral"
RECENT = timedelta(days=365)
"""Referral leads from the last year are recorded once they become patients; older ones are history."""
RESOLVE_FOR = timedelta(days=30)
"""How long a referral without a known referrer is looked at again (matching runs every 15 minutes)."""
THANKS = OneOff(purpose="thank_you", templates={"email": "referral-thanks"}, values={})
BATCH = 200


async def linked_patient(session: AsyncSession, lead_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(LeadPatientMatch.patient_id)
        .where(LeadPatientMatch.lead_id == lead_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


async def linked_lead(session: AsyncSession, patient_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(LeadPatientMatch.lead_id)
        .where(LeadPatientMatch.patient_id == patient_id)
        .order_by(LeadPatientMatch.created_at.desc())
        .limit(1)
    )


def _plain_name(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").casefold()).split())


async def patient_named(
    session: AsyncSession, domain: Domain, practice_id: uuid.UUID, name: str
) -> uuid.UUID | None:
    """The one patient of the practice whose first and last name are exactly this name, else None."""
    wanted = _plain_name(name)
    if len(wanted.split()) < 2:
        return None  # a first name alone ("Carmen") is not enough to thank the right person
    found = []
    for patient in await session.scalars(select(Patient).where(Patient.practice_id == practice_id)):
        first = domain.cipher.open(patient.first_name_enc, column=PATIENT_FIRST_NAME, row_id=patient.id)
        last = domain.cipher.open(patient.last_name_enc, column=PATIENT_LAST_NAME, row_id=patient.id)
        if _plain_name(f"{first or ''} {last or ''}") == wanted:
            found.append(patient.id)
    return found[0] if len(found) == 1 else None


async def referrer_of(session: AsyncSession, domain: Domain, lead: Lead) -> dict[str, Any]:
    """How the lead was referred and by whom: code (the referrer's lead) or name; patient if known."""
    touchpoints = (
        await session.scalars(
            select(Touchpoint).where(Touchpoint.lead_id == lead.id).order_by(Touchpoint.occurred_at)
        )
    ).all()
    for touchpoint in touchpoints:
        code = (touchpoint.details or {}).get("referral_code")
        if not code:
            continue
        owner = await session.scalar(
            select(PatientReferralCode.lead_id).where(
                PatientReferralCode.code == str(code).upper(),
                PatientReferralCode.practice_id == lead.practice_id,
            )
        )
        if owner is not None and owner != lead.id:
            patient = await linked_patient(session, owner)
            return {
                "how": "code",
                "code": str(code).upper(),
                "referring_lead_id": owner,
                "referring_patient_id": patient,
            }
    for touchpoint in touchpoints:
        named = domain.cipher.open(
            touchpoint.referred_by_enc, column=TOUCHPOINT_REFERRED_BY, row_id=touchpoint.id
        )
        if named:
            patient = await patient_named(session, domain, lead.practice_id, named)
            referring_lead = await linked_lead(session, patient) if patient else None
            return {
                "how": "name",
                "code": None,
                "referring_lead_id": referring_lead,
                "referring_patient_id": patient,
            }
    return {"how": "name", "code": None, "referring_lead_id": None, "referring_patient_id": None}


async def record_referrals(domain: Domain, *, limit: int = BATCH) -> int:
    """Record the referral of each patient-referral lead that has become a patient (once each)."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session:
        leads = list(
            await session.scalars(
                select(Lead.id)
                .where(
                    Lead.source_channel == PATIENT_REFERRAL,
                    Lead.received_at >= now - RECENT,
                    exists().where(LeadPatientMatch.lead_id == Lead.id),
                    ~exists().where(PatientReferral.referred_lead_id == Lead.id),
                )
                .order_by(Lead.received_at)
                .limit(limit)
            )
        )
    recorded = 0
    for lead_id in leads:
        recorded += await _record_one(domain, lead_id, now)
    return recorded


async def _record_one(domain: Domain, lead_id: uuid.UUID, now: datetime) -> int:
    async with domain.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id)
        patient_id = await linked_patient(session, lead_id) if lead else None
        if lead is None or patient_id is None:
            return 0
        referrer = await referrer_of(session, domain, lead)
        if referrer["referring_patient_id"] == patient_id:
            referrer["referring_patient_id"] = None  # the patient's own code: nobody to thank
        done = await session.scalar(
            insert(PatientReferral)
            .values(
                id=uuid.uuid4(),
                practice_id=lead.practice_id,
                referred_lead_id=lead.id,
                referred_patient_id=patient_id,
                recorded_at=now,
                **referrer,
            )
            .on_conflict_do_nothing()
            .returning(PatientReferral.id)
        )
    return int(done is not None)


async def resolve_referrers(domain: Domain, *, limit: int = BATCH) -> int:
    """Look again for the referrer of recent referrals recorded without one."""
    now = domain.clock.now()
    resolved = 0
    async with domain.sessionmaker() as session, session.begin():
        rows = (
            await session.scalars(
                select(PatientReferral)
                .where(
                    PatientReferral.referring_patient_id.is_(None),
                    PatientReferral.recorded_at >= now - RESOLVE_FOR,
                )
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            lead = await session.get(Lead, row.referred_lead_id)
            referrer = await referrer_of(session, domain, lead) if lead else None
            if referrer and referrer["referring_patient_id"] not in (None, row.referred_patient_id):
                for key, value in referrer.items():
                    setattr(row, key, value)
                resolved += 1
    return resolved


async def thank_referrers(domain: Domain, *, limit: int = BATCH) -> dict[str, int]:
    """Queue a thank-you for each referral whose referred patient has had a completed visit."""
    async with domain.sessionmaker() as session:
        due = list(
            await session.scalars(
                select(PatientReferral.id)
                .where(
                    PatientReferral.referring_patient_id.is_not(None),
                    PatientReferral.thank_you_state.is_(None),
                    exists().where(
                        Appointment.patient_id == PatientReferral.referred_patient_id,
                        Appointment.status == "completed",
                    ),
                )
                .order_by(PatientReferral.recorded_at)
                .limit(limit)
            )
        )
    outcomes: dict[str, int] = {}
    for referral_id in due:
        outcome = await thank_for(domain, referral_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def thank_for(domain: Domain, referral_id: uuid.UUID) -> str:
    """The thank-you for one referred patient: queued once, under the referral row's lock."""
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        row = await session.get(PatientReferral, referral_id, with_for_update=True)
        if row is None or row.thank_you_state is not None or row.referring_patient_id is None:
            return "already done"
        lead_id = row.referring_lead_id or await linked_lead(session, row.referring_patient_id)
        lead = await session.get(Lead, lead_id) if lead_id else None
        if lead is None:
            row.thank_you_state = "no_lead"
            return "no lead"
        what = OneOff(
            purpose=THANKS.purpose,
            templates=dict(THANKS.templates),
            values={},
            patient_id=row.referring_patient_id,
        )
        message = await compose_one_off(session, domain, lead, what, now=now)
        session.add(message)
        await session.flush([message])
        row.thank_you_message_id, row.thank_you_state = message.id, "queued"
        status, send_after, message_id = message.status, message.send_after, message.id
    if status == "queued" and send_after is not None:
        await domain.jobs.schedule_nurture_send(message_id, at=send_after)
    return status


async def patient_referrals_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: record new patient referrals, find late referrers, thank after first visits."""
    domain: Domain = ctx["domain"]
    return {
        "recorded": await record_referrals(domain),
        "resolved": await resolve_referrers(domain),
        **{f"thanks_{k}": v for k, v in (await thank_referrers(domain)).items()},
    }
