"""The board benchmark's floor: a minimal Litestar app that sends one fragment to every connected socket.

It answers the same signed form webhook the product does (without checking the signature, scoring or
storing anything), sends a copy of the product's own lead fragment, with that inquiry's `Bench<n>`
name in it, to every socket connected on `/board/ws`, then answers 201. The board benchmark runs it
under the product's uvicorn settings (`leadrouter.web_process.start_web_process`: one process,
permessage-deflate off) and measures it with its own client, so the difference between the product's
figures and these is the board path's own work: intake, the event log, the hub, a task per board.

    uvicorn --factory bench.bare_broadcast:create_app   (BARE_BROADCAST_FRAGMENT=<file of the fragment>)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, WebSocket, get, post, websocket

FRAGMENT_ENV = "BARE_BROADCAST_FRAGMENT"
"""Names the file holding one lead fragment as the product sent it (UTF-8)."""
BENCH_NUMBER = re.compile(r"(?<=Bench)\d+")
"""The number in the benchmark inquiry's last name, which is how the client tells the leads apart on a
board. The card names the lead more than once (its heading, the Call and Text buttons' labels)."""


def split_fragment(fragment: str) -> list[str]:
    """The fragment's text around each place its lead number stands, to be joined with another number."""
    pieces = BENCH_NUMBER.split(fragment)
    if len(pieces) == 1:
        raise ValueError("the fragment carries no Bench<n> name")
    return pieces


def create_app() -> Litestar:
    pieces = split_fragment(Path(os.environ[FRAGMENT_ENV]).read_text(encoding="utf-8"))
    boards: set[WebSocket[Any, Any, Any]] = set()

    @websocket("/board/ws")
    async def board_socket(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        boards.add(socket)
        try:
            async for _ in socket.iter_data():  # ends when the client leaves
                pass
        finally:
            boards.discard(socket)

    @post("/webhooks/forms/bench-form", status_code=201)
    async def broadcast(request: Request[Any, Any, Any]) -> dict[str, object]:
        inquiry = json.loads(await request.body())
        text = inquiry["last_name"].removeprefix("Bench").join(pieces)
        for socket in list(boards):
            await socket.send_text(text)
        return {"score": None}

    @get("/healthz")
    async def ready() -> str:
        return "ok"

    return Litestar([board_socket, broadcast, ready])
