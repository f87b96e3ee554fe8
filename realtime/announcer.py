"""The doorbell: after commit, tell every web process's hub that events are waiting."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("leadrouter.realtime")


LocalDoorbell = Callable[[Sequence[int]], object]


class RedisAnnouncer:
    """Publishes committed event ids on a Redis channel; a lost message is recovered from the table.

    A hub in the same process is rung directly first: it can read the events a Redis round trip
    sooner, and ignores the Redis message when it comes (it is then past those ids).
    """

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._local: list[LocalDoorbell] = []

    def ring_locally(self, doorbell: LocalDoorbell) -> None:
        """Also ring `doorbell` with the ids this process announces."""
        self._local.append(doorbell)

    def stop_ringing(self, doorbell: LocalDoorbell) -> None:
        if doorbell in self._local:
            self._local.remove(doorbell)

    async def announce(self, event_ids: Sequence[int]) -> None:
        if not event_ids:
            return
        for doorbell in self._local:
            doorbell(event_ids)
        try:
            await self._redis.publish(self._channel, json.dumps(list(event_ids)))
        except (RedisError, OSError) as exc:
            # The event is committed; hubs find it on their next poll or reconnect.
            log.warning("could not announce events %s: %s", list(event_ids), exc)
