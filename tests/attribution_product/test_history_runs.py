"""Seeded history, the stored run (task called with a ctx, and the real worker), and reproduction."""

from __future__ import annotations

import io
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from attribution.cli import attribution_command
from leadrouter.attribution_engine import export_paths
from leadrouter.demo import seed_demo
from leadrouter.history_seed import seed_history
from router.core.models import AttributionRun, Lead, Practice, Touchpoint
from router.marketing.attribution_runs import attribution_overview, request_run, run_attribution
from router.marketing.journeys import load_journeys
from tests.escalation.support import freeze

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)


@pytest.fixture
async def demo(domain):
    freeze(domain, NOW)
    await seed_demo(domain)
    started = time.perf_counter()
    summary = await seed_history(domain, "bright-smile", months=6)
    seconds = time.perf_counter() - started
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == "bright-smile"))
    return practice, summary, seconds


async def test_history_is_seeded_only_once(domain, demo):
    practice, summary, _ = demo  # its time is the benchmarks' business, not a test's
    assert summary.created and summary.leads > 500 and summary.spend_rows > 500
    again = await seed_history(domain, "bright-smile", months=6)
    assert not again.created
    async with domain.sessionmaker() as session:
        leads = await session.scalar(
            select(func.count()).select_from(Lead).where(Lead.practice_id == practice.id)
        )
        open_leads = await session.scalar(select(func.count()).select_from(Lead).where(Lead.status == "open"))
        anonymous = await session.scalar(
            select(func.count()).select_from(Touchpoint).where(Touchpoint.lead_id.is_(None))
        )
    assert leads == summary.leads and open_leads == 0 and anonymous > 0


async def test_the_task_stores_a_run_that_the_exported_paths_reproduce(domain, demo, tmp_path):
    practice, _, _ = demo
    async with domain.sessionmaker() as session, session.begin():
        run, created = await request_run(session, practice.id, requested_by="test", now=NOW)
        again, created_again = await request_run(session, practice.id, requested_by="test", now=NOW)
    assert created and not created_again and again.id == run.id  # a pending run is reused

    outcome = await run_attribution({"domain": domain}, str(run.id))
    assert outcome["status"] == "done", outcome
    async with domain.sessionmaker() as session:
        stored = await session.get(AttributionRun, run.id)
        overview = await attribution_overview(session, practice.id, now=NOW)
        journeys = await load_journeys(
            session,
            practice.id,
            start=stored.window_start,
            end=stored.window_end,
            conversion_stage="appointment_scheduled",
        )
    assert overview.shown.id == run.id and overview.pending is None
    assert stored.read_seconds > 0 and stored.compute_seconds > 0
    results = stored.results
    channels = {row["channel"] for row in results["channels"]}
    assert {"physician_referral", "google_ads", "facebook_ads"} <= channels
    assert results["stitched_visits"] > 0 and results["spend_total"] > 0 and results["budget"]
    assert results["physician_referrals"]["patients"] > 0 and results["physician_referrals"]["value"] > 0
    assert sum(row["markov"] for row in results["channels"]) == pytest.approx(stored.conversions)

    paths_file = tmp_path / "paths.csv"
    buffer = io.StringIO()
    export_paths(journeys, buffer)
    paths_file.write_text(buffer.getvalue())
    printed = CliRunner().invoke(attribution_command, [str(paths_file), "--json"])
    assert printed.exit_code == 0, printed.output
    reproduced = json.loads(printed.output)
    report = results["report"]
    assert reproduced["total_conversions"] == report["total_conversions"]
    assert reproduced["p_conversion"] == pytest.approx(report["p_conversion"], rel=1e-9)
    for model, credit in report["models"].items():
        assert reproduced["models"][model] == pytest.approx(credit, rel=1e-9, abs=1e-9), model


async def test_a_failed_run_is_stored_with_its_reason(domain):
    freeze(domain, NOW)
    await seed_demo(domain)
    async with domain.sessionmaker() as session, session.begin():
        practice_id = await session.scalar(select(Practice.id).where(Practice.slug == "lakeside-ortho"))
        run, _ = await request_run(session, practice_id, requested_by="test", now=NOW)
    outcome = await run_attribution({"domain": domain}, str(run.id))
    assert outcome["status"] == "failed"
    async with domain.sessionmaker() as session:
        stored = await session.get(AttributionRun, run.id)
    assert stored.error == "no journeys in this window" and stored.finished_at is not None


async def test_a_run_without_an_attribution_engine_fails_saying_so(domain):
    from dataclasses import replace

    from router.core.ports import AttributionNotConfigured

    freeze(domain, NOW)
    await seed_demo(domain)
    bare = replace(domain, attribution=AttributionNotConfigured())
    async with domain.sessionmaker() as session, session.begin():
        practice_id = await session.scalar(select(Practice.id).where(Practice.slug == "lakeside-ortho"))
        run, _ = await request_run(session, practice_id, requested_by="test", now=NOW)
    outcome = await run_attribution({"domain": bare}, str(run.id))
    assert outcome["status"] == "failed"
    async with domain.sessionmaker() as session:
        stored = await session.get(AttributionRun, run.id)
    assert stored.error == "attribution engine not configured" and stored.results == {}


ISOLATED_REDIS_DB = 12
"""The shared conftest deletes every `arq:*` key of its Redis database after each test, so a concurrent
test run could drop this test's job mid-run; it queues on a database of its own (escalation uses 11)."""


@pytest.fixture
async def isolated(domain, settings):
    """A second runtime on the same PostgreSQL database but its own Redis database."""
    from dataclasses import replace
    from urllib.parse import urlsplit, urlunsplit

    from leadrouter.runtime import build_runtime

    url = urlunsplit(urlsplit(settings.redis.url)._replace(path=f"/{ISOLATED_REDIS_DB}"))
    own = replace(settings, redis=replace(settings.redis, url=url))
    runtime = build_runtime(own)
    yield own, runtime
    keys = [key async for key in runtime.redis.scan_iter(match=f"{own.redis.prefix}*")]
    keys += [key async for key in runtime.redis.scan_iter(match="arq:*")]
    if keys:
        await runtime.redis.delete(*keys)
    await runtime.close()


async def test_the_worker_runs_a_queued_run_in_burst_mode(isolated):
    from leadrouter.worker import build_worker
    from router.marketing.attribution_runs import enqueue_run

    settings, runtime = isolated
    domain = runtime.domain
    freeze(domain, domain.clock.now())
    await seed_demo(domain)
    await seed_history(domain, "lakeside-ortho", months=1)
    async with domain.sessionmaker() as session, session.begin():
        practice_id = await session.scalar(select(Practice.id).where(Practice.slug == "lakeside-ortho"))
        run, _ = await request_run(session, practice_id, requested_by="test", now=domain.clock.now())
    await enqueue_run(runtime.redis, settings.redis.queue_name, run.id)
    worker = build_worker(settings, burst=True, runtime=runtime)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    async with domain.sessionmaker() as session:
        stored = await session.get(AttributionRun, uuid.UUID(str(run.id)))
    assert stored.status == "done" and stored.journeys > 0


async def test_the_nightly_cron_queues_one_run_per_practice_and_never_doubles(domain, runtime):
    from router.marketing.attribution_runs import nightly_attribution

    freeze(domain, NOW)
    await seed_demo(domain)
    ctx = {"domain": domain, "redis": runtime.redis}
    assert await nightly_attribution(ctx) == {"queued": 2}
    await nightly_attribution(ctx)
    async with domain.sessionmaker() as session:
        runs = (await session.scalars(select(AttributionRun))).all()
    assert len(runs) == 2 and {run.requested_by for run in runs} == {"nightly"}
    jobs = await runtime.redis.queued_jobs(queue_name=domain.settings.redis.queue_name)
    assert sorted(job.job_id for job in jobs) == sorted(f"attribution:{run.id}" for run in runs)
