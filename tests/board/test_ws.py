import asyncio

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from leadrouter.web_process import start_web_process, wait_until_ready
from realtime.constants import CLOSE_SESSION_ENDED
from router.privacy.audit import Actor
from router.privacy.auth import end_user_sessions, revoke_user_sessions
from tests.board.helpers import board_socket, marker_of, next_lead_message, post_inquiry
from tests.board.helpers import current_position as position
from tests.factories import make_practice, open_staff_session
from tests.fixtures.live import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def desk(domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana"}})
    token = await open_staff_session(domain, practice.staff["ana@bright.example"])
    return practice, token


async def test_a_foreign_origin_or_a_missing_session_is_refused_at_the_handshake(domain, desk, live_server):
    practice, token = desk
    with pytest.raises(InvalidStatus) as refused:
        async with board_socket(live_server.ws_url, token, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        async with board_socket(live_server.ws_url, "not-a-session", origin=live_server.url):
            pass
    async with board_socket(
        live_server.ws_url, token, origin=live_server.url, after=await position(domain)
    ) as ws:
        lead_id = await post_inquiry(live_server.url, practice)
        assert f'id="lead-{lead_id}"' in await next_lead_message(ws)


async def test_ending_a_users_sessions_closes_their_open_board_at_once(domain, desk, live_server):
    """Deactivation or a password change: the board closes now, not at its next periodic check."""
    practice, token = desk
    live_server.hub.session_recheck_seconds = 600
    ana = practice.staff["ana@bright.example"]
    async with board_socket(
        live_server.ws_url, token, origin=live_server.url, after=await position(domain)
    ) as ws:
        await asyncio.sleep(0.3)  # the board's first check has passed; the next is ten minutes away
        ended = await end_user_sessions(domain, ana.id, actor=Actor("user", "manager"), reason="deactivated")
        assert ended == 1
        with pytest.raises(ConnectionClosed) as closed:
            await next_lead_message(ws, within=3)
    assert closed.value.rcvd.code == CLOSE_SESSION_ENDED


async def test_a_revoked_session_is_disconnected(domain, desk, live_server):
    practice, token = desk
    async with board_socket(
        live_server.ws_url, token, origin=live_server.url, after=await position(domain)
    ) as ws:
        async with domain.sessionmaker() as session, session.begin():
            await revoke_user_sessions(
                session, practice.staff["ana@bright.example"].id, now=domain.clock.now()
            )
        with pytest.raises(ConnectionClosed) as closed:
            await next_lead_message(ws, within=5)
    assert closed.value.rcvd.code == CLOSE_SESSION_ENDED


@pytest.mark.slow
async def test_two_web_processes_both_deliver_an_event(domain, desk):
    practice, token = desk
    ports = [free_port(), free_port()]
    processes = [start_web_process(port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            await asyncio.to_thread(wait_until_ready, url, process)
        after = await position(domain)
        sockets = [
            board_socket(url.replace("http", "ws") + "/board/ws", token, origin=url, after=after)
            for url in urls
        ]
        async with sockets[0] as first, sockets[1] as second:
            await asyncio.sleep(0.2)  # both hubs have the boards attached
            lead_id = await post_inquiry(urls[0], practice)
            received = await asyncio.gather(next_lead_message(first), next_lead_message(second))
        for message in received:
            assert f'id="lead-{lead_id}"' in message
            assert marker_of(message)["event-kind"] == "lead.created"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
