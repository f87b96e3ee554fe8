"""Signing in: throttled password check, then the second factor (or its enrolment), then a session.

No session exists until every required factor has passed: between the password and the code the
person holds only a short-lived pending sign-in (a random token; Redis holds its hash's record).
Every failure is counted (router/privacy/login_throttle.py), audited without the password, and logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import select

from router.core.domain import Domain
from router.core.models import StaffUser
from router.privacy import audit, mfa
from router.privacy.auth import AuthError, authenticate, open_session
from router.privacy.login_throttle import LoginThrottle

log = logging.getLogger("leadrouter.sign_in")

PENDING_SECONDS = 10 * 60
"""Time to fetch the phone and type a code (or set up the app) after the password."""
PENDING_ATTEMPTS = 5
"""Wrong codes allowed on one pending sign-in before the password must be typed again."""


@dataclass(frozen=True)
class Refused:
    message: str
    retry_after: int | None = None


@dataclass(frozen=True)
class SessionOpened:
    token: str
    remember: bool
    recovery_codes: tuple[str, ...] = ()
    """Shown once, after a first enrolment at sign-in."""
    recovery_codes_left: int | None = None


@dataclass(frozen=True)
class SecondFactorNeeded:
    pending: str
    enrol: bool
    """True when the role requires a second factor the person has not set up yet."""


@dataclass(frozen=True)
class Pending:
    user_id: uuid.UUID
    email: str
    remember: bool
    enrol: bool
    secret: str | None
    attempts: int


class SignIn:
    """The sign-in steps for one deployment (its Redis prefix keeps counters and pending sign-ins)."""

    def __init__(self, domain: Domain, redis: Redis) -> None:
        self.domain = domain
        self.redis = redis
        self.prefix = domain.settings.redis.prefix
        self.throttle = LoginThrottle(redis, self.prefix)

    def _pending_key(self, token: str) -> str:
        return f"{self.prefix}:login:pending:{hashlib.sha256(token.encode()).hexdigest()}"

    async def _failed(
        self, *, email: str, ip: str, user: StaffUser | None, reason: str, count: bool = True
    ) -> bool:
        """Audit and log a failure; count it unless the attempt was refused unseen (locked, waiting)."""
        locked = await self.throttle.failed(email=email, ip=ip) if count else False
        async with self.domain.transaction() as session:
            audit.record(
                session,
                actor=audit.Actor("user" if user else "anonymous", str(user.id) if user else "unknown", ip),
                action="login.failed",
                practice_id=user.practice_id if user else None,
                details={
                    "reason": reason,
                    "account": hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16],
                    **({"locked": True} if locked else {}),
                },
            )
        log.warning(
            "failed sign-in (%s) for %s from %s%s",
            reason,
            f"user {user.id}" if user else "an unknown account",
            ip,
            "; now locked" if locked else "",
        )
        return locked

    async def with_password(
        self, *, email: str, password: str, ip: str, user_agent: str | None, remember: bool
    ) -> Refused | SessionOpened | SecondFactorNeeded:
        """The first step: throttle, then the password (whose value is never logged or audited)."""
        refusal = await self.throttle.refusal(email=email, ip=ip)
        if refusal is not None:
            reason = "locked" if refusal.locked else "throttled"
            await self._failed(email=email, ip=ip, user=None, reason=reason, count=False)
            return Refused(refusal.message, refusal.retry_after)
        async with self.domain.transaction() as session:
            try:
                user = await authenticate(session, email=email, password=password)
            except AuthError:
                known = await session.scalar(
                    select(StaffUser).where(StaffUser.email == email.strip().lower())
                )
                user = None
            if user is not None and not (mfa.requires_mfa(user.role) or user.mfa_enrolled_at):
                token = await open_session(
                    session,
                    user,
                    settings=self.domain.settings.security,
                    now=self.domain.clock.now(),
                    ip=ip,
                    user_agent=user_agent,
                )
        if user is None:
            locked = await self._failed(email=email, ip=ip, user=known, reason="wrong_password")
            suffix = " Too many failed sign-ins: this account is now locked for 15 minutes." if locked else ""
            return Refused("Wrong email or password." + suffix)
        await self.throttle.succeeded(email=email)
        if not (mfa.requires_mfa(user.role) or user.mfa_enrolled_at):
            return SessionOpened(token, remember)
        pending = secrets.token_urlsafe(32)
        enrol = user.mfa_enrolled_at is None
        record = {
            "user_id": str(user.id),
            "email": user.email,
            "remember": remember,
            "enrol": enrol,
            "secret": mfa.new_secret() if enrol else None,
            "attempts": 0,
        }
        await self.redis.set(self._pending_key(pending), json.dumps(record), ex=PENDING_SECONDS)
        return SecondFactorNeeded(pending, enrol)

    async def pending(self, token: str | None) -> Pending | None:
        """The pending sign-in of this token, or None when missing or expired."""
        if not token:
            return None
        raw = await self.redis.get(self._pending_key(token))
        if raw is None:
            return None
        data = json.loads(raw)
        return Pending(
            uuid.UUID(data["user_id"]),
            data["email"],
            data["remember"],
            data["enrol"],
            data["secret"],
            data["attempts"],
        )

    async def with_code(
        self, token: str, code: str, *, ip: str, user_agent: str | None
    ) -> Refused | SessionOpened:
        """The second step: a TOTP or recovery code, or the first code of a new authenticator."""
        pending = await self.pending(token)
        if pending is None:
            return Refused("Your sign-in expired; enter your email and password again.")
        refusal = await self.throttle.refusal(email=pending.email, ip=ip)
        if refusal is not None:
            return Refused(refusal.message, refusal.retry_after)
        actor = audit.Actor("user", str(pending.user_id), ip)
        codes: tuple[str, ...] = ()
        left = None
        if pending.enrol:
            try:
                codes = tuple(
                    await mfa.enrol(
                        self.domain, pending.user_id, secret=pending.secret or "", code=code, actor=actor
                    )
                )
            except Exception:  # a wrong first code: counted like any wrong code
                return await self._wrong_code(token, pending, ip)
        async with self.domain.transaction() as session:
            user = await session.get(StaffUser, pending.user_id, with_for_update=True)
            if user is None or not user.is_active:
                return Refused("This account is not active.")
            if not pending.enrol:
                proof = await mfa.check_second_factor(session, self.domain, user, code)
                if proof is None:
                    user = None
                else:
                    left = proof.recovery_codes_left
                    audit.record(
                        session,
                        actor=actor,
                        action="login.second_factor",
                        practice_id=user.practice_id,
                        details={"method": proof.method},
                    )
            if user is not None:
                session_token = await open_session(
                    session,
                    user,
                    settings=self.domain.settings.security,
                    now=self.domain.clock.now(),
                    ip=ip,
                    user_agent=user_agent,
                )
        if user is None:
            return await self._wrong_code(token, pending, ip)
        await self.redis.delete(self._pending_key(token))
        await self.throttle.succeeded(email=pending.email)
        return SessionOpened(session_token, pending.remember, codes, left)

    async def _wrong_code(self, token: str, pending: Pending, ip: str) -> Refused:
        async with self.domain.sessionmaker() as session:
            user = await session.get(StaffUser, pending.user_id)
        locked = await self._failed(email=pending.email, ip=ip, user=user, reason="wrong_code")
        if locked or pending.attempts + 1 >= PENDING_ATTEMPTS:
            await self.redis.delete(self._pending_key(token))
            return Refused("Too many wrong codes; enter your email and password again.")
        record = {
            "user_id": str(pending.user_id),
            "email": pending.email,
            "remember": pending.remember,
            "enrol": pending.enrol,
            "secret": pending.secret,
            "attempts": pending.attempts + 1,
        }
        await self.redis.set(self._pending_key(token), json.dumps(record), keepttl=True)
        return Refused(
            "That code does not match. Type the six digits your app shows now, or a recovery code."
        )
