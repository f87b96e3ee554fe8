"""The pooled model recalibrated to a practice's own closed leads: the fit, its measured effect, serving."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from leadrouter.model_training import store
from leadrouter.scoring_service import RegistryScorer
from router.core.models import AuditRecord, Practice
from router.privacy import audit
from router.scores import promotion, registry
from router.scores.pooled_calibration import recalibrate_pooled_models, recalibrate_practice
from scoring.recalibration import recalibrate
from tests.escalation.support import freeze

ADMIN = audit.Actor(type="user", id="admin@bright.example")
NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)


@pytest.mark.unit
def test_recalibration_moves_scores_to_the_practice_rate_and_measures_it_out_of_sample():
    rng = np.random.default_rng(5)
    margins = rng.normal(-0.9, 1.0, 900)  # what the pooled model says: about 30% convert
    practice_truth = 1 / (1 + np.exp(-(0.8 * margins - 1.0)))  # this practice books far less
    labels = rng.random(margins.size) < practice_truth
    recal = recalibrate(margins, labels, pooled_calibration=(1.0, 0.0))
    assert recal.leads == 900 and recal.before.leads == recal.after.leads == 300
    assert recal.before.mean_prediction - recal.before.conversion_rate > 0.08  # over-predicts by 8+ points
    assert abs(recal.after.mean_prediction - recal.after.conversion_rate) < 0.04
    assert recal.after.brier < recal.before.brier and recal.after.log_loss < recal.before.log_loss
    assert recal.slope == pytest.approx(0.8, abs=0.2) and recal.intercept < -0.3
    with pytest.raises(ValueError, match="needs 300"):
        recalibrate(margins[:299], labels[:299], pooled_calibration=(1.0, 0.0))


@pytest.fixture
async def seeded(domain, champion_result):  # type: ignore[no-untyped-def]
    """Bright Smile with two months of closed leads, booking half as often as the pooled model expects."""
    from sqlalchemy import func, update

    from leadrouter.demo import seed_demo
    from leadrouter.history_seed import seed_history
    from router.core.models import Lead

    freeze(domain, NOW)
    await seed_demo(domain)
    await seed_history(domain, "bright-smile", months=2)
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(func.setseed(0.5).select())
        await session.execute(
            update(Lead)
            .where(Lead.close_reason == "appointment_booked", func.random() < 0.5)
            .values(close_reason="not_interested")
        )
    pooled = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, pooled, actor=ADMIN)
    async with domain.sessionmaker() as session:
        practice = await session.scalar(select(Practice).where(Practice.slug == "bright-smile"))
    return practice, pooled


@pytest.mark.integration
@pytest.mark.slow
async def test_a_practice_with_enough_closed_leads_gets_the_pooled_model_recalibrated(
    domain, seeded, small_history
):
    practice, pooled = seeded
    outcome = await recalibrate_practice(domain, practice.id)
    assert outcome.get("leads", 0) >= 300, outcome
    version = outcome["version"]
    async with domain.sessionmaker() as session:
        row = await registry.active_version(session, practice.id)
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "model.recalibrated"))
    assert row.version == version and row.card["recalibrated_from"] == pooled and row.card["pooled"] is True
    effect = row.card["recalibration"]
    assert effect["after"]["log_loss"] <= effect["before"]["log_loss"]
    assert "## Recalibrated to Bright Smile Dental" in row.card_markdown
    assert record.details["from"] == pooled
    scorer = RegistryScorer(domain.sessionmaker)
    await scorer.refresh()
    score = scorer.score(practice.id, small_history.inputs[0])
    assert score.version == version and score.pooled  # still provisional: not trained on its own history
    again = await recalibrate_pooled_models({"domain": domain})
    assert again["bright-smile"]["skipped"] == "recalibrated recently"
    assert again["lakeside-ortho"]["skipped"].startswith("0 closed leads")
