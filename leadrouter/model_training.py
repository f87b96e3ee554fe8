"""Training a lead-score version from a history source, storing it, and the monthly retraining job.

It lives in the composition root because the pooled model learns from the simulator's history, and
`router/` must not import the simulator. Sources: the simulator (with its true probabilities, the
ceiling), a practice's CSV export, or the outcomes the product recorded (booked = became a patient).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arq.cron import cron
from sqlalchemy import select

from router.core.clock import utcnow
from router.core.domain import Domain
from router.core.models import Practice
from router.core.settings import ScoringSettings
from router.privacy import audit
from router.scores import promotion, registry
from router.scores.history import closed_lead_count, product_history
from scoring.training import TrainingResult, train_models
from simulator.inquiries import PracticeSimulator
from simulator.practices import demo_practices
from simulator.training_data import training_set

log = logging.getLogger("leadrouter.scoring")

SIMULATED_LEADS_PER_DAY = 6.0
"""Inquiries per office per day in simulated history: ~15,000 leads over 18 months, trained in ~2 s."""

RETRAIN_ACTOR = audit.Actor.system("monthly-retraining")


@dataclass(slots=True)
class History:
    """Training rows from one source, and what to call that source on the card."""

    inputs: list
    labels: Sequence[bool]
    received_at: list[datetime]
    source: str
    true_probabilities: Sequence[float] | None = None


def month_start(moment: datetime) -> datetime:
    """Midnight UTC on the first of the moment's month: a whole-month window is the same all month."""
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def simulated_history(
    *,
    months: int,
    seed: int,
    end: datetime,
    practice_slug: str | None = None,
    leads_per_day: float = SIMULATED_LEADS_PER_DAY,
) -> History:
    """`months` of simulated inquiries up to `end` (all demo practices, or the one with this slug)."""
    practices = demo_practices()
    if practice_slug is not None:
        practices = [p for p in practices if p.slug == practice_slug]
        if not practices:
            known = ", ".join(p.slug for p in demo_practices())
            raise ValueError(f"the simulator knows no practice {practice_slug!r} (it knows {known})")
    year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
    start = end.replace(year=year, month=month + 1, day=1)
    inquiries = PracticeSimulator(seed, practices).history(start, end, leads_per_day=leads_per_day)
    rows = training_set(inquiries, practices)
    return History(
        rows.inputs,
        rows.labels,
        rows.received_at,
        source=(
            f"the product's practice simulator (seed {seed}, {months} months to {end:%Y-%m-%d}), "
            "the fallback while no practice has real history to learn from"
        ),
        true_probabilities=rows.true_probabilities,
    )


def train(
    history: History,
    *,
    seed: int,
    progress: Callable[[str], None] | None = None,
    xgboost_params: Mapping[str, object] | None = None,
) -> TrainingResult:
    """Train XGBoost and the baselines on a history (CPU-bound: seconds)."""
    return train_models(
        history.inputs,
        history.labels,
        history.received_at,
        true_probabilities=history.true_probabilities,
        seed=seed,
        progress=progress,
        xgboost_params=xgboost_params,
        source=history.source,
    )


async def store(domain: Domain, result: TrainingResult, *, practice_id: uuid.UUID | None, source: str) -> str:
    """Save a trained version as a candidate; returns its version."""
    async with domain.transaction() as session:
        row = await registry.store_version(
            session,
            result,
            practice_id=practice_id,
            source=source,
            training_rows=sum(w["rows"] for w in result.card_json["windows"].values()),
        )
        return row.version


async def ensure_pooled_model(domain: Domain, *, seed: int = 0, months: int = 18) -> str | None:
    """Train and promote a pooled model from the simulator when none is active (first start); else None."""
    async with domain.sessionmaker() as session:
        if await registry.active_version(session, None) is not None:
            return None
    history = await asyncio.to_thread(simulated_history, months=months, seed=seed, end=month_start(utcnow()))
    result = await asyncio.to_thread(train, history, seed=seed)
    version = await store(domain, result, practice_id=None, source=history.source)
    await promotion.promote_and_announce(domain, version, actor=audit.Actor.system("first-start"))
    return version


async def _challenge(
    domain: Domain, history: History, *, practice_id: uuid.UUID | None, seed: int, xgboost_params: Any
) -> dict[str, Any]:
    """Train a challenger and promote it by the rule; the outcome as a small dict."""
    result = await asyncio.to_thread(train, history, seed=seed, xgboost_params=xgboost_params)
    version = await store(domain, result, practice_id=practice_id, source=history.source)
    try:
        promoted = await promotion.promote_and_announce(domain, version, actor=RETRAIN_ACTOR)
    except promotion.PromotionRefused as refused:
        log.info("kept the champion: %s", refused)
        return {"version": version, "promoted": False, "why": str(refused)}
    return {"version": version, "promoted": True, "replaced": promoted.previous_version}


async def retrain_models(
    ctx: dict[str, Any],
    *,
    leads_per_day: float = SIMULATED_LEADS_PER_DAY,
    xgboost_params: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Monthly: a challenger per practice with enough history of its own, and one pooled challenger."""
    domain: Domain = ctx["domain"]
    settings = domain.settings.scoring
    end = month_start(utcnow())
    seed = end.year * 100 + end.month  # a new month, new simulated draws; rerunning the month repeats them
    outcomes: dict[str, Any] = {}
    async with domain.sessionmaker() as session:
        practices = (await session.scalars(select(Practice).order_by(Practice.slug))).all()
        counts = {p.id: await closed_lead_count(session, p.id) for p in practices}
    for practice in practices:
        if counts[practice.id] < settings.min_practice_leads:
            outcomes[practice.slug] = {"skipped": f"{counts[practice.id]} closed leads; pooled model serves"}
            continue
        async with domain.sessionmaker() as session:
            rows = await product_history(session, domain, practice.id)
        history = History(rows.inputs, rows.labels, rows.received_at, source="product outcomes")
        try:
            outcomes[practice.slug] = await _challenge(
                domain, history, practice_id=practice.id, seed=seed, xgboost_params=xgboost_params
            )
        except ValueError as error:  # e.g. history too short for the time split
            outcomes[practice.slug] = {"skipped": str(error)}
    pooled = await asyncio.to_thread(
        simulated_history,
        months=settings.history_months,
        seed=seed,
        end=end,
        leads_per_day=leads_per_day,
    )
    outcomes["pooled"] = await _challenge(
        domain, pooled, practice_id=None, seed=seed, xgboost_params=xgboost_params
    )
    log.info("retraining done: %s", outcomes)
    return outcomes


def _crontab_field(text: str, name: str) -> dict[str, Any]:
    """One crontab field as an arq `cron` argument: "*" is any, "5" or "1,15" a set."""
    if text == "*":
        return {}
    values = {int(part) for part in text.split(",")}
    return {name: values if len(values) > 1 else next(iter(values))}


def retraining_cron(settings: ScoringSettings) -> Any:
    """The arq cron job of `retrain_models`, on the configured crontab schedule."""
    parts = settings.retrain_cron.split()
    if len(parts) != 5:
        raise ValueError(f"LEADROUTER_RETRAIN_CRON {settings.retrain_cron!r} needs 5 crontab fields")
    schedule: dict[str, Any] = {}
    for text, name in zip(parts, ("minute", "hour", "day", "month", "weekday"), strict=True):
        schedule |= _crontab_field(text, name)
    return cron(retrain_models, unique=True, timeout=1800, second=0, **schedule)
