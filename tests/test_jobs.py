"""Jobs are arq's own: written in arq's format in one round trip, and never queued twice."""

import uuid
from datetime import timedelta

import pytest
from arq.constants import result_key_prefix
from arq.jobs import Job, JobStatus
from arq.utils import to_unix_ms

from router.core.jobs import json_deserializer

pytestmark = pytest.mark.integration


async def test_a_scheduled_job_reads_back_through_arq_and_scheduling_it_again_changes_nothing(
    domain, runtime
):
    queue = runtime.settings.redis.queue_name
    lead_id = uuid.uuid4()
    at = (domain.clock.now() + timedelta(minutes=5)).replace(microsecond=0)
    await domain.jobs.schedule_escalation(lead_id, level=1, at=at)
    await domain.jobs.schedule_escalation(lead_id, level=1, at=at + timedelta(hours=1))

    job = Job(f"escalate:{lead_id}:1", runtime.redis, _queue_name=queue, _deserializer=json_deserializer)
    info = await job.info()
    assert (info.function, info.args, info.kwargs) == ("escalate_lead", [str(lead_id), 1], {})
    assert info.score == to_unix_ms(at)  # the first deferral stands
    assert await job.status() == JobStatus.deferred
    assert await runtime.redis.zcard(queue) == 1
    assert 0 < await runtime.redis.pttl(f"arq:job:escalate:{lead_id}:1") <= 86_400_000 + 5 * 60_000


async def test_a_job_whose_result_is_kept_is_not_queued_again_and_a_past_moment_runs_now(domain, runtime):
    queue = runtime.settings.redis.queue_name
    done, late = uuid.uuid4(), uuid.uuid4()
    await runtime.redis.set(f"{result_key_prefix}escalate:{done}:1", b"{}", ex=60)
    try:
        await domain.jobs.schedule_escalation(done, level=1, at=domain.clock.now())
        assert await runtime.redis.zscore(queue, f"escalate:{done}:1") is None
    finally:
        await runtime.redis.delete(f"{result_key_prefix}escalate:{done}:1")

    before = to_unix_ms(domain.clock.now())
    await domain.jobs.schedule_escalation(late, level=2, at=domain.clock.now() - timedelta(days=3))
    assert await runtime.redis.zscore(queue, f"escalate:{late}:2") >= before


async def test_a_worker_stopped_while_a_job_runs_closes_cleanly_and_runs_its_shutdown(settings):
    """A job task stopped mid-start ends cancelled, and arq's own close raises that CancelledError
    (skipping the shutdown hook that closes the runtime's connections); ours waits for it and goes on."""
    import asyncio

    from arq.connections import RedisSettings
    from arq.worker import func

    from leadrouter.worker import SteadyWorker

    shut_down, ready = [], asyncio.Event()

    async def nothing(ctx):  # type: ignore[no-untyped-def]
        return None

    async def on_startup(ctx):  # type: ignore[no-untyped-def]
        ready.set()

    async def on_shutdown(ctx):  # type: ignore[no-untyped-def]
        shut_down.append(True)

    worker = SteadyWorker(
        functions=[func(nothing, name="nothing")],
        redis_settings=RedisSettings.from_dsn(settings.redis.url),
        queue_name=f"{settings.redis.queue_name}:close",
        handle_signals=False,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
    running = asyncio.create_task(worker.main())
    await asyncio.wait_for(ready.wait(), 10)
    worker.tasks["starting"] = asyncio.create_task(asyncio.sleep(30))  # a job caught mid-start
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await worker.close()
    assert shut_down == [True] and worker.tasks == {}
