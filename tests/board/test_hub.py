import asyncio
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from realtime import constants
from realtime import hub as hub_module
from realtime.connection import BoardConnection
from router.appointments.booking import BookingRequest
from router.board.snapshot import load_board, priority_key
from router.core.events import latest_event_id, record_event
from router.core.models import AuditRecord, DomainEvent, Lead
from router.leads import actions
from router.privacy.audit import Actor
from tests.board.helpers import (
    TWO_OFFICES,
    CollectingSocket,
    connect,
    current_position,
    marker_of,
    new_lead,
    until,
)
from tests.factories import make_practice, viewer_of
from web.board_fragments import BoardFragments, make_board_hub

pytestmark = pytest.mark.integration


@pytest.fixture
async def office(domain):
    practice = await make_practice(
        domain,
        locations=TWO_OFFICES,
        staff={
            "ana@bright.example": {"locations": ["downtown"], "name": "Ana"},
            "ben@bright.example": {"locations": ["lakeway"], "name": "Ben"},
            "boss@bright.example": {"role": "manager", "name": "Boss"},
        },
    )
    viewers = {email.split("@")[0]: await viewer_of(domain, user) for email, user in practice.staff.items()}
    return practice, viewers


@pytest.fixture
async def hub(domain, runtime):
    hub = make_board_hub(domain, runtime.redis, poll_seconds=60, heartbeat_seconds=3600)
    await hub.start()
    await asyncio.wait_for(hub.pubsub_connected.wait(), 5)
    yield hub
    await hub.stop()


def actor(viewer):
    return Actor("user", str(viewer.user_id))


async def test_a_new_lead_is_rendered_once_and_reaches_only_boards_that_may_see_it(domain, office, hub):
    practice, people = office
    rendered = []
    original = hub.renderer.render

    async def spy(events):
        rendered.extend(event.id for event in events)
        return await original(events)

    hub.renderer.render = spy
    position = await current_position(domain)
    boards = {name: connect(hub, people[name], position) for name in ("ana", "ben", "boss")}
    await until(lambda: len(hub.boards) == 3)
    lead_id = await new_lead(domain, practice, location="downtown")
    await until(lambda: boards["ana"][0].sent and boards["boss"][0].sent)
    await asyncio.sleep(0.1)
    assert boards["ben"][0].sent == []
    assert boards["ana"][0].sent == boards["boss"][0].sent
    message = boards["ana"][0].sent[0]
    assert f'id="lead-{lead_id}"' in message and 'hx-swap-oob="true"' in message
    assert marker_of(message)["event-kind"] == "lead.created" and marker_of(message)["alert"] == "new"
    assert len(rendered) == len(set(rendered)) == 1
    pushed = []
    for _ in range(100):
        async with domain.sessionmaker() as session:
            pushed = (
                await session.scalars(select(AuditRecord).where(AuditRecord.details["via"].astext == "push"))
            ).all()
        if pushed:
            break
        await asyncio.sleep(0.02)
    assert [row.lead_id for row in pushed] == [lead_id]
    assert set(pushed[0].details["user_ids"]) == {str(people["ana"].user_id), str(people["boss"].user_id)}
    async with domain.sessionmaker() as session:
        created = await session.scalar(select(DomainEvent.id).where(DomainEvent.lead_id == lead_id))
    assert pushed[0].details["event_id"] == created  # one record names the event and the sessions
    assert set(pushed[0].details["sessions"]) == {
        f"session-of-{people['ana'].user_id}",
        f"session-of-{people['boss'].user_id}",
    }
    for _socket, _board, task in boards.values():
        task.cancel()


async def test_events_written_in_this_process_ring_its_hub_without_waiting_for_redis(
    domain, office, hub, monkeypatch
):
    practice, people = office
    socket, _board, task = connect(hub, people["ana"], await current_position(domain))
    await until(lambda: len(hub.boards) == 1)
    monkeypatch.setattr(hub, "_ring", lambda data: None)  # Redis's doorbell never reaches this hub
    lead_id = await new_lead(domain, practice, location="downtown")
    await until(lambda: len(socket.sent) == 1, within=5)  # the hub polls only once a minute
    assert f'id="lead-{lead_id}"' in socket.sent[0]
    await hub.stop()
    assert hub.ring not in domain.announcer._local  # a stopped hub is no longer rung
    task.cancel()


async def test_a_hub_without_boards_reads_no_events_and_a_board_that_comes_later_misses_none(
    domain, office, hub, monkeypatch
):
    practice, people = office
    reads = []
    real_events_after = hub_module.events_after

    async def counting(*args, **kwargs):
        reads.append(args[1])
        return await real_events_after(*args, **kwargs)

    await asyncio.sleep(0.5)  # the read every hub makes once subscribed is done by now
    monkeypatch.setattr(hub_module, "events_after", counting)
    before = await current_position(domain)
    lead_id = await new_lead(domain, practice, location="downtown")
    assert hub.position == await current_position(domain) > before
    assert reads == []  # rung with the committed ids and nobody to push to: nothing read

    socket, _board, task = connect(hub, people["ana"], before)
    await until(lambda: len(socket.sent) == 1)
    assert f'id="lead-{lead_id}"' in socket.sent[0]
    task.cancel()


async def test_a_reconnecting_board_gets_every_later_event_once_in_order_then_live(domain, office, hub):
    practice, people = office
    ana = people["ana"]
    first = await new_lead(domain, practice, location="downtown")
    after = await current_position(domain)
    second = await new_lead(domain, practice, location="downtown")
    await actions.claim_lead(domain, ana, first, actor=actor(ana))
    await actions.log_contact_attempt(domain, ana, second, outcome="no_answer", actor=actor(ana))
    await new_lead(domain, practice, location="lakeway")  # not Ana's: never sent to her
    missed = list(range(after + 1, await current_position(domain)))
    socket, _board, task = connect(hub, ana, after)
    await until(lambda: len(socket.sent) >= 3)
    await actions.log_contact_made(domain, ana, first, channel="phone", actor=actor(ana))
    await until(lambda: len(socket.sent) >= 4)
    await asyncio.sleep(0.1)
    ids = socket.event_ids()
    assert ids == [*missed, ids[-1]] and ids[-1] == await current_position(domain)
    assert len(ids) == len(set(ids)) == 4
    task.cancel()


async def test_a_board_too_far_behind_is_told_to_re_render(domain, office, hub, monkeypatch):
    practice, people = office
    monkeypatch.setattr(constants, "MAX_REPLAY_EVENTS", 2)
    for _ in range(3):
        await new_lead(domain, practice, location="downtown")
    for after in (0, 10_000, None):
        socket, _board, task = connect(hub, people["ana"], after)
        await until(lambda socket=socket: socket.closed is not None)
        assert socket.closed[0] == constants.CLOSE_RESET
        assert [marker_of(m)["event-kind"] for m in socket.sent] == ["reset"]
        await task
    socket, _board, task = connect(hub, people["ana"], 1)  # two behind: replayed, not reset
    await until(lambda: len(socket.sent) == 2)
    assert socket.closed is None
    task.cancel()


def apply(board_rows, message):
    """What htmx does with a pushed message: replace or add the row, or delete it."""
    for row in re.findall(r'<li id="lead-[^"]+"[\s\S]*?</li>\n?(?=<li id="lead-|<output)', message):
        lead_id = re.match(r'<li id="(lead-[^"]+)"', row).group(1)
        if 'hx-swap-oob="delete"' in row:
            board_rows.pop(lead_id, None)
        else:
            board_rows[lead_id] = row.replace(' hx-swap-oob="true"', "").strip()


async def snapshot(domain, viewer):
    fragments = BoardFragments(domain)
    async with domain.sessionmaker() as session, session.begin():
        position = await latest_event_id(session)
        leads = await load_board(session, domain, viewer, actor=actor(viewer))
    rows = {f"lead-{lead.id}": fragments.lead(lead, oob=False).strip() for lead in leads}
    return position, rows, leads


async def test_a_stale_snapshot_plus_the_events_after_it_renders_the_same_board_as_a_fresh_load(
    domain, office, hub
):
    practice, people = office
    ana, boss = people["ana"], people["boss"]
    kept = await new_lead(domain, practice, location="downtown", first_name="Kept")
    position, stale, _ = await snapshot(domain, boss)

    booked = await new_lead(domain, practice, location="downtown", first_name="Booked")
    other = await new_lead(domain, practice, location="lakeway", first_name="Other")
    await actions.claim_lead(domain, ana, kept, actor=actor(ana))
    await actions.log_contact_made(domain, ana, kept, channel="sms", note="call back", actor=actor(ana))
    await actions.log_contact_attempt(domain, boss, other, outcome="no_answer", actor=actor(boss))
    await actions.reassign_lead(domain, boss, other, to_user_id=people["ben"].user_id, actor=actor(boss))
    await actions.close_lead(
        domain,
        ana,
        booked,
        reason="appointment_booked",
        actor=actor(ana),
        booking=BookingRequest(starts_at=domain.clock.now() + timedelta(days=2)),
    )
    async with domain.sessionmaker() as session, session.begin():
        (await session.get(Lead, other)).escalation_level = 1  # the escalation engineer's event, simulated
        await record_event(
            session,
            kind="lead.escalated",
            practice_id=practice.practice.id,
            location_id=practice.locations["lakeway"].id,
            lead_id=other,
        )

    expected = await current_position(domain) - position
    socket, _board, task = connect(hub, boss, position)
    await until(lambda: len(socket.sent) == expected == 8)
    for message in socket.sent:
        apply(stale, message)
    _, fresh, fresh_leads = await snapshot(domain, boss)
    assert stale == fresh
    assert set(fresh) == {f"lead-{kept}", f"lead-{other}", f"lead-{booked}"}  # booked: recently closed
    still_open = [lead for lead in fresh_leads if lead.is_open]
    assert still_open == sorted(still_open, key=priority_key) and still_open[0].id == other
    assert [lead.group for lead in fresh_leads] == ["needs", "progress", "closed"]
    task.cancel()


async def test_the_hub_backfills_from_the_table_after_losing_redis(domain, office, hub, runtime):
    practice, people = office
    socket, _board, task = connect(hub, people["ana"], await current_position(domain))
    await until(lambda: len(hub.boards) == 1)
    lead_id = await new_lead(domain, practice, location="downtown")
    await until(lambda: len(socket.sent) == 1)

    # An event commits while the doorbell is lost (never announced), and the hub's Redis link drops.
    async with domain.sessionmaker() as session, session.begin():
        missed = await record_event(
            session,
            kind="lead.contact_logged",
            practice_id=practice.practice.id,
            location_id=practice.locations["downtown"].id,
            lead_id=lead_id,
        )
    host, port = hub._pubsub.connection._writer.get_extra_info("sockname")[:2]
    await runtime.redis.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")
    await until(lambda: len(socket.sent) == 2, within=10)
    assert socket.event_ids()[-1] == missed
    task.cancel()


async def test_heartbeats_carry_the_position_to_a_quiet_board(domain, office, runtime):
    practice, people = office
    await new_lead(domain, practice, location="lakeway")  # Ana's board never shows it
    hub = make_board_hub(domain, runtime.redis, poll_seconds=60, heartbeat_seconds=0.05)
    await hub.start()
    try:
        socket, board, task = connect(hub, people["ana"], 0)
        await until(lambda: any(marker_of(m)["event-kind"] == "heartbeat" for m in socket.sent))
        beat = next(marker_of(m) for m in socket.sent if marker_of(m)["event-kind"] == "heartbeat")
        assert int(beat["last-event-id"]) == await current_position(domain) == board.last_sent
        task.cancel()
    finally:
        await hub.stop()


async def test_a_board_whose_send_is_stuck_is_stopped_at_the_next_check(domain, office, hub):
    _, people = office
    release = asyncio.Event()

    async def stuck_send(text):
        await release.wait()

    board = BoardConnection(
        viewer=people["boss"], after=None, send_text=stuck_send, close=CollectingSocket().close
    )
    task = asyncio.create_task(hub.serve(board))  # no position: told to re-render, and that send hangs
    await until(lambda: board._sending_since is not None)
    assert not board.abort_if_stalled(time.monotonic())  # a send in progress is not yet stuck
    assert board.abort_if_stalled(time.monotonic() + constants.SEND_TIMEOUT_SECONDS)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert board not in hub.boards


async def test_a_hub_stops_in_time_even_when_redis_never_lets_go(hub, caplog):
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    hub._pubsub.aclose = hangs  # a dead socket whose close never completes
    hub.stop_seconds = 0.3
    listener = next(task for task in hub._tasks if task.get_name() == "hub-listen")
    began = time.monotonic()
    await hub.stop()
    assert time.monotonic() - began < 2
    assert "hub-listen did not stop" in caplog.text
    assert not listener.done()  # left behind, still closing: it does not hold up the shutdown
    listener.cancel()
