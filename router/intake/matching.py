"""Is this inquiry from someone with an open lead? Matching by blind index, and the household rule.

Two inquiries of one person (a double-clicked form, a call and a text at once) are taken in one after
the other: each first takes the person's intake locks, one per blind index, then looks. Every
transaction that takes them takes them first, before any row lock and before the event-order lock
(router/events.py), so the order of locks is the same everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ARRAY, Integer, LargeBinary, bindparam, or_, select, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import Lead
from router.core.phi_columns import LEAD_EMAIL, LEAD_FIRST_NAME, LEAD_LAST_NAME, LEAD_PHONE
from router.intake.normalize import NormalizedInquiry

_OPEN_LEADS_OF_PERSON = (
    select(Lead)
    .where(
        Lead.practice_id == bindparam("practice_id"),
        Lead.status == "open",
        or_(Lead.phone_index == bindparam("phone_index"), Lead.email_index == bindparam("email_index")),
    )
    .order_by(Lead.received_at)
    # FOR NO KEY UPDATE: a merge changes no key, so rows that reference this lead (a household
    # member's new lead, a touchpoint) can still be inserted meanwhile without waiting on us.
    .with_for_update(key_share=True)
)

PERSON_LOCK_CLASS = 0x1EAD
"""First key of every person lock: its own space among advisory locks (the function that takes them
is in migrations/versions/0008_reliability.py)."""


def person_lock_keys(*blind_indexes: bytes | None) -> list[int]:
    """The person's lock keys, sorted so that every caller takes them in the same order.

    32 bits of each blind index: two people sharing a key are only ever taken in one after the other.
    """
    keys = {int.from_bytes(index[:4], "big", signed=True) for index in blind_indexes if index}
    return sorted(keys)


_LOCK_PERSON = text(
    "SELECT lock_person_for_intake(:practice_id, :phone_index, :email_index, :lock_keys, NULL)"
).bindparams(
    bindparam("practice_id", type_=PG_UUID),
    bindparam("phone_index", type_=LargeBinary),
    bindparam("email_index", type_=LargeBinary),
    bindparam("lock_keys", type_=ARRAY(Integer)),
)


async def lock_person(
    session: AsyncSession, *, practice_id: uuid.UUID, phone_index: bytes | None, email_index: bytes | None
) -> None:
    """Take the person's intake locks until the session's transaction ends (call it first in it)."""
    await session.execute(
        _LOCK_PERSON,
        {
            "practice_id": practice_id,
            "phone_index": phone_index,
            "email_index": email_index,
            "lock_keys": person_lock_keys(phone_index, email_index),
        },
    )


@dataclass(frozen=True)
class PersonMatch:
    """What the person's open leads say about an inquiry."""

    lead: Lead | None = None
    """The open lead to merge into."""
    household: Lead | None = None
    """Else, an open lead of the same household (same phone, another name)."""
    open_lead_ids: Sequence[uuid.UUID] = field(default_factory=tuple)
    """Every open lead matched by phone or email: a new lead is written only if these are still all."""


def same_person(lead: Lead, inquiry: NormalizedInquiry, domain: Domain) -> bool:
    """Same phone: the same person when either side has no name or the names agree."""
    contact = inquiry.contact
    known_first = domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    known_last = domain.cipher.open(lead.last_name_enc, column=LEAD_LAST_NAME, row_id=lead.id)
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
) -> PersonMatch:
    """The lead to merge into, or the household's lead, among the practice's open leads (locked)."""
    phone_index = domain.blind_index.digest(inquiry.contact.phone, kind="phone")
    email_index = domain.blind_index.digest(inquiry.contact.email, kind="email")
    if not phone_index and not email_index:
        return PersonMatch()
    candidates = (
        await session.scalars(
            _OPEN_LEADS_OF_PERSON,
            {"practice_id": practice_id, "phone_index": phone_index, "email_index": email_index},
        )
    ).all()
    ids = tuple(lead.id for lead in candidates)
    for lead in candidates:
        if email_index and lead.email_index == email_index:
            return PersonMatch(lead=lead, open_lead_ids=ids)
    household = None
    for lead in candidates:
        if same_person(lead, inquiry, domain):
            return PersonMatch(lead=lead, open_lead_ids=ids)
        household = household or lead
    return PersonMatch(household=household, open_lead_ids=ids)


def fill_missing_contact(lead: Lead, inquiry: NormalizedInquiry, domain: Domain) -> None:
    """A later inquiry may bring the email or phone the first one lacked."""
    contact = inquiry.contact
    if lead.email_index is None and contact.email:
        lead.email_enc = domain.cipher.seal(contact.email, column=LEAD_EMAIL, row_id=lead.id)
        lead.email_index = domain.blind_index.digest(contact.email, kind="email")
    if lead.phone_index is None and contact.phone:
        lead.phone_enc = domain.cipher.seal(contact.phone, column=LEAD_PHONE, row_id=lead.id)
        lead.phone_index = domain.blind_index.digest(contact.phone, kind="phone")
