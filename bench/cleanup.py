"""What a benchmark leaves in Redis: the escalation jobs its leads deferred (no worker runs them here)."""

from __future__ import annotations

from redis.asyncio import Redis

ARQ_JOB_KEY = "arq:job:"
"""arq names a deferred job's key by its id alone, outside our prefix; the queue lists the ids."""


async def drop_queued_jobs(redis_url: str, queue_name: str) -> int:
    """Delete every job waiting in `queue_name`, and the queue; returns how many there were."""
    redis = Redis.from_url(redis_url)
    try:
        ids = [job.decode() for job in await redis.zrange(queue_name, 0, -1)]
        for start in range(0, len(ids), 1000):
            await redis.delete(*(ARQ_JOB_KEY + job for job in ids[start : start + 1000]))
        await redis.delete(queue_name)
        return len(ids)
    finally:
        await redis.aclose()
