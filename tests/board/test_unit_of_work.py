"""`domain.transaction()`: the events an action records ring the boards after commit, and only then."""

import asyncio

import pytest
from sqlalchemy import select

from router.core.events import record_event
from router.core.models import DomainEvent
from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import connect, current_position, new_lead, until
from tests.factories import make_practice, viewer_of
from web.board_fragments import make_board_hub

pytestmark = pytest.mark.integration


@pytest.fixture
async def desk(domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana"}})
    return practice, await viewer_of(domain, practice.staff["ana@bright.example"])


@pytest.fixture
async def quiet_hub(domain, runtime, monkeypatch):
    """A hub that hears only this process's announcer: Redis's doorbell and the poll never wake it."""
    hub = make_board_hub(domain, runtime.redis, poll_seconds=3600, heartbeat_seconds=3600)
    await hub.start()
    await asyncio.wait_for(hub.pubsub_connected.wait(), 5)
    monkeypatch.setattr(hub, "_ring", lambda data: None)
    yield hub
    await hub.stop()


@pytest.fixture
def rung(domain, monkeypatch):
    """Every announcement, with whether its events were already committed when it was made."""
    calls: list[tuple[list[int], bool]] = []
    announce = domain.announcer.announce

    async def recording(event_ids):
        async with domain.sessionmaker() as other:
            seen = (await other.scalars(select(DomainEvent.id).where(DomainEvent.id.in_(event_ids)))).all()
        calls.append((list(event_ids), sorted(seen) == sorted(event_ids)))
        await announce(event_ids)

    monkeypatch.setattr(domain.announcer, "announce", recording)
    return calls


async def test_an_actions_event_reaches_a_board_after_its_commit(domain, desk, quiet_hub, rung):
    practice, ana = desk
    lead_id = await new_lead(domain, practice, location="downtown")
    socket, _board, task = connect(quiet_hub, ana, await current_position(domain))
    await until(lambda: len(quiet_hub.boards) == 1)

    claimed = await actions.claim_lead(domain, ana, lead_id, actor=Actor("user", str(ana.user_id)))

    await until(lambda: len(socket.sent) == 1)
    assert f'id="lead-{lead_id}"' in socket.sent[0]
    assert rung[-1] == ([claimed.event_id], True)  # rung once, with the event already committed
    task.cancel()


async def test_a_rolled_back_transaction_announces_nothing(domain, desk, rung):
    practice, _ana = desk
    before = await current_position(domain)
    with pytest.raises(RuntimeError, match="changed its mind"):
        async with domain.transaction() as session:
            await record_event(
                session,
                kind="practice.configured",
                practice_id=practice.practice.id,
                location_id=None,
                lead_id=None,
            )
            raise RuntimeError("the action changed its mind")
    assert rung == []
    assert await current_position(domain) == before


async def test_a_transaction_without_events_rings_nothing_and_one_with_two_rings_both(domain, desk, rung):
    practice, _ana = desk
    async with domain.transaction() as session:
        await session.execute(select(1))
    assert rung == []
    async with domain.transaction() as session:
        first = await record_event(
            session,
            kind="practice.configured",
            practice_id=practice.practice.id,
            location_id=None,
            lead_id=None,
        )
        second = await record_event(
            session,
            kind="practice.configured",
            practice_id=practice.practice.id,
            location_id=None,
            lead_id=None,
        )
    assert rung == [([first, second], True)]
