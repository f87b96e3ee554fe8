"""The doorbell: after commit, tell every web process's hub that events are waiting."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("leadrouter.realtime")


class RedisAnnouncer:
    """Publishes committed event ids on a Redis channel; a lost message is recovered from the table."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel

    async def announce(self, event_ids: Sequence[int]) -> None:
        if not event_ids:
            return
        try:
            await self._redis.publish(self._channel, json.dumps(list(event_ids)))
        except (RedisError, OSError) as exc:
            # The event is committed; hubs find it on their next poll or reconnect.
            log.warning("could not announce events %s: %s", list(event_ids), exc)
