"""Forgotten passwords: a single-use link, valid for 30 minutes, emailed through the product's SMTP.

Asking never says whether an account exists (the same answer either way). Only the token's hash is
stored; using the link sets the new password, spends every open link of the user, and ends all
their sessions. A second factor, where enrolled, is still asked at the next sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from router.core.domain import Domain
from router.core.errors import InvalidChoice
from router.core.models import PasswordReset, StaffUser
from router.core.ports import PortNotConfigured
from router.privacy import audit
from router.privacy.auth import set_password
from router.privacy.passwords import check_password

log = logging.getLogger("leadrouter.password_reset")

LINK_LIFETIME = timedelta(minutes=30)
"""Long enough to open one's mail; short enough that an old message in a mailbox is worthless."""
EXPIRED = "This link has expired or was already used. Ask for a new one."


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def request_password_reset(domain: Domain, email: str, *, base_url: str, ip: str | None) -> None:
    """Email a reset link when the address belongs to an active account; silent otherwise."""
    now = domain.clock.now()
    token = secrets.token_urlsafe(32)
    async with domain.transaction() as session:
        user = await session.scalar(
            select(StaffUser).where(StaffUser.email == email.strip().lower(), StaffUser.is_active.is_(True))
        )
        if user is None:
            log.info("password reset asked for an unknown address from %s", ip)
            return
        session.add(
            PasswordReset(
                token_hash=_hash(token), user_id=user.id, created_at=now, expires_at=now + LINK_LIFETIME
            )
        )
        audit.record(
            session,
            actor=audit.Actor("user", str(user.id), ip),
            action="staff.password_reset_requested",
            practice_id=user.practice_id,
        )
        to, name = user.email, user.display_name
    link = f"{base_url.rstrip('/')}/password/reset/{token}"
    try:
        await domain.email.send_email(
            to=to,
            subject="Reset your Lead Router password",
            body=(
                f"Hello {name},\n\nSomeone (we hope you) asked to reset your Lead Router password. "
                f"Open this link within 30 minutes to choose a new one:\n\n{link}\n\n"
                "The link works once. If you did not ask, ignore this message; your password is unchanged."
            ),
        )
    except PortNotConfigured:
        log.warning("password reset for user %s: email is not configured, no link was sent", user.id)


async def reset_link_user(domain: Domain, token: str) -> uuid.UUID | None:
    """The user a still-valid link belongs to, or None."""
    async with domain.sessionmaker() as session:
        reset = await session.get(PasswordReset, _hash(token))
    if reset is None or reset.used_at is not None or reset.expires_at <= domain.clock.now():
        return None
    return reset.user_id


async def complete_password_reset(domain: Domain, token: str, new_password: str, *, ip: str | None) -> None:
    """Set the new password through a link (InvalidChoice when spent or expired; PasswordRejected
    when the password breaks a rule, which leaves the link usable)."""
    now = domain.clock.now()
    async with domain.transaction() as session:
        user_id = await reset_link_user(domain, token)
        user = await session.get(StaffUser, user_id) if user_id else None
        if user is None:
            raise InvalidChoice(EXPIRED)
        check_password(new_password, email=user.email, display_name=user.display_name)
        # Spent here, atomically: of two uses racing, one wins.
        spent = await session.scalar(
            update(PasswordReset)
            .where(
                PasswordReset.token_hash == _hash(token),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
        )
        if spent is None:
            raise InvalidChoice(EXPIRED)
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
    actor = audit.Actor("user", str(user.id), ip)
    await set_password(domain, user.id, new_password, actor=actor, reason="password_reset")
