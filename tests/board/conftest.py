"""Live servers for the board's websocket and browser tests: the real app under uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from tests.factories import make_practice, open_staff_session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: Any

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/board/ws"

    @property
    def hub(self) -> Any:
        return self.app.state.board_hub


def serve_in_thread(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test web server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def live_server(settings: Any, domain: Any) -> Iterator[LiveServer]:
    """The production app (its own runtime and hub, in its own event loop) on a free port."""
    from leadrouter.runtime import build_runtime, build_web_app

    app = build_web_app(build_runtime(settings))
    app.state.board_hub.session_recheck_seconds = 0.3
    server, thread, url = serve_in_thread(app)
    try:
        yield LiveServer(url, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
async def two_desks(domain: Any) -> tuple[Any, dict[str, str]]:
    """A practice with two staff, Ana and Ben, each signed in: (practice, their session tokens by name)."""
    practice = await make_practice(
        domain, staff={"ana@bright.example": {"name": "Ana Ruiz"}, "ben@bright.example": {"name": "Ben Cho"}}
    )
    tokens = {
        name: await open_staff_session(domain, practice.staff[f"{name}@bright.example"])
        for name in ("ana", "ben")
    }
    return practice, tokens
