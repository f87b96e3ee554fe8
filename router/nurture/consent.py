"""Who may get an automated message: a stored SMS consent for texts, no email opt-out for emails.

Opt-outs are per channel (an email unsubscribe does not stop texts, a STOP does not stop emails),
and every one is an immutable consent record. An open complaint flag stops review requests; an
address that bounced stops later emails to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.crypto import FieldCipher
from router.core.models import ComplaintFlag, ConsentRecord, Lead, LeadPatientMatch, NurtureMessage
from router.core.phi_columns import NURTURE_RECIPIENT


async def sms_consented(session: AsyncSession, practice_id: uuid.UUID, phone_index: bytes | None) -> bool:
    """The number's latest SMS consent record in this practice says yes (silence is not consent)."""
    return await latest_sms_consent(session, practice_id, phone_index) is True


async def latest_sms_consent(
    session: AsyncSession, practice_id: uuid.UUID, phone_index: bytes | None
) -> bool | None:
    """What the number's latest SMS consent record says: yes, no (STOP, a form's no) or None (none)."""
    if phone_index is None:
        return None
    return await session.scalar(
        select(ConsentRecord.granted)
        .where(
            ConsentRecord.practice_id == practice_id,
            ConsentRecord.phone_index == phone_index,
            ConsentRecord.channel == "sms",
        )
        .order_by(ConsentRecord.captured_at.desc(), ConsentRecord.granted.asc())
        .limit(1)
    )


async def email_opted_out(session: AsyncSession, practice_id: uuid.UUID, email_index: bytes | None) -> bool:
    """The address's latest email consent record in this practice says no (an unsubscribe)."""
    if email_index is None:
        return False
    granted = await session.scalar(
        select(ConsentRecord.granted)
        .where(
            ConsentRecord.practice_id == practice_id,
            ConsentRecord.email_index == email_index,
            ConsentRecord.channel == "email",
        )
        .order_by(ConsentRecord.captured_at.desc(), ConsentRecord.granted.asc())
        .limit(1)
    )
    return granted is False


def email_opt_out(
    practice_id: uuid.UUID, lead_id: uuid.UUID | None, email_index: bytes, now: datetime, source: str
) -> ConsentRecord:
    """The record of an email unsubscribe (`source`: one_click, unsubscribe_page, staff)."""
    return ConsentRecord(
        id=uuid.uuid4(),
        practice_id=practice_id,
        lead_id=lead_id,
        email_index=email_index,
        channel="email",
        granted=False,
        captured_at=now,
        source=source,
    )


async def opt_out_address_everywhere(
    session: AsyncSession, email_index: bytes, now: datetime, source: str
) -> int:
    """An unsubscribe without a valid link: opt the typed address out at every practice that has it."""
    practices = (
        await session.execute(
            select(Lead.practice_id, Lead.id)
            .where(Lead.email_index == email_index)
            .distinct(Lead.practice_id)
        )
    ).all()
    for practice_id, lead_id in practices:
        session.add(email_opt_out(practice_id, lead_id, email_index, now, source))
    return len(practices)


def complaint_open(*, patient_id: Any, lead_id: Any = None) -> ColumnElement[bool]:
    """SQL: an open complaint flag on the patient, on any lead linked to them, or on this lead
    (`patient_id` and `lead_id` may be values or columns of an outer query)."""
    about = []
    if patient_id is not None:  # a message whose patient row is gone has None here: never "IS NULL"
        linked_leads = select(LeadPatientMatch.lead_id).where(LeadPatientMatch.patient_id == patient_id)
        about += [ComplaintFlag.patient_id == patient_id, ComplaintFlag.lead_id.in_(linked_leads)]
    if lead_id is not None:
        about.append(ComplaintFlag.lead_id == lead_id)
    if not about:
        return false()
    return exists().where(ComplaintFlag.cleared_at.is_(None), or_(*about))


async def bounced_before(session: AsyncSession, cipher: FieldCipher, message: NurtureMessage) -> bool:
    """Whether an earlier email to this lead, at this same address, came back as undeliverable."""
    bounced = (
        await session.scalars(
            select(NurtureMessage).where(
                NurtureMessage.lead_id == message.lead_id,
                NurtureMessage.channel == "email",
                NurtureMessage.status == "bounced",
            )
        )
    ).all()
    if not bounced:
        return False
    address = cipher.open(message.recipient_enc, column=NURTURE_RECIPIENT, row_id=message.id)
    return any(
        cipher.open(earlier.recipient_enc, column=NURTURE_RECIPIENT, row_id=earlier.id) == address
        for earlier in bounced
    )
