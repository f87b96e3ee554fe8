"""The second sign-in factor: TOTP from an authenticator app, single-use recovery codes, and resets.

Managers, practice admins and platform operators must use it; everyone else may. It is checked
before a session exists (router/privacy/auth.py opens none until it passes). Secrets are encrypted
like PHI, bound to their user's row; recovery codes are stored as SHA-256 hashes (each carries 80
random bits, so a fast hash is enough), and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.errors import InvalidChoice, NotPermitted
from router.core.models import MfaRecoveryCode, StaffUser
from router.core.phi_columns import STAFF_TOTP_SECRET
from router.core.ports import PortNotConfigured
from router.privacy import audit
from router.privacy.access import MANAGER, PLATFORM_OPERATOR, PRACTICE_ADMIN, Viewer

log = logging.getLogger("leadrouter.mfa")

MFA_REQUIRED_ROLES = frozenset({MANAGER, PRACTICE_ADMIN, PLATFORM_OPERATOR})
"""Roles that reach many patients' records or administer accounts: a password alone is not enough."""
ISSUER = "Lead Router"
"""The name an authenticator app shows beside the code."""
RECOVERY_CODES = 10
"""Enough for a lost phone and a few sign-ins until a new one is enrolled."""
STEP_SECONDS = 30
"""TOTP's standard step (RFC 6238); authenticator apps assume it."""
CLOCK_DRIFT_STEPS = 1
"""A code from the step before or after is accepted: phones' clocks drift by seconds."""


def requires_mfa(role: str) -> bool:
    return role in MFA_REQUIRED_ROLES


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _code_hash(user_id: uuid.UUID, code: str) -> bytes:
    normalized = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"{user_id}:{normalized}".encode()).digest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def matching_step(secret: str, code: str, *, last_step: int | None, now: float | None = None) -> int | None:
    """The step a six-digit code belongs to (within the allowed drift, newer than the last used)."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if (last_step is None or step > last_step) and secrets.compare_digest(
            totp.at(step * STEP_SECONDS), code
        ):
            return step
    return None


async def store_enrolment(session: AsyncSession, domain: Domain, user: StaffUser, secret: str) -> list[str]:
    """Make `secret` the user's authenticator and issue new recovery codes (returned once, in clear)."""
    user.totp_secret_enc = domain.cipher.seal(secret, column=STAFF_TOTP_SECRET, row_id=user.id)
    user.mfa_enrolled_at = domain.clock.now()
    user.totp_last_step = None
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(
            MfaRecoveryCode(
                id=uuid.uuid4(),
                user_id=user.id,
                code_hash=_code_hash(user.id, code),
                created_at=user.mfa_enrolled_at,
            )
        )
    return codes


async def enrol(
    domain: Domain, user_id: uuid.UUID, *, secret: str, code: str, actor: audit.Actor
) -> list[str]:
    """Confirm an enrolment with a first code from the app; returns the recovery codes to show once.

    Replacing an existing device ends the user's other sessions (the caller does, after commit).
    """
    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True)
        if user is None or not user.is_active:
            raise NotPermitted("This account is not active.")
        step = matching_step(secret, code, last_step=None)
        if step is None:
            raise InvalidChoice("That code does not match; type the six digits the app shows now.")
        replaced = user.mfa_enrolled_at is not None
        codes = await store_enrolment(session, domain, user, secret)
        user.totp_last_step = step
        audit.record(
            session,
            actor=actor,
            action="mfa.replaced" if replaced else "mfa.enrolled",
            practice_id=user.practice_id,
            details={"user_id": str(user.id)},
        )
    return codes


@dataclass(frozen=True)
class SecondFactor:
    """How a second factor was proven."""

    method: str
    """totp or recovery_code."""
    recovery_codes_left: int | None = None


async def check_second_factor(
    session: AsyncSession, domain: Domain, user: StaffUser, code: str
) -> SecondFactor | None:
    """The user's TOTP code or one unused recovery code (then spent); None when neither matches."""
    if user.totp_secret_enc is None:
        return None
    secret = domain.cipher.open(user.totp_secret_enc, column=STAFF_TOTP_SECRET, row_id=user.id) or ""
    step = matching_step(secret, code, last_step=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return SecondFactor("totp")
    spent = (
        await session.execute(
            update(MfaRecoveryCode)
            .where(
                MfaRecoveryCode.user_id == user.id,
                MfaRecoveryCode.code_hash == _code_hash(user.id, code),
                MfaRecoveryCode.used_at.is_(None),
            )
            .values(used_at=domain.clock.now())
            .returning(MfaRecoveryCode.id)
        )
    ).first()
    if spent is None:
        return None
    left = await session.scalar(
        select(func.count())
        .select_from(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None))
    )
    return SecondFactor("recovery_code", recovery_codes_left=int(left or 0))


def may_reset_mfa(viewer: Viewer, user: StaffUser) -> bool:
    """A practice admin resets their practice's people (not other admins); an operator resets admins
    and operators, and anyone without a practice."""
    if viewer.user_id == user.id:
        return False
    if viewer.role == PRACTICE_ADMIN:
        return user.practice_id == viewer.practice_id and user.role != PRACTICE_ADMIN
    if viewer.role == PLATFORM_OPERATOR:
        return user.role in (PRACTICE_ADMIN, PLATFORM_OPERATOR) or user.practice_id is None
    return False


async def reset_mfa(domain: Domain, viewer: Viewer, user_id: uuid.UUID, *, actor: audit.Actor) -> None:
    """Remove a user's authenticator and recovery codes (they lost both): audited, the user alerted by
    email, their sessions ended; they enrol again at their next sign-in."""
    from router.privacy.auth import end_user_sessions

    async with domain.transaction() as session:
        user = await session.get(StaffUser, user_id, with_for_update=True)
        if user is None or not may_reset_mfa(viewer, user):
            raise NotPermitted("You cannot reset this person's second factor.")
        user.totp_secret_enc = None
        user.mfa_enrolled_at = None
        user.totp_last_step = None
        await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
        audit.record(
            session,
            actor=actor,
            action="mfa.reset",
            practice_id=user.practice_id,
            details={"user_id": str(user.id), "by": str(viewer.user_id)},
        )
        email, name = user.email, user.display_name
    await end_user_sessions(domain, user_id, actor=actor, reason="mfa_reset")
    try:
        await domain.email.send_email(
            to=email,
            subject="Your Lead Router sign-in device was reset",
            body=(
                f"Hello {name},\n\n{viewer.display_name} removed the authenticator app and recovery codes "
                "from your Lead Router account. At your next sign-in you will set up a new one.\n\n"
                "If you did not ask for this, tell your practice admin at once."
            ),
        )
    except PortNotConfigured:
        log.warning("second-factor reset of user %s: email is not configured, the user was not told", user_id)
