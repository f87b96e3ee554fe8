"""Inviting a staff member by email, sending the invitation again, and resetting a password.

An invited person has an account at once (role and offices set by whoever invited them) but no
password: they cannot sign in, and they are marked away so that no lead is assigned to them, until
they choose a password through the emailed link (router/privacy/account_links.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidChoice
from router.core.form_values import FormReader
from router.core.models import StaffLocation, StaffUser
from router.privacy import audit
from router.privacy.access import Viewer, require
from router.privacy.account_links import issue_link, send_link
from router.privacy.auth import end_user_sessions, unusable_password_hash
from router.privacy.staff_admin import (
    chosen_offices,
    locations_of,
    managed_person,
    offices_for,
    roles_granted_by,
)


@dataclass(frozen=True)
class LinkSent:
    user_id: uuid.UUID
    name: str
    email_outcome: str
    """"sent to ...", or why it was not sent."""


async def add_invited(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: str,
    practice_id: uuid.UUID | None,
    call_center_id: uuid.UUID | None = None,
    location_ids: Sequence[uuid.UUID] = (),
    invited_by: uuid.UUID,
    now: datetime,
) -> tuple[StaffUser, str]:
    """An account waiting for its password, with its set-password token (for the email)."""
    user = StaffUser(
        id=uuid.uuid4(),
        email=email,
        display_name=name,
        password_hash=unusable_password_hash(),
        role=role,
        practice_id=practice_id,
        call_center_id=call_center_id,
        availability="away",
        is_active=True,
        updated_at=now,
        updated_by_user_id=invited_by,
    )
    session.add(user)
    await session.flush([user])
    for location_id in location_ids:
        session.add(StaffLocation(user_id=user.id, location_id=location_id))
    token = await issue_link(session, user, purpose="invite", now=now, created_by=invited_by)
    return user, token


async def email_taken(session: AsyncSession, email: str, *, practice_id: uuid.UUID | None) -> str | None:
    """Why this email cannot be invited (it has an account), in words for the field; None when free."""
    existing = await session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    if existing is None:
        return None
    if practice_id is not None and existing.practice_id == practice_id:
        return f"{email} already has an account here ({existing.display_name}); find them in the list below."
    return f"{email} already has an account; use another email."


async def invite(domain: Domain, viewer: Viewer, form: Mapping[str, Any], *, actor: audit.Actor) -> LinkSent:
    """Create the account and email a one-time set-password link; InvalidFields naming every problem
    (an email that already has an account included)."""
    require(viewer, "staff.manage")
    offered = await offices_for(domain, viewer)
    read = FormReader(form)
    email = read.email("email", label="Their email", required=True)
    name = read.text("display_name", label="Their name", required=True)
    role = read.choice("role", label="their role", choices=tuple(roles_granted_by(viewer)))
    phone = read.phone("phone", label="Their mobile number")
    locations = chosen_offices(read, offered)
    now = domain.clock.now()
    async with domain.transaction() as session:
        taken = await email_taken(session, email, practice_id=viewer.practice_id) if email else None
        if taken:
            read.fail("email", taken)
        read.done()
        assert email and name and role
        user, token = await add_invited(
            session,
            email=email,
            name=name,
            role=role,
            practice_id=viewer.practice_id,
            location_ids=locations,
            invited_by=viewer.user_id,
            now=now,
        )
        user.phone = phone
        audit.record(
            session,
            actor=actor,
            action="staff.invited",
            practice_id=viewer.practice_id,
            details={"user_id": str(user.id), "role": role, "locations": [str(i) for i in locations]},
        )
    outcome = await send_link(
        domain, user_id=user.id, token=token, purpose="invite", inviter=viewer.display_name
    )
    return LinkSent(user.id, name, outcome)


async def send_new_link(
    domain: Domain, viewer: Viewer, user_id: uuid.UUID, *, purpose: str, actor: audit.Actor
) -> LinkSent:
    """Email a fresh link: the invitation again, or a password reset (which also stops the old
    password and signs the person out everywhere)."""
    if purpose not in ("invite", "reset"):
        raise InvalidChoice("Choose what to send.")
    now = domain.clock.now()
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True)
        current = (await locations_of(session, [user_id]))[user_id] if user else frozenset()
        user = managed_person(viewer, user, current)
        if not user.is_active:
            raise InvalidChoice(f"{user.display_name}'s account is deactivated; reactivate it first.")
        if purpose == "reset":
            user.password_hash = unusable_password_hash()
        token = await issue_link(session, user, purpose=purpose, now=now, created_by=viewer.user_id)
        audit.record(
            session,
            actor=actor,
            action="staff.password_reset" if purpose == "reset" else "staff.invitation_resent",
            practice_id=user.practice_id,
            details={"user_id": str(user.id)},
        )
    if purpose == "reset":
        await end_user_sessions(domain, user_id, actor=actor, reason="password reset")
    outcome = await send_link(
        domain, user_id=user_id, token=token, purpose=purpose, inviter=viewer.display_name
    )
    return LinkSent(user_id, user.display_name, outcome)
