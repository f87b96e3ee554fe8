"""Staff accounts and server-side sessions: argon2 passwords, idle and absolute timeouts.

Public functions other parts call (the admin screens among them), kept stable:
- `create_user(session, ...)`: a new account; its password must pass router/privacy/passwords.py.
- `authenticate(session, email=..., password=...)`: the user for a correct password, else AuthError.
- `set_password(domain, user_id, new_password, actor=..., keep_session_key=...)`: check the rules,
  hash, audit, and end every other session of the user (closing their boards).
- `open_session` / `resume_session` / `close_session`: server-side sessions (only hashes stored).
- `revoke_user_sessions(session, ...)` inside a transaction, or `end_user_sessions(domain, ...)`,
  which also closes the user's open boards at once: use it whenever access changes.
The second factor lives in router/privacy/mfa.py (`requires_mfa`, `check_second_factor`, `reset_mfa`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import ROLES, StaffLocation, StaffUser, UserSession
from router.core.settings import SecuritySettings
from router.privacy import audit
from router.privacy.access import OVERFLOW_AGENT, PRACTICE_STAFF_ROLES, Viewer, load_viewer
from router.privacy.passwords import check_password

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")
"""Verified against when the email is unknown, so a login takes as long either way."""
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
"""Sliding the idle timeout costs a write; once a minute is precise enough for a 30-minute idle limit."""


class AuthError(Exception):
    """Wrong email or password (deliberately not saying which)."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password (the rules are checked by `check_password` before)."""
    if not password:
        raise ValueError("a password cannot be empty")
    return _hasher.hash(password)


def apply_password(user: StaffUser, password: str, *, now: datetime) -> None:
    """Give a loaded `user` a new password inside the caller's transaction, after the password rules
    (PasswordRejected, in words for the person); the invitation link uses it, `set_password` wraps it."""
    check_password(password, email=user.email, display_name=user.display_name)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now


def unusable_password_hash() -> str:
    """A hash no password matches: an invited account cannot sign in before it sets its own."""
    return _hasher.hash(secrets.token_urlsafe(32))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password: str,
    role: str,
    practice_id: uuid.UUID | None = None,
    call_center_id: uuid.UUID | None = None,
    location_ids: Sequence[uuid.UUID] = (),
    phone: str | None = None,
    handles_priority: bool = False,
) -> StaffUser:
    """A staff account with the locations it may see."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role in PRACTICE_STAFF_ROLES and practice_id is None:
        raise ValueError(f"a {role} belongs to a practice")
    if role not in PRACTICE_STAFF_ROLES and practice_id is not None:
        raise ValueError(f"a {role} belongs to no practice (practices are separate tenants)")
    if role == OVERFLOW_AGENT and call_center_id is None:
        raise ValueError("an overflow agent belongs to a call center")
    check_password(password, email=email, display_name=display_name)
    user = StaffUser(
        id=uuid.uuid4(),
        email=email.strip().lower(),
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        practice_id=practice_id,
        call_center_id=call_center_id,
        phone=phone,
        handles_priority=handles_priority,
        availability="available",
    )
    session.add(user)
    await session.flush([user])
    for location_id in location_ids:
        session.add(StaffLocation(user_id=user.id, location_id=location_id))
    return user


async def authenticate(session: AsyncSession, *, email: str, password: str) -> StaffUser:
    """The active user with this email and password, or AuthError."""
    user = await session.scalar(
        select(StaffUser).where(StaffUser.email == email.strip().lower(), StaffUser.is_active.is_(True))
    )
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as exc:
        raise AuthError("wrong email or password") from exc
    if user is None:
        raise AuthError("wrong email or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class SignedIn:
    """A live session: the user's scope and the session's CSRF token."""

    viewer: Viewer
    csrf_token: str
    session_key: str
    """A non-secret id of the session for audit records (a prefix of the token's hash)."""


async def open_session(
    session: AsyncSession,
    user: StaffUser,
    *,
    settings: SecuritySettings,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> str:
    """Start a session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    audit.record(
        session,
        actor=audit.Actor("user", str(user.id), ip),
        action="session.open",
        practice_id=user.practice_id,
    )
    return token


async def resume_session(
    session: AsyncSession, token: str | None, *, settings: SecuritySettings, now: datetime
) -> SignedIn | None:
    """The signed-in user for a cookie token, or None when missing, expired, idle too long or revoked."""
    if not token:
        return None
    record = await session.get(UserSession, _token_hash(token))
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    if now - record.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    user = await session.get(StaffUser, record.user_id)
    if user is None or not user.is_active:
        return None
    if now - record.last_seen_at > SESSION_TOUCH_INTERVAL:
        record.last_seen_at = now
        user.last_seen_at = now
    viewer = await load_viewer(session, user, now=now)
    return SignedIn(viewer=viewer, csrf_token=record.csrf_token, session_key=record.token_hash.hex()[:16])


async def close_session(session: AsyncSession, token: str | None, *, now: datetime) -> None:
    """Log out: the session can never be resumed."""
    if token:
        await session.execute(
            update(UserSession).where(UserSession.token_hash == _token_hash(token)).values(revoked_at=now)
        )


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, keep_session_key: str | None = None
) -> int:
    """End every session of a user but `keep_session_key`'s (deactivation, password change); how many."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_session_key:
        kept = func.substr(func.encode(UserSession.token_hash, "hex"), 1, 16)
        query = query.where(kept != keep_session_key)
    ended = await session.execute(query.values(revoked_at=now))
    return int(ended.rowcount or 0)


async def end_user_sessions(
    domain: Domain,
    user_id: uuid.UUID,
    *,
    actor: audit.Actor,
    reason: str,
    keep_session_key: str | None = None,
) -> int:
    """End a user's sessions and close their open boards at once (every hub re-checks on the event).

    Used when an account is deactivated, or its password, second factor, role or locations change;
    `keep_session_key` spares the session that made the change (a user changing their own password).
    """
    now = domain.clock.now()
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id)
        ended = await revoke_user_sessions(session, user_id, now=now, keep_session_key=keep_session_key)
        audit.record(
            session,
            actor=actor,
            action="staff.sessions_ended",
            practice_id=user.practice_id if user else None,
            details={"user_id": str(user_id), "reason": reason, "sessions": ended},
        )
        await record_event(
            session,
            kind="staff.access_changed",
            practice_id=user.practice_id if user else None,
            location_id=None,
            lead_id=None,
            payload={"user_id": str(user_id), "reason": reason},
        )
    return ended


async def set_password(
    domain: Domain,
    user_id: uuid.UUID,
    new_password: str,
    *,
    actor: audit.Actor,
    keep_session_key: str | None = None,
    reason: str = "password_changed",
) -> None:
    """Give a user a new password (PasswordRejected when it breaks a rule), audited; every other
    session of theirs ends and their boards close (`keep_session_key` spares the one that asked)."""
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True)
        if user is None:
            raise AuthError("no such account")
        apply_password(user, new_password, now=domain.clock.now())
        audit.record(
            session,
            actor=actor,
            action="staff.password_set",
            practice_id=user.practice_id,
            details={"user_id": str(user_id), "reason": reason},
        )
    await end_user_sessions(domain, user_id, actor=actor, reason=reason, keep_session_key=keep_session_key)
