"""The pooled model recalibrated to a practice's own outcomes, until the practice has a model of its own.

A practice without its own model is served by the pooled one, whose scores carry other practices'
booking rates. Once it has `ScoringSettings.recalibrate_min_leads` closed leads, a version of the
pooled model with the practice's own calibration (`scoring.recalibration`) is stored for it and
made active: the same trees and ONNX bytes, the card saying `recalibrated_from` and what the
recalibration changed on the practice's newest closed leads. It is still provisional: the board
and the lead page say so until a model trained on the practice's own history replaces it (which is
judged against it by the promotion rule).

It is redone when the pooled champion changes or the practice's closed leads have grown by
`REFIT_GROWTH`, and only installed when it lowers the log loss on the leads held back from its fit.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import numpy as np
from sqlalchemy import select

from router.core.clock import utcnow
from router.core.domain import Domain
from router.core.models import ModelVersion, Practice
from router.privacy import audit
from router.scores import promotion, registry
from router.scores.history import closed_lead_count, product_history
from scoring.features import feature_matrix
from scoring.recalibration import EVALUATION_SHARE, Recalibration, raw_margins, recalibrate

log = logging.getLogger("leadrouter.scoring")

REFIT_GROWTH = 1.2
"""Recalibrate again once closed leads grew by a fifth: often enough to follow the practice, rarely
enough that versions do not pile up daily."""

REFERENCE_SCORES_MAX = 5000
"""Scores of the practice's own leads kept as the drift reference (as a trained version keeps)."""

SYSTEM = audit.Actor.system("recalibration")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _card_markdown(pooled: ModelVersion, recal: Recalibration, practice_name: str) -> str:
    before, after = recal.before, recal.after
    return "\n".join(
        [
            pooled.card_markdown.rstrip(),
            "",
            f"## Recalibrated to {practice_name}",
            "",
            f"The pooled model above, with its calibration refitted to {recal.leads} closed leads of "
            f"{practice_name} (slope {recal.slope:.3f}, intercept {recal.intercept:.3f} on the margin). "
            "It ranks leads as before; its scores now follow the practice's own booking rate. It stays "
            "provisional until a model trained on the practice's own history replaces it.",
            "",
            f"Measured on the newest {before.leads} of those leads "
            f"({100 * before.conversion_rate:.1f}% became patients), recalibrated without them:",
            "",
            "| | pooled as it was | recalibrated |",
            "|---|---|---|",
            f"| mean score | {100 * before.mean_prediction:.1f} | {100 * after.mean_prediction:.1f} |",
            f"| Brier score | {before.brier:.4f} | {after.brier:.4f} |",
            f"| calibration slope | {before.calibration_slope:.2f} | {after.calibration_slope:.2f} |",
            "",
        ]
    )


async def recalibrate_practice(
    domain: Domain, practice_id: uuid.UUID, *, actor: audit.Actor = SYSTEM, force: bool = False
) -> dict[str, Any]:
    """Fit, store and activate the practice's recalibration of the pooled champion when it is due."""
    minimum = domain.settings.scoring.recalibrate_min_leads
    async with domain.sessionmaker() as session:
        practice = await session.get(Practice, practice_id)
        own = await registry.active_version(session, practice_id)
        if own is not None and not own.card.get("recalibrated_from"):
            return {"skipped": "the practice has its own model"}
        pooled = await registry.active_version(session, None)
        if pooled is None:
            return {"skipped": "no pooled model is active"}
        count = await closed_lead_count(session, practice_id)
        if count < minimum:
            return {"skipped": f"{count} closed leads; recalibration needs {minimum}"}
        if own is not None and not force:
            same_pooled = own.card.get("recalibrated_from") == pooled.version
            if same_pooled and count < REFIT_GROWTH * own.card.get("recalibration", {}).get("leads", 0):
                return {"skipped": "recalibrated recently", "version": own.version}
        history = await product_history(session, domain, practice_id)
    labels = np.asarray(history.labels, dtype=bool)
    features = feature_matrix(history.inputs)
    calibration = pooled.card.get("calibration") or {}
    pooled_calibration = (float(calibration.get("slope", 1.0)), float(calibration.get("intercept", 0.0)))
    margins = await asyncio.to_thread(raw_margins, pooled.onnx_model, features)
    try:
        recal = recalibrate(margins, labels, pooled_calibration=pooled_calibration, min_leads=minimum)
    except ValueError as error:  # fewer usable leads than closed ones (e.g. without a first touchpoint)
        return {"skipped": str(error)}
    if recal.after.log_loss > recal.before.log_loss and not force:
        return {"skipped": "recalibrating did not help on the newest leads", "recalibration": recal.as_dict()}
    scores = 100.0 * _sigmoid(recal.slope * margins + recal.intercept)
    held = max(round(labels.size * EVALUATION_SHARE), 1)
    version = f"{pooled.version}-cal-{practice_id.hex[:8]}-{labels.size}"
    async with domain.transaction() as session:
        if await session.scalar(select(ModelVersion.id).where(ModelVersion.version == version)):
            return {"skipped": "already recalibrated on these leads", "version": version}
        current = await registry.active_version(session, practice_id, for_update=True)
        row = ModelVersion(
            id=uuid.uuid4(),
            version=version,
            practice_id=practice_id,
            status="active",
            holdout_auc=pooled.holdout_auc,
            metrics=pooled.metrics,
            card_markdown=_card_markdown(pooled, recal, practice.name if practice else "this practice"),
            card={
                **pooled.card,
                "pooled": True,
                "recalibrated_from": pooled.version,
                "recalibration": registry.json_safe(recal.as_dict()),
                "calibration": {"slope": recal.slope, "intercept": recal.intercept},
                "promotion_check": None,
            },
            feature_names=pooled.feature_names,
            onnx_model=pooled.onnx_model,
            booster=pooled.booster,
            reference_scores=[round(float(s), 3) for s in scores[-REFERENCE_SCORES_MAX:]],
            holdout=registry.pack_holdout(features[-held:], labels[-held:]),
            created_at=utcnow(),
            promoted_at=utcnow(),
            promoted_by=actor.id,
        )
        if current is not None:
            current.status = "retired"
            await session.flush([current])
        session.add(row)
        await session.flush([row])
        audit.record(
            session,
            actor=actor,
            action="model.recalibrated",
            practice_id=practice_id,
            details={"version": version, "from": pooled.version, "leads": recal.leads},
        )
        await promotion.record_swap(session, row, replaced=current)
    log.info("recalibrated %s for practice %s on %d closed leads", pooled.version, practice_id, recal.leads)
    return {"version": version, "leads": recal.leads, "recalibration": recal.as_dict()}


async def recalibrate_pooled_models(ctx: dict[str, Any]) -> dict[str, Any]:
    """Daily: every practice served by the pooled model and with enough closed leads, when due."""
    domain: Domain = ctx["domain"]
    async with domain.sessionmaker() as session:
        practices = (await session.execute(select(Practice.id, Practice.slug).order_by(Practice.slug))).all()
    outcomes = {}
    for practice_id, slug in practices:
        try:
            outcomes[slug] = await recalibrate_practice(domain, practice_id)
        except Exception as error:  # one practice's failure must not stop the others
            log.exception("recalibrating the pooled model for %s failed", slug)
            outcomes[slug] = {"failed": str(error)}
    return outcomes


"""03:30 daily, after the night's closes and the 03:00 monthly retraining."""
