"""One connected board: replay from its last event id, then live pushes in order, each exactly once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from realtime.constants import (
    BOARD_QUEUE_LIMIT,
    CLOSE_RESET,
    CLOSE_TRY_AGAIN,
    SEND_TIMEOUT_SECONDS,
)
from realtime.pushes import BoardRenderer, Closing, Heartbeat, Push, Receiver
from router.privacy.access import Viewer

log = logging.getLogger("leadrouter.realtime")

SendText = Callable[[str], Awaitable[None]]
CloseSocket = Callable[[int, str], Awaitable[None]]


class BoardConnection:
    """A socket's queue and position; the hub offers items, `run` sends them after the replay.

    The connection is attached to the hub before its replay is read, so every event is either in the
    replay or offered live (or both: `last_sent` drops the second copy).
    """

    def __init__(
        self,
        *,
        viewer: Viewer,
        after: int | None,
        send_text: SendText,
        close: CloseSocket,
        session_key: str | None = None,
    ) -> None:
        self.viewer = viewer
        self.session_key = session_key
        """Which login session this board belongs to, for the audit of what was pushed to it."""
        self.after = after
        self.last_sent = after or 0
        self._send_text = send_text
        self._close = close
        self._queue: asyncio.Queue[Push | Heartbeat | Closing] = asyncio.Queue()
        self._too_slow = False
        self.closed_with: int | None = None
        self._sending_since: float | None = None
        self._runner: asyncio.Task[None] | None = None

    def offer(self, item: Push | Heartbeat | Closing) -> bool:
        """Queue an item without waiting (False: a push this board's viewer may not see, dropped).

        A socket too far behind is closed and will replay.
        """
        if isinstance(item, Push) and not item.reaches(self.viewer):
            return False
        if self._queue.qsize() >= BOARD_QUEUE_LIMIT:
            self._too_slow = True
        self._queue.put_nowait(item)
        return True

    def receipt(self, push: Push) -> Receiver:
        """Who received `push`, for the audit (flagged with the grant when seen only by break-glass)."""
        viewer = self.viewer
        grant = None
        if viewer.break_glass is not None and viewer.sees_by_break_glass(push):
            grant = viewer.break_glass.grant_id
        return (viewer.user_id, self.session_key, grant)

    def update_viewer(self, viewer: Viewer) -> None:
        """The session check found a changed scope (a location added or removed)."""
        self.viewer = viewer

    async def _send(self, text: str) -> None:
        # No timer per send (a push is sent once per board: 10,000 sends a second at 100 leads/s and
        # 100 boards); the hub's periodic `abort_if_stalled` ends a send blocked too long instead.
        self._sending_since = time.monotonic()
        await self._send_text(text)
        self._sending_since = None

    def abort_if_stalled(self, now: float) -> bool:
        """Stop a board whose send has been blocked past SEND_TIMEOUT_SECONDS (a dead or stuck client)."""
        since = self._sending_since
        if since is None or now - since < SEND_TIMEOUT_SECONDS or self._runner is None:
            return False
        self._runner.cancel()
        return True

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code
        await self._close(code, reason)

    async def run(
        self, *, replay: Callable[[int], Awaitable[list[Push] | None]], renderer: BoardRenderer
    ) -> None:
        """Replay what the board missed, then send live items until told to close."""
        self._runner = asyncio.current_task()
        missed = await replay(self.after) if self.after is not None else None
        if missed is None:
            await self._send(renderer.reset("too-far-behind"))
            await self.close(CLOSE_RESET, "re-render the board")
            return
        for push in missed:
            if push.event_id > self.last_sent and push.reaches(self.viewer):
                await self._send(push.html)
                self.last_sent = push.event_id
        while True:
            item = await self._queue.get()
            if self._too_slow:
                await self.close(CLOSE_TRY_AGAIN, "too far behind, reconnect")
                return
            if isinstance(item, Closing):
                await self.close(item.code, item.reason)
                return
            if isinstance(item, Push):
                if item.event_id > self.last_sent:
                    await self._send(item.html)
                    self.last_sent = item.event_id
            elif isinstance(item, Heartbeat):
                self.last_sent = max(self.last_sent, item.position)
                await self._send(renderer.heartbeat(self.last_sent))
