"""The scheduler that enqueues domain jobs on arq (ids only, JSON); router/schedule.py lists the jobs."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from arq import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_unix_ms

log = logging.getLogger("leadrouter.worker")


def json_serializer(value: Any) -> bytes:
    """Jobs are JSON (never pickle): readable in Redis, no code execution on load."""
    return json.dumps(value, default=str).encode()


def json_deserializer(raw: bytes) -> Any:
    return json.loads(raw)


_ENQUEUE_ONCE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
"""arq's enqueue as one atomic script: KEYS job, result, queue; ARGV expiry ms, job, score, job id."""


class ArqJobScheduler:
    """Enqueues domain jobs on arq with deterministic ids, so scheduling twice does nothing.

    A job is written as `ArqRedis.enqueue_job` writes it (arq's serializer, key names and expiry,
    and nothing when the job or its result already exists), but in one round trip: arq's own
    enqueue takes three (WATCH, EXISTS, MULTI/EXEC), and the intake enqueues an escalation for every
    lead it stores. arq's worker runs these jobs as its own.
    """

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue = queue_name
        self._enqueue_once = redis.register_script(_ENQUEUE_ONCE)

    async def _enqueue(self, function: str, *args: Any, job_id: str, at: datetime | None = None) -> None:
        """Queue `function(*args)` under `job_id`, to run at `at` (now when None); nothing if it exists."""
        now_ms = timestamp_ms()
        # arq defers by Redis's wall clock and rejects a deferral more than a day in the past
        # (negative expiry); a moment already past simply runs now.
        score = max(to_unix_ms(at), now_ms) if at is not None else now_ms
        job = serialize_job(function, args, {}, None, now_ms, serializer=json_serializer)
        await self._enqueue_once(
            keys=[job_key_prefix + job_id, result_key_prefix + job_id, self._queue],
            args=[score - now_ms + self._redis.expires_extra_ms, job, score, job_id],
        )

    async def schedule_escalation(self, lead_id: uuid.UUID, *, level: int, at: datetime) -> None:
        await self._enqueue("escalate_lead", str(lead_id), level, job_id=f"escalate:{lead_id}:{level}", at=at)

    async def schedule_text(self, message_id: uuid.UUID, *, at: datetime) -> None:
        # The send time is in the id: a message deferred again (still quiet) gets a new job.
        await self._enqueue(
            "send_deferred_text", str(message_id), job_id=f"text:{message_id}:{int(at.timestamp())}", at=at
        )

    async def schedule_nurture_send(self, message_id: uuid.UUID, *, at: datetime) -> None:
        # As for texts: a message put off again (quiet hours, rate limit) gets a job of its own.
        await self._enqueue(
            "nurture_send", str(message_id), job_id=f"nurture:{message_id}:{int(at.timestamp())}", at=at
        )

    async def schedule_pms_sync(self, practice_id: uuid.UUID, *, at: datetime) -> None:
        # One job per practice and second: a burst of notifications (one per changed resource) runs
        # one sync; a later one gets its own, since the sync it follows may have started before it.
        await self._enqueue(
            "sync_pms_practice",
            str(practice_id),
            job_id=f"pms-sync:{practice_id}:{int(at.timestamp())}",
            at=at,
        )
