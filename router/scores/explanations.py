"""Plain-words reasons for a lead's score, computed right after the lead commits, never before.

The webhook answers as soon as the lead is stored with its score; the top three reasons (TreeSHAP
in score points) follow a few milliseconds later as a `lead.scored` event that updates the board.
A worker sweep fills in reasons that a crashed process never wrote.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from router.core.clock import utcnow
from router.core.domain import Domain
from router.core.events import record_event
from router.core.models import Lead
from router.scores import registry
from router.scores.history import stored_scoring_inputs
from scoring.features import ScoringInput

log = logging.getLogger("leadrouter.scoring")

SWEEP_AFTER_SECONDS = 60
"""A lead still without reasons this long after arrival lost its after-commit task (crash, restart)."""

SWEEP_LOOKBACK = timedelta(days=2)
"""Older unexplained leads are left alone: their version may be long retired and nobody reads them."""

SWEEP_BATCH = 200
"""Leads explained per sweep run: bounds the run's time when a process was down for a while."""

_RUNNING: set[asyncio.Task[Any]] = set()
"""Background explanation tasks, referenced so the event loop does not garbage-collect them mid-run."""


async def _reasons(domain: Domain, practice_id: uuid.UUID, scoring_input: ScoringInput, version: str):  # type: ignore[no-untyped-def]
    """Reasons by the version that scored the lead: the served one, else loaded from the registry."""
    reasons = await asyncio.to_thread(domain.scorer.explain, practice_id, scoring_input, version)
    if reasons is not None:
        return reasons
    async with domain.sessionmaker() as session:
        row = await registry.get_version(session, version)
    runtime = await asyncio.to_thread(registry.runtime_for, row)
    return runtime.explain(scoring_input).top_reasons


async def explain_after_commit(
    domain: Domain,
    *,
    lead_id: uuid.UUID,
    practice_id: uuid.UUID,
    scoring_input: ScoringInput,
    version: str,
) -> list[str] | None:
    """Store the lead's top reasons and announce `lead.scored`; does nothing if already explained."""
    reasons = await _reasons(domain, practice_id, scoring_input, version)
    if not reasons:
        return None
    async with domain.transaction() as session:
        lead = await session.get(Lead, lead_id, with_for_update=True)
        if lead is None or lead.score_version != version or lead.score_reasons:
            return None
        lead.score_reasons = list(reasons)
        await record_event(
            session,
            kind="lead.scored",
            practice_id=practice_id,
            location_id=lead.location_id,
            lead_id=lead_id,
            payload={"version": version, "score": lead.score},
        )
    return list(reasons)


def _log_failure(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("explaining a lead failed; the sweep retries it", exc_info=task.exception())


def explain_in_background(
    domain: Domain,
    *,
    lead_id: uuid.UUID,
    practice_id: uuid.UUID,
    scoring_input: ScoringInput,
    version: str,
) -> asyncio.Task[Any]:
    """Start `explain_after_commit` without waiting for it (the webhook answers meanwhile)."""
    task = asyncio.create_task(
        explain_after_commit(
            domain, lead_id=lead_id, practice_id=practice_id, scoring_input=scoring_input, version=version
        ),
        name=f"explain-lead-{lead_id}",
    )
    _RUNNING.add(task)
    task.add_done_callback(_log_failure)
    return task


async def fill_missing_reasons(ctx: dict[str, Any]) -> dict[str, int]:
    """Worker sweep: explain scored leads whose after-commit explanation never landed."""
    domain: Domain = ctx["domain"]
    now = utcnow()
    async with domain.sessionmaker() as session:
        leads = (
            await session.scalars(
                select(Lead)
                .where(
                    Lead.score_version.is_not(None),
                    func.jsonb_array_length(Lead.score_reasons) == 0,
                    Lead.received_at < now - timedelta(seconds=SWEEP_AFTER_SECONDS),
                    Lead.received_at >= now - SWEEP_LOOKBACK,
                )
                .order_by(Lead.received_at)
                .limit(SWEEP_BATCH)
            )
        ).all()
        inputs = await stored_scoring_inputs(session, domain, leads)
    explained = failed = 0
    for lead in leads:
        if lead.id not in inputs or lead.score_version is None:
            continue
        try:
            done = await explain_after_commit(
                domain,
                lead_id=lead.id,
                practice_id=lead.practice_id,
                scoring_input=inputs[lead.id],
                version=lead.score_version,
            )
        except Exception:  # one broken lead (e.g. its version was deleted) must not stop the sweep
            log.exception("could not explain lead %s", lead.id)
            failed += 1
            continue
        explained += done is not None
    return {"explained": explained, "failed": failed, "seen": len(leads)}


"""Once a minute (at :30, off the other sweepers' beat): reasons lag by at most two minutes after a crash."""


async def wait_for_explanations() -> None:
    """Wait until the explanations started so far have finished (tests, graceful shutdown)."""
    while _RUNNING:
        await asyncio.gather(*list(_RUNNING), return_exceptions=True)
