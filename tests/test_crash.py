"""A lead acknowledged with 2xx is never lost, even if the web process dies before announcing it."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading

import httpx
import pytest
from sqlalchemy import select

from leadrouter.web_process import start_web_process, wait_until_ready
from router.core.events import latest_event_id
from router.core.models import DomainEvent, Lead
from tests.board.helpers import board_socket, next_lead_message
from tests.factories import inquiry, make_practice, open_staff_session, signed
from tests.fixtures.live import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]


class SilentRedis:
    """A TCP port that accepts connections and never answers: a publish to it hangs forever."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


async def test_killed_after_answering_and_before_announcing_the_lead_is_kept_and_announced(domain):
    practice = await make_practice(domain, staff={"ana@bright.example": {"name": "Ana"}})
    token = await open_staff_session(domain, practice.staff["ana@bright.example"])
    async with domain.sessionmaker() as session:
        before = await latest_event_id(session)

    # The first process answers the webhook, then hangs in its publish to a Redis that never answers,
    # and is killed there: the answer went out, the doorbell never rang, no escalation was enqueued.
    silent = SilentRedis()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = start_web_process(port, {"REDIS_URL": f"redis://127.0.0.1:{silent.port}/0"})
    try:
        await asyncio.to_thread(wait_until_ready, url, first)
        raw, headers = signed(inquiry(), practice.secret)
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                f"{url}/webhooks/forms/{practice.form_key}", content=raw, headers=headers
            )
        assert response.status_code == 201
        lead_id = response.json()["lead_id"]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        silent.close()

    async with domain.sessionmaker() as session:
        assert await session.get(Lead, lead_id) is not None
        kinds = (await session.scalars(select(DomainEvent.kind).where(DomainEvent.lead_id == lead_id))).all()
    assert kinds == ["lead.created"]

    # After a restart, a board that connects (resuming from before the lead) gets it announced.
    second = start_web_process(port)
    try:
        await asyncio.to_thread(wait_until_ready, url, second)
        async with board_socket(
            url.replace("http", "ws") + "/board/ws", token, origin=url, after=before
        ) as board:
            message = await next_lead_message(board)
        assert f'id="lead-{lead_id}"' in message
    finally:
        second.terminate()
        second.wait(timeout=10)
