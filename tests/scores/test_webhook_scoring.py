import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from leadrouter.model_training import store
from router.core.clock import FrozenClock
from router.core.models import DomainEvent, Lead
from router.privacy import audit
from router.scores import promotion
from router.scores.explanations import fill_missing_reasons, wait_for_explanations
from tests.factories import csrf_of, inquiry, make_practice, signed

pytestmark = pytest.mark.integration

PLAIN_REASON = re.compile(r"^[A-Za-z0-9 ,.'\-]+ \([+-]\d+\)$")
"""Words a receptionist reads, then score points: no codes, underscores or NaN."""


async def _post(client, practice, **fields):
    raw, headers = signed(inquiry(**fields), practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _lead(domain, lead_id):
    async with domain.sessionmaker() as session:
        return await session.get(Lead, lead_id)


async def test_without_a_model_a_lead_is_unscored(client, domain, served):
    practice = await make_practice(domain, staff={"desk@bright.example": {}})
    await served.refresh()
    body = await _post(client, practice)
    await wait_for_explanations()
    lead = await _lead(domain, body["lead_id"])
    assert body["score"] is None and lead.score is None and lead.score_reasons == []


async def test_webhook_lead_carries_score_version_and_three_reasons(client, domain, served, champion_result):
    practice = await make_practice(domain, staff={"desk@bright.example": {}})
    version = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, version, actor=audit.Actor.system("test"))
    await served.refresh()

    body = await _post(client, practice)
    assert 0 <= body["score"] <= 100
    await wait_for_explanations()
    lead = await _lead(domain, body["lead_id"])
    assert (lead.score, lead.score_version, lead.score_pooled) == (body["score"], version, True)
    assert len(lead.score_reasons) == 3
    assert all(PLAIN_REASON.match(reason) for reason in lead.score_reasons), lead.score_reasons
    async with domain.sessionmaker() as session:
        kinds = (await session.scalars(select(DomainEvent.kind).where(DomainEvent.lead_id == lead.id))).all()
    assert kinds == ["lead.created"]  # the reasons reach the board with the lead itself, in one push

    # Crash safety: reasons lost after commit are rebuilt from the stored lead, identically.
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(update(Lead).where(Lead.id == lead.id).values(score_reasons=[]))
    domain.clock = FrozenClock(domain.clock.now() + timedelta(minutes=2))
    assert (await fill_missing_reasons({"domain": domain}))["explained"] == 1
    assert (await _lead(domain, lead.id)).score_reasons == lead.score_reasons


async def test_models_page_shows_managers_the_active_version_and_its_drift(client, domain, champion_result):
    from tests.fixtures.signin import login

    await make_practice(
        domain,
        staff={"manager@bright.example": {"role": "manager"}, "desk@bright.example": {}},
    )
    version = await store(domain, champion_result, practice_id=None, source="test")
    await promotion.promote_and_announce(domain, version, actor=audit.Actor.system("test"))
    await login(client, "manager@bright.example")
    page = await client.get("/models")
    assert page.status_code == 200
    assert version in page.text and "pooled" in page.text
    assert "not enough recent scored leads to tell" in page.text  # no leads scored yet
    assert f"Read the model card of {version}" in page.text  # the card, on its own page
    await client.post("/logout", headers={"x-csrftoken": await csrf_of(client)})
    await login(client, "desk@bright.example")
    assert (await client.get("/models")).status_code == 403
