import pytest
from datetime import timedelta
from tests.escalation.test_escalation import *

async def test_dbg(domain, runtime):
    clock = freeze(domain, WEDNESDAY_10AM_CHICAGO)
    practice = await make_practice(domain, staff=STAFF)
    lead = await new_lead(domain, practice.practice.id)
    clock.advance(timedelta(minutes=5))
    print("jobs", domain.jobs, domain.jobs._queue)
    await escalate_lead(domain, lead.id, 1)
    print([k async for k in runtime.redis.scan_iter(match="arq:*")])
    print(await runtime.redis.zrange(domain.jobs._queue, 0, -1))
