"""A database outage does not end a connected board: it stays, and gets what happens after."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.board.helpers import board_socket, next_lead_message
from tests.board.helpers import current_position as position
from tests.factories import inquiry, make_practice, open_staff_session, signed
from tests.fixtures.live import serve_in_thread
from tests.tcp_gate import TcpGate

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]

RECHECK_SECONDS = 0.2
"""The boards' session re-check interval, shortened so the outage spans several re-checks."""


@pytest.fixture
def web_log():
    """What the web layer and the hub logged (Litestar reconfigures the root logger, hiding caplog)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger("leadrouter.web"), logging.getLogger("leadrouter.realtime")]
    for logger in loggers:
        logger.addHandler(handler)
    yield records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def gated_server(settings, domain):
    """The production app, reaching PostgreSQL through a gate the test can cut."""
    from leadrouter.runtime import build_runtime, build_web_app

    url = make_url(settings.database.url)
    gate = TcpGate(url.host or "127.0.0.1", url.port or 5432)
    gated = url.set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)
    app = build_web_app(build_runtime(replace(settings, database=replace(settings.database, url=gated))))
    app.state.board_hub.session_recheck_seconds = RECHECK_SECONDS
    server, thread, base_url = serve_in_thread(app)
    try:
        yield gate, base_url
    finally:
        gate.restore()
        server.should_exit = True
        thread.join(timeout=10)
        gate.close()


async def post_until_stored(base_url, practice):
    """A sender retrying on 503, as senders do."""
    raw, headers = signed(
        inquiry(email=f"{uuid.uuid4().hex[:8]}@example.com", phone=None, sms_consent=None), practice.secret
    )
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(50):
            answer = await http.post(
                f"{base_url}/webhooks/forms/{practice.form_key}", content=raw, headers=headers
            )
            if answer.status_code != 503:
                assert answer.status_code == 201, answer.text
                return answer.json()["lead_id"]
            await asyncio.sleep(0.1)
    raise AssertionError("never stored")


async def test_a_board_stays_connected_through_a_database_outage(domain, gated_server, web_log):
    gate, base_url = gated_server
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana"}})
    token = await open_staff_session(domain, practice.staff["ana@bright.example"])
    ws_url = base_url.replace("http://", "ws://") + "/board/ws"
    async with board_socket(ws_url, token, origin=base_url, after=await position(domain)) as board:
        before = await post_until_stored(base_url, practice)
        assert f'id="lead-{before}"' in await next_lead_message(board)  # live, past its replay
        gate.cut()  # PostgreSQL unreachable for the web process

        def noticed():
            return any("session checks cannot reach the database" in r.getMessage() for r in web_log)

        for _ in range(100):
            if noticed():
                break
            await asyncio.sleep(0.05)
        assert noticed()
        await asyncio.sleep(RECHECK_SECONDS * 3)  # several more failed re-checks
        gate.restore()

        lead_id = await post_until_stored(base_url, practice)
        assert f'id="lead-{lead_id}"' in await next_lead_message(board, within=10)

    messages = [r.getMessage() for r in web_log]
    assert sum("session checks cannot reach the database" in m for m in messages) == 1
    assert sum("hub reading new events paused" in m for m in messages) <= 1  # once per outage
    assert not [r.getMessage() for r in web_log if r.exc_info]  # an outage is a line, not a traceback
    assert not any("ended by" in m for m in messages)
