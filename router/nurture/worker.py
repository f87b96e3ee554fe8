"""The nurture worker's periodic work: enrol, run due steps, settle half-sent messages."""

from __future__ import annotations

from typing import Any

from router.core.domain import Domain
from router.nurture.engine import enrol_new_leads, run_due_steps
from router.nurture.exits import sweep_exits
from router.nurture.outbox import recover_stalled, send_due_messages

MAX_BATCHES_PER_TICK = 20
"""A tick stops after this many batches (10,000 steps) so a backlog never blocks the next cron run."""


async def nurture_tick(domain: Domain) -> dict[str, int]:
    """Enrol the new leads, exit the booked and closed, then run every step that fell due."""
    totals = {"enrolled": await enrol_new_leads(domain), "exited": await sweep_exits(domain), "steps": 0}
    for _ in range(MAX_BATCHES_PER_TICK):
        report = await run_due_steps(domain)
        totals["steps"] += report.steps
        totals["exited"] += report.exited
        if report.steps + report.exited == 0:
            break
    return totals


async def nurture_tick_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: the scheduler tick."""
    return await nurture_tick(ctx["domain"])


async def nurture_recover_task(ctx: dict[str, Any]) -> dict[str, int]:
    """arq cron: settle messages a dead worker left half-sent; send those whose job was lost."""
    domain: Domain = ctx["domain"]
    return {
        **(await recover_stalled(domain)),
        **{f"due_{k}": v for k, v in (await send_due_messages(domain)).items()},
    }
