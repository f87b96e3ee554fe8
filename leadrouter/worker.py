"""The arq worker: the domain's task functions with the process's runtime in their context."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from collections.abc import Sequence
from typing import Any

from arq.connections import RedisSettings, create_pool
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from leadrouter.constants import WORKER_REDIS_RETRY_SECONDS
from leadrouter.model_training import retraining_cron
from leadrouter.runtime import Runtime, build_runtime
from router.core.clock import Clock
from router.core.jobs import json_deserializer, json_serializer
from router.core.settings import Settings, get_settings
from router.schedule import CRON_JOBS, WORKER_FUNCTIONS

log = logging.getLogger("leadrouter.worker")

JOB_TIMEOUT_SECONDS = 300
"""Attribution runs of a large practice take tens of seconds; five minutes means something hangs."""

REDIS_GONE = (RedisConnectionError, RedisTimeout, OSError)
"""What a Redis that is down, restarting or unreachable raises (BusyLoadingError, while it reloads
its data after a restart, is a ConnectionError)."""


JOBS_END_WITHIN_SECONDS = 10.0
"""How long a stopping worker waits for its cancelled jobs (arq records each one's end in Redis, which
may not answer during an outage); a job still running then is picked up again from the queue."""


class SteadyWorker(Worker):
    """arq's worker, riding out a Redis outage instead of exiting.

    arq (0.26 to 0.28, the newest) lets a Redis error in its poll loop end the worker, and a worker
    started while Redis is down gives up after five attempts. This one keeps trying with back-off,
    logs once when Redis goes and once when it is back, and then treats the return like a start:
    the periodic jobs that run at start-up (the sweepers that find work a lost job left undone,
    escalations first) run at once, and any other that fell due meanwhile runs once, not once per
    missed slot.
    """

    def __init__(
        self,
        *args: Any,
        clock: Clock | None = None,
        redis_retry_seconds: Sequence[float] = WORKER_REDIS_RETRY_SECONDS,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self._clock = clock or Clock()
        """arq runs its cron jobs by the wall clock (not the domain's, which a test may set back)."""
        self.redis_retry_seconds = tuple(redis_retry_seconds)
        self.outages = 0
        """Redis outages ridden out so far."""
        self.reconnect_attempts = 0
        """Attempts to reach Redis in the current outage."""
        self._outage_since: float | None = None

    async def main(self) -> None:
        while self._pool is None:
            try:
                self._pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except REDIS_GONE as exc:
                await self._wait_for_redis(exc)
        self._redis_is_back()
        await super().main()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_GONE as exc:
            if self.burst:
                raise
            try:  # a job that lost its connection reports it late: is Redis really gone?
                await self.pool.ping()
            except REDIS_GONE:
                await self._wait_for_redis(exc)
            else:
                log.warning("a job lost its Redis connection (%s); Redis answers again", type(exc).__name__)
            return
        self._redis_is_back()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            before = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except REDIS_GONE:
                if self.tasks.get(job_id.decode()) is before:
                    # arq took a slot for this job before the Redis call that failed, and gives slots
                    # back only when a job it started ends: without this, each outage costs a slot.
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def _wait_for_redis(self, exc: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            self.reconnect_attempts = 0
            self.outages += 1
            log.warning(
                "Redis is unreachable (%s); jobs wait, and the worker retries until it is back",
                type(exc).__name__,
            )
        delay = self.redis_retry_seconds[min(self.reconnect_attempts, len(self.redis_retry_seconds) - 1)]
        self.reconnect_attempts += 1
        await asyncio.sleep(delay)

    def _redis_is_back(self) -> None:
        if self._outage_since is None:
            return
        log.warning("Redis is back after %.1f s; the sweepers run now", time.monotonic() - self._outage_since)
        self._outage_since = None
        now = self._clock.now().astimezone(self.timezone)
        for cron_job in self.cron_jobs:
            if cron_job.next_run is not None and (cron_job.run_at_startup or cron_job.next_run < now):
                cron_job.next_run = now

    async def close(self) -> None:
        await self._end_jobs_in_progress()
        try:
            await super().close()
        except REDIS_GONE as exc:  # stopping while Redis is away: nothing in Redis to tidy up
            log.warning("worker stopped while Redis was unreachable (%s)", type(exc).__name__)
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)
            with contextlib.suppress(*REDIS_GONE):
                await self.pool.close(close_connection_pool=True)
            self._pool = None

    async def _end_jobs_in_progress(self) -> None:
        """Cancel the jobs in progress and wait for them to end. arq's own close waits for them in a
        way that raises a cancelled job's CancelledError out of close, which would skip the shutdown
        hook (the runtime's connections left open); a cancelled job is retried from the queue."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        tasks = list(self.tasks.values())
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=JOBS_END_WITHIN_SECONDS)
            for task in done:
                if not task.cancelled():
                    task.exception()  # retrieved: its job logged it; nothing to raise at shutdown
            if pending:
                log.warning(
                    "%d job(s) did not end within %s s of the stop", len(pending), JOBS_END_WITHIN_SECONDS
                )
        self.tasks.clear()


def build_worker(
    settings: Settings | None = None,
    *,
    burst: bool = False,
    runtime: Runtime | None = None,
    redis_retry_seconds: Sequence[float] = WORKER_REDIS_RETRY_SECONDS,
    handle_signals: bool | None = None,
) -> SteadyWorker:
    """An arq worker bound to this deployment's queue (burst mode runs what is due, then stops).

    It stops on SIGINT/SIGTERM unless in burst mode or told otherwise (a test running it in its own
    event loop keeps its signals).
    """
    settings = settings or get_settings()
    shared = runtime or build_runtime(settings)

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = shared
        ctx["domain"] = shared.domain
        await shared.start()  # the lead-score models, for late explanations

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if runtime is None:
            await shared.close()

    # One attempt per connection: the worker's own loop retries, with back-off and one log line.
    redis_settings = dataclasses.replace(RedisSettings.from_dsn(settings.redis.url), conn_retries=0)
    return SteadyWorker(
        functions=list(WORKER_FUNCTIONS),
        cron_jobs=[*CRON_JOBS, retraining_cron(settings.scoring)],
        redis_settings=redis_settings,
        queue_name=settings.redis.queue_name,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        job_serializer=json_serializer,
        job_deserializer=json_deserializer,
        job_timeout=JOB_TIMEOUT_SECONDS,
        burst=burst,
        handle_signals=not burst if handle_signals is None else handle_signals,
        keep_result=3600,
        redis_retry_seconds=redis_retry_seconds,
    )
