"""The real arq worker in burst mode: the deferred job escalates, and the sweeper catches a lost job."""

from dataclasses import replace
from datetime import timedelta

import pytest

from leadrouter.worker import build_worker
from router.core.models import ManagerAlert
from tests.escalation.support import PrivateRedis, freeze, load_lead, new_lead
from tests.factories import make_practice

pytestmark = pytest.mark.integration


@pytest.fixture
async def isolated(domain, settings, tmp_path):
    """A second runtime on the same PostgreSQL database but a Redis of its own: arq names jobs
    outside any prefix, so a test run sharing a Redis with another would run (and fail) its jobs."""
    from leadrouter.runtime import build_runtime

    redis = PrivateRedis(tmp_path)
    redis.start()
    own = replace(settings, redis=replace(settings.redis, url=redis.url))
    runtime = build_runtime(own)
    yield own, runtime
    await runtime.close()
    redis.stop()


async def _run_burst(settings, runtime):
    worker = build_worker(settings, burst=True, runtime=runtime)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    return worker


async def test_deferred_jobs_escalate_both_levels(isolated):
    settings, runtime = isolated
    domain = runtime.domain
    # arq defers by real time: put the lead an hour in the real past so both jobs are due now.
    start = domain.clock.now().replace(microsecond=0) - timedelta(hours=2)
    clock = freeze(domain, start)
    practice = await make_practice(domain, staff={"boss@bright.example": {"role": "manager"}})
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(hours=1))

    worker = await _run_burst(settings, runtime)
    lead = await load_lead(domain, lead.id)
    assert lead.escalation_level == 2 and lead.overflow
    assert worker.jobs_failed == 0
    async with domain.sessionmaker() as session:
        levels = sorted(
            (
                await session.scalars(ManagerAlert.__table__.select().with_only_columns(ManagerAlert.level))
            ).all()
        )
    assert levels == [1, 2]


async def test_sweeper_cron_catches_a_lost_job(isolated):
    settings, runtime = isolated
    domain = runtime.domain
    start = domain.clock.now().replace(microsecond=0) - timedelta(hours=2)
    clock = freeze(domain, start)
    practice = await make_practice(domain, staff={"boss@bright.example": {"role": "manager"}})
    lead = await new_lead(domain, practice.practice.id)
    # Redis lost the job (a restart without persistence): only the sweeper can find the lead now.
    await runtime.redis.delete(f"arq:job:escalate:{lead.id}:1")
    await runtime.redis.zrem(settings.redis.queue_name, f"escalate:{lead.id}:1")
    clock.advance(timedelta(minutes=6))
    # The cron's own schedule is wall time; run one sweep as the cron would enqueue it.
    await runtime.redis.enqueue_job("cron:sweep_overdue_task", _queue_name=settings.redis.queue_name)

    await _run_burst(settings, runtime)
    lead = await load_lead(domain, lead.id)
    assert lead.escalation_level >= 1 and lead.overflow
