import asyncio
import threading
import uuid

import pytest

from leadrouter.model_training import store
from leadrouter.scoring_service import RegistryScorer
from router.privacy import audit
from router.scores import promotion

pytestmark = pytest.mark.integration

ADMIN = audit.Actor(type="user", id="admin@bright.example")


async def test_no_promoted_model_means_unscored(domain, small_history):
    scorer = RegistryScorer(domain.sessionmaker)
    await scorer.refresh()
    assert scorer.score(uuid.uuid4(), small_history.inputs[0]) is None


async def test_hot_swap_never_mixes_versions(domain, champion_result, twin_result, small_history):
    scorer = RegistryScorer(domain.sessionmaker)
    old = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, old, actor=ADMIN)
    assert await scorer.refresh() == [old]

    practice_id = uuid.uuid4()
    seen: list[str] = []
    stop = threading.Event()

    def score_continuously() -> None:
        lead = 0
        while not stop.is_set():
            score = scorer.score(practice_id, small_history.inputs[lead % 500])
            seen.append(score.version)
            assert score.pooled
            lead += 1

    worker = threading.Thread(target=score_continuously)
    worker.start()
    try:
        new = await store(domain, twin_result, practice_id=None, source="test")
        await promotion.promote_and_announce(domain, new, actor=ADMIN)
        assert await scorer.refresh() == [new]
        await asyncio.sleep(0.05)
    finally:
        stop.set()
        worker.join()
    assert set(seen) == {old, new}
    assert seen.index(new) > 0 and old not in seen[seen.index(new) :]  # one clean switch
    assert scorer.score(practice_id, small_history.inputs[0]).version == new
    assert scorer.explain(practice_id, small_history.inputs[0], old) is not None  # just-replaced one kept


async def test_promotion_reaches_a_running_process_through_the_doorbell(
    runtime, domain, champion_result, twin_result, small_history
):
    scorer = RegistryScorer(
        domain.sessionmaker,
        runtime.redis,
        events_channel=runtime.settings.redis.events_channel,
        check_seconds=60,
    )
    old = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, old, actor=ADMIN)
    await scorer.start()
    try:
        assert scorer.score(uuid.uuid4(), small_history.inputs[0]).version == old
        await asyncio.sleep(0.2)  # the watcher subscribes
        new = await store(domain, twin_result, practice_id=None, source="test")
        await promotion.promote_and_announce(domain, new, actor=ADMIN)
        for _ in range(50):
            if scorer.score(uuid.uuid4(), small_history.inputs[0]).version == new:
                break
            await asyncio.sleep(0.1)
        assert scorer.score(uuid.uuid4(), small_history.inputs[0]).version == new
    finally:
        await scorer.stop()


async def test_a_practice_model_replaces_the_pooled_one_for_that_practice_only(
    domain, champion_result, twin_result, small_history
):
    from tests.factories import make_practice

    practice = await make_practice(domain)
    pooled = await store(domain, champion_result, practice_id=None, source="test")
    own = await store(domain, twin_result, practice_id=practice.practice.id, source="test")
    for version in (pooled, own):
        await promotion.promote_and_announce(domain, version, actor=ADMIN)
    scorer = RegistryScorer(domain.sessionmaker)
    await scorer.refresh()
    mine = scorer.score(practice.practice.id, small_history.inputs[0])
    other = scorer.score(uuid.uuid4(), small_history.inputs[0])
    assert (mine.version, mine.pooled) == (own, False)
    assert (other.version, other.pooled) == (pooled, True)
