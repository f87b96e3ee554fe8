"""Attribution runs: a practice's journeys read from PostgreSQL, every model run in the worker, stored.

A run is a row first (queued), so "run now" twice finds the pending one instead of starting another;
the arq job's id is the run's id. The worker reads and stitches the journeys (timed as read), then
aggregates and runs the models in a thread (timed as compute) so its event loop keeps serving other
jobs, and stores the `leadrouter attribution --json` document with spend, cost per booking and the
budget moves. The models are the domain's `attribution` port (router/ports.py), so `router/` never
imports the `attribution` package. The web process only ever enqueues; a large practice never blocks it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from arq import ArqRedis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.domain import Domain
from router.core.models import AdSpend, AttributionRun, Practice
from router.core.ports import PortNotConfigured
from router.marketing.journeys import load_journeys
from router.practices.settings import PracticeSettings

log = logging.getLogger("leadrouter.attribution")

DEFAULT_WINDOW_DAYS = 180
"""Six months: dental journeys run weeks from first touch to booking, and seasonal campaigns
(new-year benefits, back-to-school braces) both fall inside one window."""
STALE_RUN_MINUTES = 30
"""A queued or running run older than this was lost (worker restarted); "run now" starts a new one."""
RUNS_LISTED = 20
"""Earlier runs shown on the page: a few weeks of nightly runs plus on-demand ones."""
RUN_JOB = "run_attribution"


async def request_run(
    session: AsyncSession,
    practice_id: uuid.UUID,
    *,
    requested_by: str,
    now: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
    order: int = 1,
) -> tuple[AttributionRun, bool]:
    """The practice's pending run, or a new queued one; (run, whether it was created)."""
    pending = await session.scalar(
        select(AttributionRun)
        .where(
            AttributionRun.practice_id == practice_id,
            AttributionRun.status.in_(("queued", "running")),
            AttributionRun.requested_at > now - timedelta(minutes=STALE_RUN_MINUTES),
        )
        .order_by(AttributionRun.requested_at.desc())
        .limit(1)
    )
    if pending is not None:
        return pending, False
    practice = await session.get(Practice, practice_id)
    if practice is None:
        raise LookupError(f"practice {practice_id} does not exist")
    settings = PracticeSettings.from_json(practice.settings)
    run = AttributionRun(
        id=uuid.uuid4(),
        practice_id=practice_id,
        status="queued",
        requested_by=requested_by,
        model="markov",
        markov_order=order,
        conversion_stage=settings.attribution_conversion_stage,
        window_start=now - timedelta(days=window_days),
        window_end=now,
        results={},
        requested_at=now,
    )
    session.add(run)
    await session.flush([run])
    return run, True


async def enqueue_run(redis: ArqRedis, queue_name: str, run_id: uuid.UUID) -> None:
    """Hand the run to the worker; the job id is the run id, so enqueueing twice does nothing."""
    await redis.enqueue_job(RUN_JOB, str(run_id), _job_id=f"attribution:{run_id}", _queue_name=queue_name)


async def _spend_by_channel(
    session: AsyncSession, practice_id: uuid.UUID, start: datetime, end: datetime
) -> dict[str, dict[str, float]]:
    """Spend, impressions and clicks per channel over the run's window (days it overlaps)."""
    rows = await session.execute(
        select(
            AdSpend.channel,
            func.sum(AdSpend.spend),
            func.coalesce(func.sum(AdSpend.impressions), 0),
            func.coalesce(func.sum(AdSpend.clicks), 0),
        )
        .where(
            AdSpend.practice_id == practice_id,
            AdSpend.day >= start.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0),
            AdSpend.day < end.replace(tzinfo=None),
        )
        .group_by(AdSpend.channel)
    )
    return {
        channel: {"spend": float(spend), "impressions": float(shown), "clicks": float(clicked)}
        for channel, spend, shown, clicked in rows.tuples()
    }


async def execute_run(domain: Domain, run_id: uuid.UUID) -> dict[str, Any]:
    """Read, compute and store one queued run; a failure is stored on the run, not raised."""
    async with domain.transaction() as session:
        run = await session.get(AttributionRun, run_id, with_for_update=True)
        if run is None or run.status in ("done", "failed"):
            return {"run_id": str(run_id), "status": run.status if run else "missing"}
        run.status = "running"
        practice_id, start, end = run.practice_id, run.window_start, run.window_end
        stage, order = run.conversion_stage, run.markov_order
    outcome: dict[str, Any]
    try:
        started = time.perf_counter()
        async with domain.sessionmaker() as session:
            journeys = await load_journeys(session, practice_id, start=start, end=end, conversion_stage=stage)
            spend = await _spend_by_channel(session, practice_id, start, end)
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        attributed = await asyncio.to_thread(domain.attribution.attribute, journeys, spend, order=order)
        compute_seconds = time.perf_counter() - started
        outcome = {
            "status": "done",
            "results": attributed.results,
            "journeys": len(journeys.journeys),
            "conversions": attributed.conversions,
            "read_seconds": read_seconds,
            "compute_seconds": compute_seconds,
            "error": None,
        }
    except Exception as error:  # stored for the page; a run with no journeys fails here, by design
        log.warning(
            "attribution run %s failed: %s",
            run_id,
            error,
            exc_info=not isinstance(error, (ValueError, PortNotConfigured)),
        )
        outcome = {"status": "failed", "error": str(error)}
    async with domain.transaction() as session:
        run = await session.get(AttributionRun, run_id, with_for_update=True)
        assert run is not None
        for name, value in outcome.items():
            setattr(run, name, value)
        run.finished_at = domain.clock.now()
    return {
        "run_id": str(run_id),
        "status": outcome["status"],
        "journeys": outcome.get("journeys"),
        "read_seconds": outcome.get("read_seconds"),
        "compute_seconds": outcome.get("compute_seconds"),
    }


async def run_attribution(ctx: dict[str, Any], run_id: str) -> dict[str, Any]:
    """arq task: one practice's attribution run."""
    return await execute_run(ctx["domain"], uuid.UUID(run_id))


async def nightly_attribution(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: queue a run for every practice (a pending one is reused, not doubled)."""
    domain: Domain = ctx["domain"]
    queued = 0
    async with domain.transaction() as session:
        practice_ids = (await session.scalars(select(Practice.id))).all()
        runs = [
            (await request_run(session, pid, requested_by="nightly", now=domain.clock.now()))[0]
            for pid in practice_ids
        ]
    for run in runs:
        await enqueue_run(ctx["redis"], domain.settings.redis.queue_name, run.id)
        queued += 1
    return {"queued": queued}


@dataclass(frozen=True)
class AttributionOverview:
    """What the attribution page shows: the chosen (or latest finished) run, the pending one, the list."""

    practice: Practice
    shown: AttributionRun | None
    pending: AttributionRun | None
    runs: list[AttributionRun]


async def attribution_overview(
    session: AsyncSession, practice_id: uuid.UUID, *, run_id: uuid.UUID | None = None, now: datetime
) -> AttributionOverview | None:
    """The page's data for one practice; None when the practice (or the asked-for run) is not there."""
    practice = await session.get(Practice, practice_id)
    if practice is None:
        return None
    runs = list(
        (
            await session.scalars(
                select(AttributionRun)
                .where(AttributionRun.practice_id == practice_id)
                .order_by(AttributionRun.requested_at.desc())
                .limit(RUNS_LISTED)
            )
        ).all()
    )
    if run_id is not None:
        shown = await session.get(AttributionRun, run_id)
        if shown is None or shown.practice_id != practice_id:
            return None
    else:
        shown = next((run for run in runs if run.status == "done"), None)
    stale_before = now - timedelta(minutes=STALE_RUN_MINUTES)
    pending = next(
        (r for r in runs if r.status in ("queued", "running") and r.requested_at > stale_before), None
    )
    return AttributionOverview(practice=practice, shown=shown, pending=pending, runs=runs)
