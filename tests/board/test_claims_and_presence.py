from datetime import timedelta

import pytest
from sqlalchemy import select

from router.board.presence import AWAY_AFTER, mark_absent_staff_away, touch_presence
from router.core.clock import FrozenClock
from router.core.models import AuditRecord, DomainEvent, Lead, StaffUser
from router.leads import actions
from router.leads.claim_timeouts import release_stale_claims
from router.privacy.audit import Actor
from tests.board.helpers import new_lead
from tests.factories import make_practice, viewer_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def frozen(domain):
    clock = FrozenClock(domain.clock.now())
    domain.clock = clock
    return clock


async def test_a_claim_nobody_acts_on_returns_to_the_queue_with_an_event_and_audit(domain, frozen):
    practice = await make_practice(
        domain, settings={"claim_timeout_minutes": 10}, staff={"ana@bright.example": {"name": "Ana"}}
    )
    ana = await viewer_of(domain, practice.staff["ana@bright.example"])
    stale, contacted = await new_lead(domain, practice), await new_lead(domain, practice)
    for lead_id in (stale, contacted):
        await actions.claim_lead(domain, ana, lead_id, actor=Actor("user", str(ana.user_id)))
    await actions.log_contact_made(
        domain, ana, contacted, channel="phone", actor=Actor("user", str(ana.user_id))
    )

    frozen.advance(timedelta(minutes=9))
    assert (await release_stale_claims({"domain": domain}))["released"] == 0
    frozen.advance(timedelta(minutes=1, seconds=1))
    assert await release_stale_claims({"domain": domain}) == {"checked": 1, "released": 1}
    async with domain.sessionmaker() as session:
        assert (await session.get(Lead, stale)).claimed_by_user_id is None
        assert (await session.get(Lead, contacted)).claimed_by_user_id == ana.user_id
        event = await session.scalar(select(DomainEvent).order_by(DomainEvent.id.desc()).limit(1))
        audit = await session.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))
    assert (event.kind, event.lead_id, event.payload["reason"]) == ("lead.released", stale, "claim_timeout")
    assert (audit.action, audit.actor_id, audit.lead_id) == ("lead.release", "claim-timeout", stale)
    assert (await release_stale_claims({"domain": domain}))["released"] == 0


async def test_staff_whose_board_is_gone_become_away_and_return_with_it(domain, frozen):
    practice = await make_practice(
        domain, staff={"ana@bright.example": {"name": "Ana"}, "never@bright.example": {"name": "Never"}}
    )
    ana = practice.staff["ana@bright.example"]
    await touch_presence(domain, {ana.id}, now=frozen.now())
    frozen.advance(AWAY_AFTER - timedelta(seconds=1))
    assert await mark_absent_staff_away({"domain": domain}) == {"marked_away": 0}
    frozen.advance(timedelta(seconds=2))
    assert await mark_absent_staff_away({"domain": domain}) == {"marked_away": 1}  # not "never": never seen
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, ana.id)
        assert (user.availability, user.away_automatically) == ("away", True)
    await touch_presence(domain, {ana.id}, now=frozen.now())
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, ana.id)
        kinds = (await session.scalars(select(DomainEvent.payload).order_by(DomainEvent.id))).all()
    assert (user.availability, user.away_automatically) == ("available", False)
    assert [p["availability"] for p in kinds] == ["away", "available"]
