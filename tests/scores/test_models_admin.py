"""The models page's decisions: candidates beside the serving model on the same holdout, promotion and
rollback with a reason (audited), and the model card as a page rather than Markdown."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from leadrouter.model_training import store
from router.core.models import AuditRecord, ModelVersion
from router.privacy import audit
from router.scores import promotion
from tests.admin.conftest import sign_in
from tests.factories import make_practice

pytestmark = pytest.mark.integration


async def test_a_weak_candidate_shown_beside_the_champion_is_refused_by_the_rule_unless_a_reason_overrides(
    client, domain, champion_result, weak_result
):
    practice = await make_practice(
        domain,
        staff={"boss@bright.example": {"role": "manager", "name": "Morgan"}, "desk@bright.example": {}},
    )
    champion = await store(domain, champion_result, practice_id=practice.practice.id, source="test")
    await promotion.promote_and_announce(domain, champion, actor=audit.Actor.system("test"))
    weak = await store(domain, weak_result, practice_id=practice.practice.id, source="test")

    csrf = await sign_in(client, domain, practice.staff["boss@bright.example"])
    page = await client.get("/models")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Candidates" in text and f"beside the model serving now ({champion})" in text
    assert (
        "this candidate" in text and "serving now" in text and "the rule says keep the current model" in text
    )
    assert 'class="model-card"' not in page.text  # no raw Markdown on the page

    short = await client.post("/models/promote", data={"version": weak, "reason": "ok"}, headers=csrf)
    assert short.status_code == 422 and "Say why, in at least 10 characters" in short.text
    refused = await client.post(
        "/models/promote", data={"version": weak, "reason": "trying the stump model"}, headers=csrf
    )
    assert refused.status_code == 422 and "The rule says no" in html.unescape(refused.text)
    forced = await client.post(
        "/models/promote",
        data={"version": weak, "reason": "trying the stump model", "override": "1"},
        headers=csrf,
    )
    assert forced.status_code == 200 and f"{weak} now scores your new leads" in forced.text

    rolled = await client.post(
        "/models/rollback", data={"rollback_reason": "the stump scores everyone alike"}, headers=csrf
    )
    assert (
        rolled.status_code == 200 and f"Rolled back: {champion} scores your new leads again." in rolled.text
    )
    async with domain.sessionmaker() as session:
        active = await session.scalar(select(ModelVersion.version).where(ModelVersion.status == "active"))
        records = (
            await session.execute(
                select(AuditRecord.action, AuditRecord.details).where(AuditRecord.action.like("model.%"))
            )
        ).all()
    assert active == champion
    reasons = {action: details.get("reason") for action, details in records}
    assert reasons["model.promoted"] == "trying the stump model"
    assert reasons["model.rolled_back"] == "the stump scores everyone alike"

    desk = await sign_in(client, domain, practice.staff["desk@bright.example"])
    assert (
        await client.post("/models/promote", data={"version": weak, "reason": "x" * 20}, headers=desk)
    ).status_code == 403


async def test_the_model_card_is_a_page_with_tables_and_a_calibration_plot(client, domain, champion_result):
    practice = await make_practice(domain, staff={"boss@bright.example": {"role": "manager"}})
    version = await store(domain, champion_result, practice_id=practice.practice.id, source="test")
    await sign_in(client, domain, practice.staff["boss@bright.example"])
    card = await client.get(f"/models/versions/{version}")
    assert card.status_code == 200
    text = card.text
    assert "How well it ranks leads (AUC)" in text and "A simple baseline" in text
    assert '<svg class="calibration-plot"' in text and "<circle" in text
    assert "|---" not in text and "# Lead score model" not in text and "`" not in text
    other = await make_practice(domain, slug="other", staff={"max@other.example": {"role": "manager"}})
    await sign_in(client, domain, other.staff["max@other.example"])
    assert (await client.get(f"/models/versions/{version}")).status_code == 404
