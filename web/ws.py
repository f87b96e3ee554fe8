"""`/board/ws`: the live board's websocket (htmx ws extension): session and Origin checked at the handshake.

The client says the last event id it saw (`?after=N`); the hub replays everything later, then streams.
A session that expires or is revoked while connected ends the stream within a re-check interval.
A database outage does not: the board stays, and its session is checked again at the next interval.
A board that must end for any other reason is told so with a close code its page reconnects on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

from litestar import WebSocket, websocket
from litestar.di import NamedDependency

from realtime.connection import BoardConnection
from realtime.constants import CLOSE_SESSION_ENDED, CLOSE_TRY_AGAIN
from realtime.hub import BoardHub
from realtime.pushes import Closing
from router.board.presence import touch_presence
from router.core.db_errors import is_unavailable, sqlstate
from router.core.domain import Domain
from router.privacy.auth import SignedIn, resume_session
from web.sessions import SESSION_COOKIE

log = logging.getLogger("leadrouter.web")

CLOSE_FORBIDDEN = 4403
"""Refusal before the handshake completes (the browser sees an HTTP 403)."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(socket: WebSocket[Any, Any, Any], public_url: str) -> bool:
    """Only pages of this site may open a board socket (cookies alone would let any site's page in)."""
    origin = (socket.headers.get("origin") or "").lower()
    host = socket.headers.get("host") or ""
    scheme = "https" if socket.url.scheme == "wss" else "http"
    return bool(origin) and origin in {_origin(public_url), f"{scheme}://{host}".lower()}


async def _session(domain: Domain, token: str | None) -> SignedIn | None:
    async with domain.transaction() as session:
        return await resume_session(session, token, settings=domain.settings.security, now=domain.clock.now())


def _after(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


@websocket("/board/ws")
async def board_socket(socket: WebSocket[Any, Any, Any], domain: NamedDependency[Domain]) -> None:
    hub: BoardHub = socket.app.state.board_hub
    token = socket.cookies.get(SESSION_COOKIE)
    if not origin_allowed(socket, domain.settings.intake.public_url):
        await socket.close(code=CLOSE_FORBIDDEN, reason="origin not allowed")
        return
    try:
        signed_in = await _session(domain, token)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        _session_checks.failed(exc)
        await socket.close(code=CLOSE_TRY_AGAIN, reason="try again shortly")
        return
    if signed_in is None:
        await socket.close(code=CLOSE_FORBIDDEN, reason="sign in first")
        return
    await socket.accept()
    board = BoardConnection(
        viewer=signed_in.viewer,
        session_key=signed_in.session_key,
        after=_after(socket.query_params.get("after")),
        send_text=lambda text: _send_text(socket, text),
        close=lambda code, reason: socket.close(code=code, reason=reason),
    )
    try:
        await touch_presence(domain, {signed_in.viewer.user_id}, now=domain.clock.now())
    except Exception as exc:  # presence is touched again by the hub every minute
        if not is_unavailable(exc):
            raise
    tasks = [
        asyncio.create_task(hub.serve(board)),
        asyncio.create_task(_until_client_leaves(socket)),
        asyncio.create_task(_recheck_session(domain, token, board, hub)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        failed = next((t.exception() for t in done if not t.cancelled() and t.exception()), None)
        if failed is not None and not isinstance(failed, _ClientGone) and board.closed_with is None:
            # Never a silent drop: the page reconnects on this code and replays from its last id.
            log.warning(
                "board of user %s ended by %s%s; told to reconnect",
                signed_in.viewer.user_id,
                type(failed).__name__,
                f" (SQLSTATE {sqlstate(failed)})" if sqlstate(failed) else "",
            )
            with contextlib.suppress(Exception):
                await board.close(CLOSE_TRY_AGAIN, "try again shortly")
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        hub.detach(board)


class _ClientGone(Exception):
    """A send found the client gone (ASGI servers raise an OSError then): nothing to tell anyone."""


async def _send_text(socket: WebSocket[Any, Any, Any], text: str) -> None:
    try:
        await socket.send_text(text)
    except OSError as exc:
        raise _ClientGone from exc


async def _until_client_leaves(socket: WebSocket[Any, Any, Any]) -> None:
    """Read (and ignore) what the client sends until it disconnects."""
    async for _ in socket.iter_data():
        pass


class _SessionCheckOutage:
    """Session checks failing for want of the database, across this process's boards: logged once
    when the first fails and once when they work again, not once per board and interval."""

    def __init__(self) -> None:
        self._since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self._since is None:
            self._since = time.monotonic()
            log.warning(
                "board session checks cannot reach the database (%s%s); boards stay connected",
                type(exc).__name__,
                f", SQLSTATE {sqlstate(exc)}" if sqlstate(exc) else "",
            )

    def succeeded(self) -> None:
        if self._since is not None:
            log.warning("board session checks work again after %.0f s", time.monotonic() - self._since)
            self._since = None


_session_checks = _SessionCheckOutage()


async def _recheck_session(domain: Domain, token: str | None, board: BoardConnection, hub: BoardHub) -> None:
    """Close the board when its session ends; keep its scope current otherwise."""
    # A random first wait spreads the checks of boards that connected together (a whole office after
    # a restart) over the interval, instead of one burst of queries stalling every push at once.
    await hub.until_access_changes(random.uniform(0, hub.session_recheck_seconds))
    while True:
        try:
            signed_in = await _session(domain, token)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # The login may still be good; ending the board over an outage would drop every board at
            # once and have them all reconnect into the same outage.
            _session_checks.failed(exc)
            await asyncio.sleep(hub.session_recheck_seconds)
            continue
        _session_checks.succeeded()
        if signed_in is None:
            # Through the queue, after what is already on its way; the sender then ends the socket.
            board.offer(Closing(CLOSE_SESSION_ENDED, "session ended, sign in again"))
            await asyncio.Event().wait()
        board.update_viewer(signed_in.viewer)
        await hub.until_access_changes(hub.session_recheck_seconds)
