"""Fixed-window request counters in Redis: one INCR per request, the window's key expires by itself."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class Limit:
    """At most `requests` per `window_seconds` for one key."""

    requests: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int
    """Seconds until the current window ends (0 when allowed)."""


class FixedWindowLimiter:
    """Counts requests per key and window; a burst at a window's edge may pass twice the limit (known)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, limit: Limit, *, now: float) -> Verdict:
        """Count one request; refused once the window's count passes the limit."""
        window = int(now // limit.window_seconds)
        name = f"{self._prefix}:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, limit.window_seconds + 1)
            count, _ = await pipe.execute()
        if int(count) <= limit.requests:
            return Verdict(True, 0)
        return Verdict(False, max(1, (window + 1) * limit.window_seconds - int(now)))
