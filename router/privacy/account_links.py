"""One-time set-password links: the invitation of a new staff member, a reset by an administrator.

The token exists only in the email; the table keeps its SHA-256. A link works once, for
`LINK_LIFETIME`, for an active account; issuing a new one retires the person's earlier ones.
Setting the password goes through `router.privacy.auth.apply_password` (the password rules); a
reset also ends every session the person had (their boards close at once).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.core.models import AccountLink, Practice, StaffUser
from router.core.ports import PortNotConfigured
from router.privacy import audit
from router.privacy.auth import apply_password

log = logging.getLogger("leadrouter.accounts")

LINK_LIFETIME = timedelta(hours=48)
"""Two days: a weekend invitation still works on Monday morning; a forwarded old email does not."""
PURPOSES = ("invite", "reset")


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue_link(
    session: AsyncSession, user: StaffUser, *, purpose: str, now: datetime, created_by: uuid.UUID | None
) -> str:
    """A new link for `user` (earlier unused ones stop working); returns the token for the email."""
    assert purpose in PURPOSES
    await session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None), AccountLink.expires_at > now)
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountLink(
            token_hash=_hash(token),
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
            created_by_user_id=created_by,
        )
    )
    return token


class LinkUnusable(Exception):
    """The link cannot set a password; the message says why, in words for the person holding it."""


@dataclass(frozen=True)
class OpenLink:
    link_id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    email: str
    display_name: str


async def _open(
    session: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> tuple[AccountLink, StaffUser]:
    query = select(AccountLink).where(AccountLink.token_hash == _hash(token))
    link = await session.scalar(query.with_for_update() if lock else query)
    user = await session.get(StaffUser, link.user_id) if link is not None else None
    if link is None or user is None:
        raise LinkUnusable("This link is not valid. Check that you opened the whole link from the email.")
    if link.used_at is not None:
        raise LinkUnusable(
            "This link was already used. Sign in with the password you chose, or ask for a new link."
        )
    if link.expires_at <= now:
        raise LinkUnusable(
            f"This link has expired (links last {int(LINK_LIFETIME.total_seconds() // 3600)} hours). "
            "Ask your practice's manager or practice admin to send a new one."
        )
    if not user.is_active:
        raise LinkUnusable("This account is deactivated. Ask your practice's manager or practice admin.")
    return link, user


async def check_link(domain: Domain, token: str) -> OpenLink:
    """What the set-password page shows for a token, or LinkUnusable."""
    async with domain.sessionmaker() as session:
        link, user = await _open(session, token, domain.clock.now())
    return OpenLink(link.id, user.id, link.purpose, user.email, user.display_name)


async def use_link(domain: Domain, token: str, *, password: str, repeated: str, ip: str | None) -> StaffUser:
    """Set the account's password through its link (once); InvalidFields for an unusable password."""
    errors = {}
    if password != repeated:
        errors["repeat"] = "The two passwords are not the same."
    now = domain.clock.now()
    async with domain.transaction() as session:
        link, user = await _open(session, token, now, lock=True)
        try:
            apply_password(user, password, now=now)
        except ValueError as exc:
            errors["password"] = str(exc)[:1].upper() + str(exc)[1:] + "."
        if errors:
            raise InvalidFields(errors)
        link.used_at = now
        if link.purpose == "invite" and user.availability == "away" and not user.away_automatically:
            user.availability = "available"  # invitees were away so that no lead waited on them
        audit.record(
            session,
            actor=audit.Actor("user", str(user.id), ip),
            action="staff.password_set",
            practice_id=user.practice_id,
            details={"via": link.purpose, "link_id": str(link.id)},
        )
    return user


def link_email(*, purpose: str, name: str, practice: str, inviter: str, url: str) -> tuple[str, str]:
    """Subject and body of a link email (no patient data; the link is the only secret)."""
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    if purpose == "invite":
        subject = f"{inviter} invited you to Lead Router for {practice}"
        opening = f"{inviter} invited you to work {practice}'s leads in Lead Router."
    else:
        subject = f"Set a new Lead Router password for {practice}"
        opening = (
            f"{inviter} reset your Lead Router password for {practice}; your old password no longer works."
        )
    body = (
        f"Hello {name},\n\n{opening}\n\nChoose your password here (the link works once, for {hours} hours):\n"
        f"{url}\n\nIf you did not expect this email, you can ignore it.\n"
    )
    return subject, body


async def send_link(domain: Domain, *, user_id: uuid.UUID, token: str, purpose: str, inviter: str) -> str:
    """Email the link; returns what happened in words for the screen (sent, or why not)."""
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, user_id)
        practice = await session.get(Practice, user.practice_id) if user and user.practice_id else None
    assert user is not None
    url = f"{domain.settings.intake.public_url.rstrip('/')}/account/set-password/{token}"
    subject, body = link_email(
        purpose=purpose,
        name=user.display_name,
        practice=practice.name if practice else "Lead Router",
        inviter=inviter,
        url=url,
    )
    try:
        await domain.email.send_email(to=user.email, subject=subject, body=body)
    except PortNotConfigured:
        return "not sent: email is not set up on this server (LEADROUTER_SMTP_HOST); send it again once it is"
    except Exception as exc:  # the mail server refused or was unreachable; the link itself is stored
        log.warning("link email to user %s failed: %s", user_id, type(exc).__name__)
        return "not sent: the mail server did not accept it; try sending it again"
    return f"sent to {user.email}"
