"""Matching in the worker and the managers' review queue, against the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.core.errors import ActionRefused, NotPermitted
from router.core.models import AuditRecord, MatchReview
from router.matching.queue import decide_review, match_leads_task
from router.privacy.audit import Actor
from tests.factories import csrf_of, make_practice, sign_in, viewer_of
from tests.matching.helpers import STAFF, _people

pytestmark = pytest.mark.integration


@pytest.fixture
async def bright(domain):
    return await make_practice(domain, staff=STAFF)


async def _reviews(domain):
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(MatchReview))).all()


async def test_the_worker_links_the_sure_queues_the_unsure_and_never_twice(domain, bright, patient_book):
    sure, unsure, marisol, robert = await _people(domain, bright, patient_book)
    first = await match_leads_task({"domain": domain})
    assert first["linked"] == 1 and first["queued"] == 1
    assert patient_book.links == {sure: (marisol, "matcher")}
    (queued,) = await _reviews(domain)
    assert (queued.lead_id, queued.patient_id, queued.status) == (unsure, robert, "pending")
    assert 0.5 <= queued.probability < 0.99
    again = await match_leads_task({"domain": domain})
    assert again["linked"] == 0 and again["queued"] == 0
    async with domain.sessionmaker() as session:
        linked = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "match.linked"))
        ).all()
    assert [r.lead_id for r in linked] == [sure]


async def test_a_rejected_pair_is_never_queued_again_and_an_accepted_one_links(domain, bright, patient_book):
    _, unsure, _, robert = await _people(domain, bright, patient_book)
    await match_leads_task({"domain": domain})
    boss = await viewer_of(domain, bright.staff["boss@bright.example"])
    actor = Actor(type="user", id=str(boss.user_id))
    (queued,) = await _reviews(domain)
    await decide_review(domain, boss, queued.id, accept=False, actor=actor)
    await match_leads_task({"domain": domain})
    assert [(r.status) for r in await _reviews(domain)] == ["rejected"]
    with pytest.raises(ActionRefused, match="already rejected"):
        await decide_review(domain, boss, queued.id, accept=True, actor=actor)
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(MatchReview, queued.id)).status = "pending"
    await decide_review(domain, boss, queued.id, accept=True, actor=actor)
    assert patient_book.links[unsure] == (robert, "review")
    async with domain.sessionmaker() as session:
        actions = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.lead_id == unsure))
        ).all()
    assert "match.rejected" in actions and "match.accepted" in actions


async def test_front_desk_cannot_decide(domain, bright, patient_book):
    await _people(domain, bright, patient_book)
    await match_leads_task({"domain": domain})
    desk = await viewer_of(domain, bright.staff["desk@bright.example"])
    (queued,) = await _reviews(domain)
    with pytest.raises(NotPermitted):
        await decide_review(domain, desk, queued.id, accept=True, actor=Actor(type="user", id="x"))


async def test_the_review_page_shows_both_sides_and_audits_the_reads(client, domain, bright, patient_book):
    _, unsure, _, robert = await _people(domain, bright, patient_book)
    await match_leads_task({"domain": domain})
    await sign_in(client, domain, "boss@bright.example")
    page = await client.get("/matching/review")
    assert page.status_code == 200
    assert "Bob Okafor" in page.text and "Robert" in page.text and "nickname" in page.text
    async with domain.sessionmaker() as session:
        reads = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "patient.read"))).all()
    assert [(r.lead_id, r.details["patient"]) for r in reads] == [(unsure, str(robert))]
    (queued,) = await _reviews(domain)
    done = await client.post(
        f"/matching/review/{queued.id}/accept", data={"_csrf_token": await csrf_of(client)}
    )
    assert done.status_code == 303
    after = await client.get(done.headers["location"])
    assert "Linked: the lead is this patient." in after.text and "Bob Okafor" not in after.text
