"""Is this inquiry from someone with an open lead? Matching by blind index, and the household rule."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.context import Domain
from router.models import Lead
from router.normalize import NormalizedInquiry

PHI_CONTEXT = "lead"
"""Associated data of lead PHI ciphertexts: a value sealed for a lead cannot be replayed elsewhere."""

_OPEN_LEADS_OF_PERSON = (
    select(Lead)
    .where(
        Lead.practice_id == bindparam("practice_id"),
        Lead.status == "open",
        or_(Lead.phone_index == bindparam("phone_index"), Lead.email_index == bindparam("email_index")),
    )
    .order_by(Lead.received_at)
    .with_for_update()
)


def same_person(lead: Lead, inquiry: NormalizedInquiry, domain: Domain) -> bool:
    """Same phone: the same person when either side has no name or the names agree."""
    contact = inquiry.contact
    known_first = domain.cipher.decrypt(lead.first_name_enc, context=PHI_CONTEXT)
    known_last = domain.cipher.decrypt(lead.last_name_enc, context=PHI_CONTEXT)
    if not (contact.first_name or contact.last_name) or not (known_first or known_last):
        return True
    firsts_differ = (
        bool(contact.first_name and known_first)
        and contact.first_name.casefold() != (known_first or "").casefold()
    )
    lasts_differ = (
        bool(contact.last_name and known_last)
        and contact.last_name.casefold() != (known_last or "").casefold()
    )
    return not (firsts_differ or lasts_differ)


async def find_open_lead(
    session: AsyncSession, domain: Domain, practice_id: uuid.UUID, inquiry: NormalizedInquiry
) -> tuple[Lead | None, Lead | None]:
    """(lead to merge into, lead of the same household) among the practice's open leads."""
    phone_index = domain.blind_index.digest(inquiry.contact.phone, kind="phone")
    email_index = domain.blind_index.digest(inquiry.contact.email, kind="email")
    if not phone_index and not email_index:
        return None, None
    candidates = (
        await session.scalars(
            _OPEN_LEADS_OF_PERSON,
            {"practice_id": practice_id, "phone_index": phone_index, "email_index": email_index},
        )
    ).all()
    for lead in candidates:
        if email_index and lead.email_index == email_index:
            return lead, None
    household = None
    for lead in candidates:
        if same_person(lead, inquiry, domain):
            return lead, None
        household = household or lead
    return None, household


def fill_missing_contact(lead: Lead, inquiry: NormalizedInquiry, domain: Domain) -> None:
    """A later inquiry may bring the email or phone the first one lacked."""
    contact = inquiry.contact
    if lead.email_index is None and contact.email:
        lead.email_enc = domain.cipher.encrypt(contact.email, context=PHI_CONTEXT)
        lead.email_index = domain.blind_index.digest(contact.email, kind="email")
    if lead.phone_index is None and contact.phone:
        lead.phone_enc = domain.cipher.encrypt(contact.phone, context=PHI_CONTEXT)
        lead.phone_index = domain.blind_index.digest(contact.phone, kind="phone")
