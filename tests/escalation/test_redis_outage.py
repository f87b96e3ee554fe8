"""The worker rides out Redis going away (kill -9) or being down at start, and catches up at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from leadrouter.runtime import build_runtime
from leadrouter.worker import build_worker
from tests.escalation.support import PrivateRedis, freeze, load_lead, new_lead
from tests.factories import make_practice

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]

QUICK_RETRIES = (0.05, 0.1, 0.2)
"""The worker's back-off, shortened: the test waits for what it does, not for its pauses."""


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    yield redis
    redis.stop()


@pytest.fixture
def worker_log(caplog):
    caplog.set_level(logging.INFO, logger="leadrouter.worker")
    return lambda text: [
        r for r in caplog.records if r.name == "leadrouter.worker" and text in r.getMessage()
    ]


async def eventually(check, *, within: float = 15.0):
    """Wait until `check()` is true (the worker acts in its own time); fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not true within {within} s: {check.__doc__ or check}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def overdue_setup(domain, settings, private_redis):
    """A runtime on the private Redis, a practice, and a clock two real hours back (arq runs by real
    time; the leads' deadlines are judged by the domain's clock)."""
    own = replace(settings, redis=replace(settings.redis, url=private_redis.url))
    runtime = build_runtime(own)
    clock = freeze(runtime.domain, domain.clock.now().replace(microsecond=0) - timedelta(hours=2))
    practice = await make_practice(runtime.domain, staff={"boss@bright.example": {"role": "manager"}})
    yield own, runtime, clock, practice
    await runtime.close()


async def _stop(worker, running):
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await worker.close()


async def test_a_redis_kill_does_not_stop_the_worker_and_overdue_leads_escalate_when_it_returns(
    overdue_setup, private_redis, worker_log
):
    own, runtime, clock, practice = overdue_setup
    private_redis.start()
    worker = build_worker(own, runtime=runtime, redis_retry_seconds=QUICK_RETRIES, handle_signals=False)
    running = asyncio.create_task(worker.async_run())

    async def started():
        return "domain" in worker.ctx

    await eventually(started)

    private_redis.kill()
    # Inquiries keep arriving meanwhile: stored, but their escalation jobs cannot be queued.
    leads = [await new_lead(runtime.domain, practice.practice.id) for _ in range(3)]
    clock.advance(timedelta(hours=1))

    async def noticed():
        return worker.outages == 1

    await eventually(noticed)

    async def retried_a_few_times():
        return worker.reconnect_attempts >= 3

    await eventually(retried_a_few_times)
    assert not running.done()

    private_redis.start()

    async def all_escalated():
        levels = [(await load_lead(runtime.domain, lead.id)).escalation_level for lead in leads]
        return min(levels) >= 1

    await eventually(all_escalated)
    assert not running.done() and worker.outages == 1
    assert len(worker_log("Redis is unreachable")) == 1 and len(worker_log("Redis is back")) == 1
    await _stop(worker, running)


async def test_a_worker_started_while_redis_is_down_waits_for_it(overdue_setup, private_redis, worker_log):
    own, runtime, clock, practice = overdue_setup
    lead = await new_lead(runtime.domain, practice.practice.id)
    clock.advance(timedelta(hours=1))
    worker = build_worker(own, runtime=runtime, redis_retry_seconds=QUICK_RETRIES, handle_signals=False)
    running = asyncio.create_task(worker.async_run())

    async def waiting():
        return worker.outages == 1

    await eventually(waiting)
    assert not running.done()

    private_redis.start()

    async def escalated():
        return (await load_lead(runtime.domain, lead.id)).escalation_level >= 1

    await eventually(escalated)
    assert len(worker_log("Redis is unreachable")) == 1
    await _stop(worker, running)
