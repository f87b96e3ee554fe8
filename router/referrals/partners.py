"""Inviting referring physicians and their office staff; the offices that refer to a practice.

A manager invites by email, through the staff invitation's link flow. The person belongs to a
referring office (a new one, or one already referring to the practice). Someone who already has a
referrer's login keeps it: their office is connected to this practice too and they are told by
email, so a physician invited by two practices has one login and sees each practice's referrals.
An email that belongs to practice staff or anyone else is refused beside the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.form_values import FormReader
from router.core.models import Practice, ReferralPartner, ReferringOffice, StaffUser
from router.core.ports import PortNotConfigured
from router.privacy import audit
from router.privacy.access import PHYSICIAN, PHYSICIAN_OFFICE, REFERRER_ROLES, Viewer, require
from router.privacy.account_links import send_link
from router.privacy.invitations import add_invited

REFERRER_CHOICES = {PHYSICIAN: "Physician", PHYSICIAN_OFFICE: "Office staff of a physician"}
NEW_OFFICE = "new"


@dataclass(frozen=True)
class PartnerOffice:
    id: uuid.UUID
    name: str
    people: tuple[tuple[str, str, bool], ...]
    """(name, role, invited and not yet signed up) of each of its people."""


async def partner_offices(session: AsyncSession, practice_id: uuid.UUID) -> list[PartnerOffice]:
    """The offices referring to this practice, with their people (no patient data)."""
    offices = (
        await session.scalars(
            select(ReferringOffice)
            .join(ReferralPartner, ReferralPartner.referring_office_id == ReferringOffice.id)
            .where(ReferralPartner.practice_id == practice_id)
            .order_by(ReferringOffice.name)
        )
    ).all()
    people = (
        await session.execute(
            select(
                StaffUser.referring_office_id,
                StaffUser.display_name,
                StaffUser.role,
                StaffUser.password_changed_at,
            )
            .where(StaffUser.referring_office_id.in_([o.id for o in offices]), StaffUser.is_active.is_(True))
            .order_by(StaffUser.display_name)
        )
    ).all()
    return [
        PartnerOffice(
            office.id,
            office.name,
            tuple(
                (p.display_name, REFERRER_CHOICES.get(p.role, p.role), p.password_changed_at is None)
                for p in people
                if p.referring_office_id == office.id
            ),
        )
        for office in offices
    ]


@dataclass(frozen=True)
class ReferrerInvited:
    name: str
    email_outcome: str
    existing_login: bool


async def _office(
    session: AsyncSession, read: FormReader, practice_id: uuid.UUID, now: Any
) -> uuid.UUID | None:
    chosen = read.raw("office_id") or NEW_OFFICE
    if chosen != NEW_OFFICE:
        partnered = {o.id for o in await partner_offices(session, practice_id)}
        try:
            office_id = uuid.UUID(chosen)
        except ValueError:
            office_id = None
        if office_id not in partnered:
            read.fail("office_id", "Choose one of the offices listed, or a new office.")
            return None
        return office_id
    name = read.text("office_name", label="The new office's name", required=True)
    if name is None:
        return None
    office = ReferringOffice(id=uuid.uuid4(), name=name, created_at=now)
    session.add(office)
    await session.flush([office])
    return office.id


async def invite_referrer(
    domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor
) -> ReferrerInvited:
    """Invite a physician or their office staff (or connect an existing referrer's office); InvalidFields."""
    require(viewer, "referrers.manage")
    assert viewer.practice_id is not None
    read = FormReader(form)
    email = read.email("email", label="Their email", required=True)
    name = read.text("display_name", label="Their name", required=True)
    role = read.choice(
        "role", label="whether they are a physician or office staff", choices=tuple(REFERRER_CHOICES)
    )
    now = domain.clock.now()
    async with domain.sessionmaker() as session, session.begin():
        existing = (
            await session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
            if email
            else None
        )
        if existing is not None and (
            existing.role not in REFERRER_ROLES or existing.referring_office_id is None
        ):
            read.fail("email", f"{email} already has an account that is not a referrer's; use another email.")
        office_id = (
            existing.referring_office_id
            if existing is not None
            else await _office(session, read, viewer.practice_id, now)
        )
        read.done()
        assert office_id is not None and email and name and role
        await session.execute(
            insert(ReferralPartner)
            .values(practice_id=viewer.practice_id, referring_office_id=office_id, created_at=now)
            .on_conflict_do_nothing()
        )
        practice = await session.get(Practice, viewer.practice_id)
        token = None
        if existing is None:
            user, token = await add_invited(
                session,
                email=email,
                name=name,
                role=role,
                practice_id=None,
                invited_by=viewer.user_id,
                now=now,
            )
            user.referring_office_id = office_id
            user_id = user.id
        else:
            user_id = existing.id
        audit.record(
            session,
            actor=actor,
            action="referrer.invited" if existing is None else "referrer.connected",
            practice_id=viewer.practice_id,
            details={"user_id": str(user_id), "office_id": str(office_id), "role": role},
        )
    inviter = f"{viewer.display_name} of {practice.name if practice else 'a practice'}"
    if token is not None:
        outcome = await send_link(domain, user_id=user_id, token=token, purpose="invite", inviter=inviter)
        return ReferrerInvited(name, outcome, existing_login=False)
    outcome = await _tell_connected(domain, email, practice.name if practice else "a practice", inviter)
    return ReferrerInvited(existing.display_name if existing else name, outcome, existing_login=True)


async def _tell_connected(domain: Domain, email: str, practice: str, inviter: str) -> str:
    url = f"{domain.settings.intake.public_url.rstrip('/')}/referrals"
    body = (
        f"{inviter} connected your office to {practice} in Lead Router.\n\n"
        f"Sign in as usual; you can now refer patients to {practice}:\n{url}\n"
    )
    try:
        await domain.email.send_email(
            to=email, subject=f"You can now refer patients to {practice}", body=body
        )
    except PortNotConfigured:
        return "not emailed: email is not set up on this server; tell them yourself"
    except Exception:
        return "not emailed: the mail server did not accept it"
    return f"emailed {email}"
