import pytest
from sqlalchemy import select

from leadrouter.model_training import store
from router.core.models import AuditRecord, DomainEvent, ModelVersion
from router.privacy import audit
from router.scores import promotion, quality, registry

pytestmark = pytest.mark.integration

MANAGER = audit.Actor(type="user", id="manager@bright.example")


async def _status(domain, version):
    async with domain.sessionmaker() as session:
        return await session.scalar(select(ModelVersion.status).where(ModelVersion.version == version))


async def test_first_version_is_promoted_and_announced(domain, champion_result):
    version = await store(domain, champion_result, practice_id=None, source="test")
    promoted = await promotion.promote_and_announce(domain, version, actor=MANAGER)
    assert promoted.previous_version is None and not promoted.forced
    assert await _status(domain, version) == "active"
    async with domain.sessionmaker() as session:
        event = await session.scalar(select(DomainEvent).where(DomainEvent.kind == "model.promoted"))
        stored = await registry.get_version(session, version)
    assert event.payload == {"version": version, "previous_version": None, "pooled": True}
    assert stored.card["pooled"] is True and stored.card["calibration"]["slope"] > 0
    assert stored.card["metrics"]["true_probability"]["roc_auc"] > 0.5
    features, labels = registry.unpack_holdout(stored.holdout)
    assert features.shape == (labels.size, len(stored.feature_names))


async def test_worse_challenger_is_refused_on_the_same_holdout(domain, champion_result, weak_result):
    champion = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, champion, actor=MANAGER)
    weak = await store(domain, weak_result, practice_id=None, source="test")
    with pytest.raises(promotion.PromotionRefused, match=r"95% interval .* may be worse than -0.01"):
        await promotion.promote_and_announce(domain, weak, actor=MANAGER)
    assert await _status(domain, champion) == "active"
    assert await _status(domain, weak) == "candidate"


async def test_equal_or_better_challenger_is_promoted(domain, champion_result, weak_result, twin_result):
    weak = await store(domain, weak_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, weak, actor=MANAGER)
    better = await store(domain, champion_result, practice_id=None, source="test")
    promoted = await promotion.promote_and_announce(domain, better, actor=MANAGER)
    assert promoted.challenger_auc > promoted.champion_auc and promoted.check.comparison.low > -0.01
    async with domain.sessionmaker() as session:
        card = (await registry.get_version(session, better)).card
    assert card["promotion_check"]["comparison"]["low"] > -0.01 and card["compared_with"] == weak
    twin = await store(domain, twin_result, practice_id=None, source="test")
    tie = await promotion.promote_and_announce(domain, twin, actor=MANAGER)
    assert tie.challenger_auc == pytest.approx(tie.champion_auc)
    assert [await _status(domain, v) for v in (weak, better, twin)] == ["retired", "retired", "active"]


async def test_forced_promotion_needs_a_reason_and_is_audited(domain, champion_result, weak_result):
    champion = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, champion, actor=MANAGER)
    weak = await store(domain, weak_result, practice_id=None, source="test")
    with pytest.raises(ValueError, match="reason"):
        await promotion.promote_and_announce(domain, weak, actor=MANAGER, force=True)
    promoted = await promotion.promote_and_announce(
        domain, weak, actor=MANAGER, force=True, reason="champion over-weights a paused campaign"
    )
    assert promoted.forced and promoted.challenger_auc < promoted.champion_auc
    async with domain.sessionmaker() as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "model.promote_forced"))
    assert record.actor_id == "manager@bright.example"
    assert record.details["reason"] == "champion over-weights a paused campaign"
    assert record.details["replaced"] == champion and record.details["version"] == weak


async def test_evaluate_on_the_latest_holdout(domain, champion_result, weak_result):
    strong = await store(domain, champion_result, practice_id=None, source="test")
    await store(domain, weak_result, practice_id=None, source="test")
    async with domain.sessionmaker() as session:
        evaluation = await quality.evaluate_on_latest_holdout(session, strong)
    assert evaluation.auc == pytest.approx(champion_result.holdout_auc, abs=1e-6)
    assert evaluation.leads == champion_result.holdout_labels.size


@pytest.mark.unit
def test_drift_verdicts_in_plain_words():
    assert quality.drift_verdict(None).startswith("not enough")
    assert quality.drift_verdict(0.05).startswith("stable")
    assert quality.drift_verdict(0.2).startswith("watch")
    assert quality.drift_verdict(0.4).startswith("retrain")


async def test_score_drift_compares_recent_scores_with_the_training_scores(domain, champion_result):
    import uuid

    from router.core.models import Lead
    from tests.factories import make_practice

    practice = (await make_practice(domain)).practice
    version = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, version, actor=MANAGER)

    async def add_leads(scores):
        async with domain.sessionmaker() as session, session.begin():
            for score in scores:
                now = domain.clock.now()
                session.add(
                    Lead(
                        id=uuid.uuid4(),
                        practice_id=practice.id,
                        source_kind="form",
                        source_channel="direct",
                        received_at=now,
                        last_activity_at=now,
                        score=score,
                        score_version=version,
                    )
                )

    async def drift():
        async with domain.sessionmaker() as session:
            return await quality.score_drift(session, practice.id)

    assert await drift() is None  # no recent scores yet
    reference = champion_result.score_reference_distribution
    await add_leads(round(s) for s in reference[: quality.DRIFT_MIN_LEADS * 4])
    assert await drift() < quality.DRIFT_WATCH
    await add_leads([97] * quality.DRIFT_MIN_LEADS * 4)
    assert await drift() > quality.DRIFT_RETRAIN


async def test_rollback_restores_the_previous_version_with_a_reason(domain, champion_result, weak_result):
    weak = await store(domain, weak_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, weak, actor=MANAGER)
    better = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, better, actor=MANAGER)
    with pytest.raises(ValueError, match="reason"):
        await promotion.roll_back_and_announce(domain, None, actor=MANAGER, reason=" ")
    rolled = await promotion.roll_back_and_announce(
        domain, None, actor=MANAGER, reason="new model scores every emergency low"
    )
    assert (rolled.version, rolled.previous_version) == (weak, better)  # no rule: a worse one may come back
    assert [await _status(domain, v) for v in (weak, better)] == ["active", "retired"]
    async with domain.sessionmaker() as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "model.rolled_back"))
        events = (
            await session.scalars(select(DomainEvent).where(DomainEvent.kind == "model.promoted"))
        ).all()
    assert record.details == {
        "version": weak,
        "replaced": better,
        "reason": "new model scores every emergency low",
    }
    assert events[-1].payload["version"] == weak


async def test_a_practice_first_model_is_judged_against_the_pooled_one(domain, champion_result, weak_result):
    from tests.factories import make_practice

    practice = await make_practice(domain)
    pooled = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, pooled, actor=MANAGER)
    own = await store(domain, weak_result, practice_id=practice.practice.id, source="test")
    with pytest.raises(promotion.PromotionRefused, match=f"against {pooled}"):
        await promotion.promote_and_announce(domain, own, actor=MANAGER)
    assert await _status(domain, pooled) == "active"
