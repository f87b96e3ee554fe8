"""Failed sign-ins counted per account and per address in Redis: growing waits, then a lock.

Fixed 15-minute windows. From the 5th failure a new attempt must wait (2 s, doubling, at most a
minute) after the previous failure; at the 10th failure of an account (20th of an address: an
office shares one address) it is locked for 15 minutes. A success clears the account's count, never
the address's, so guessing many accounts from one address stays throttled. The check happens before
the password is looked at, so a locked account answers the same whatever is typed.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

WINDOW_SECONDS = 15 * 60
"""Failures count for 15 minutes (NIST 800-63B allows at most 100 failures per account in total)."""
DELAY_AFTER_FAILURES = 5
"""The first four mistakes are typos; from the fifth, each attempt waits."""
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 60
ACCOUNT_LOCK_FAILURES = 10
ADDRESS_LOCK_FAILURES = 20
"""Higher for an address: a practice's whole front desk may sign in from one office address."""
LOCK_SECONDS = 15 * 60


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not even tried, in the person's words, and for how long."""

    message: str
    retry_after: int
    locked: bool


def _delay(failures: int) -> int:
    if failures < DELAY_AFTER_FAILURES:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** (failures - DELAY_AFTER_FAILURES), MAX_DELAY_SECONDS)


class LoginThrottle:
    """Counts failures in Redis under the deployment's prefix (every web process shares them)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _keys(self, kind: str, subject: str) -> tuple[str, str, str]:
        digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
        base = f"{self.prefix}:login:{kind}:{digest}"
        return f"{base}:failures", f"{base}:last", f"{base}:lock"

    async def refusal(self, *, email: str, ip: str, now: float | None = None) -> Refusal | None:
        """Whether an attempt for this account from this address must wait or is locked out."""
        now = time.time() if now is None else now
        for kind, subject in (("account", email), ("address", ip)):
            failures_key, last_key, lock_key = self._keys(kind, subject)
            locked_for = await self.redis.ttl(lock_key)
            if locked_for and locked_for > 0:
                minutes = math.ceil(locked_for / 60)
                who = "This account" if kind == "account" else "Sign-in from your network"
                return Refusal(
                    f"{who} is locked for {minutes} more minute{'s' if minutes != 1 else ''} after too "
                    "many failed sign-ins. Wait, or reset your password from the link below.",
                    locked_for,
                    locked=True,
                )
            failures = int(await self.redis.get(failures_key) or 0)
            last = float(await self.redis.get(last_key) or 0)
            wait = math.ceil(last + _delay(failures) - now)
            if wait > 0:
                return Refusal(
                    f"Too many failed sign-ins: wait {wait} second{'s' if wait != 1 else ''} and try again.",
                    wait,
                    locked=False,
                )
        return None

    async def failed(self, *, email: str, ip: str, now: float | None = None) -> bool:
        """Count a failure for both; True when it locked the account or the address."""
        now = time.time() if now is None else now
        locked = False
        for kind, subject, limit in (
            ("account", email, ACCOUNT_LOCK_FAILURES),
            ("address", ip, ADDRESS_LOCK_FAILURES),
        ):
            failures_key, last_key, lock_key = self._keys(kind, subject)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(failures_key)
                pipe.expire(failures_key, WINDOW_SECONDS, nx=True)
                pipe.set(last_key, str(now), ex=WINDOW_SECONDS)
                failures = (await pipe.execute())[0]
            if failures >= limit:
                await self.redis.set(lock_key, "1", ex=LOCK_SECONDS)
                await self.redis.delete(failures_key)
                locked = True
        return locked

    async def succeeded(self, *, email: str) -> None:
        """Clear the account's failures; the address's count stays (see the module's docstring)."""
        failures_key, last_key, _ = self._keys("account", email)
        await self.redis.delete(failures_key, last_key)
