"""What the benchmark clients share: a measuring loop the garbage collector leaves alone, and cleanup."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from arq.constants import job_key_prefix
from redis.asyncio import Redis


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Keep the client's own full collections out of the figures while timing.

    The client holds what its set-up built (the training model, 500 sockets); one full collection
    of that took 140-350 ms here, and every reply arriving meanwhile was stamped late by that much.
    The timed phases allocate little that lives, so collection is simply switched off during them.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def drop_queued_jobs(redis_url: str, queue_name: str) -> int:
    """Delete every job waiting in `queue_name`, and the queue; returns how many there were.

    arq names a deferred job's key by its id alone, outside our prefix; the queue lists the ids.
    """
    redis = Redis.from_url(redis_url)
    try:
        ids = [job.decode() for job in await redis.zrange(queue_name, 0, -1)]
        for start in range(0, len(ids), 1000):
            await redis.delete(*(job_key_prefix + job for job in ids[start : start + 1000]))
        await redis.delete(queue_name)
        return len(ids)
    finally:
        await redis.aclose()
