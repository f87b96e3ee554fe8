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
