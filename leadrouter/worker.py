"""The arq worker: the domain's task functions with the process's runtime in their context."""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from leadrouter.model_training import retraining_cron
from leadrouter.runtime import Runtime, build_runtime
from router.jobs import CRON_JOBS, WORKER_FUNCTIONS, json_deserializer, json_serializer
from router.settings import Settings, get_settings

log = logging.getLogger("leadrouter.worker")

JOB_TIMEOUT_SECONDS = 300
"""Attribution runs of a large practice take tens of seconds; five minutes means something hangs."""


def build_worker(
    settings: Settings | None = None, *, burst: bool = False, runtime: Runtime | None = None
) -> Worker:
    """An arq worker bound to this deployment's queue (burst mode runs what is due, then stops)."""
    settings = settings or get_settings()
    shared = runtime or build_runtime(settings)

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = shared
        ctx["domain"] = shared.domain
        await shared.start()  # the lead-score models, for late explanations

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if runtime is None:
            await shared.close()

    return Worker(
        functions=list(WORKER_FUNCTIONS),
        cron_jobs=[*CRON_JOBS, retraining_cron(settings.scoring)],
        redis_settings=RedisSettings.from_dsn(settings.redis.url),
        queue_name=settings.redis.queue_name,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        job_serializer=json_serializer,
        job_deserializer=json_deserializer,
        job_timeout=JOB_TIMEOUT_SECONDS,
        burst=burst,
        handle_signals=not burst,
        keep_result=3600,
    )
