"""The per-process hub: Redis rings, one query reads the new events, each is rendered once and fanned out.

The domain-event table is the truth and Redis only the doorbell: a lost message is found by the
periodic poll, and after a Redis reconnect the hub reads everything past its position at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from realtime import constants
from realtime.announcer import RedisAnnouncer
from realtime.connection import BoardConnection
from realtime.constants import ACCESS_CHANGED, CONFIG_CHANGED
from realtime.pushes import BoardRenderer, Closing, CommittedEvent, Heartbeat, Push, Receiver
from router.core.db_errors import FailureLog
from router.core.events import latest_event_id
from router.core.models import DomainEvent
from router.core.prepared import PreparedStatement

log = logging.getLogger("leadrouter.realtime")

PresenceHook = Callable[[set[uuid.UUID]], Awaitable[object]]
"""A board that got a push: its user and its login session."""
DeliveryHook = Callable[[list[tuple[Push, list[Receiver]]]], Awaitable[object]]
ConfigHook = Callable[[set[uuid.UUID]], object]
"""Practices whose configuration changed (a `practice.configured` event): the process drops its copies."""


_EVENTS_AFTER = PreparedStatement(
    select(*(DomainEvent.__table__.c[field.name] for field in dataclasses.fields(CommittedEvent)))
    .where(DomainEvent.id > bindparam("after"))
    .order_by(DomainEvent.id)
    .limit(bindparam("limit"))
)
"""Run for every doorbell: one statement, no transaction around it (it only reads committed rows).
Its columns are CommittedEvent's fields, in their order."""


async def events_after(
    sessionmaker: async_sessionmaker[AsyncSession], after: int, *, limit: int
) -> list[CommittedEvent]:
    """Committed events with id > after, oldest first (ids increase in commit order)."""
    async with sessionmaker() as session:
        rows = await _EVENTS_AFTER.fetch(session, {"after": after, "limit": limit})
    return [CommittedEvent(*row) for row in rows]


async def _latest_event_id(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return await latest_event_id(session)


class BoardHub:
    """Fans committed domain events out to this process's boards, filtered by what each viewer may see."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        channel: str,
        renderer: BoardRenderer,
        on_presence: PresenceHook | None = None,
        on_delivered: DeliveryHook | None = None,
        on_config_changed: ConfigHook | None = None,
        now: Callable[[], datetime],
        announcer: RedisAnnouncer | None = None,
        poll_seconds: float = constants.POLL_SECONDS,
        heartbeat_seconds: float = constants.HEARTBEAT_SECONDS,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._channel = channel
        self.renderer = renderer
        self._on_presence = on_presence
        self._on_delivered = on_delivered
        self._on_config_changed = on_config_changed
        self._now = now
        """The domain's clock (read at each use: a test may replace the domain's clock)."""
        self._announcer = announcer
        """This process's announcer, which rings the hub directly for the events written here."""
        self._poll_seconds = poll_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self.session_recheck_seconds = constants.SESSION_RECHECK_SECONDS
        """How often each board's session is checked again (tests shorten it)."""
        self.stop_seconds = constants.STOP_SECONDS
        """How long `stop` waits for the hub's own tasks (tests shorten it)."""
        self.boards: set[BoardConnection] = set()
        self.position = 0
        self.pubsub_connected = asyncio.Event()
        self._doorbell = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: object | None = None
        self._access_changed = asyncio.Event()
        """Replaced each time it is set: a waiter wakes once per change of someone's sign-in or scope."""
        self._unreported: list[tuple[Push, list[uuid.UUID]]] = []
        self._reporter: asyncio.Task[None] | None = None
        self._audits = FailureLog(log, "auditing board pushes")
        """One line per database outage, not one traceback per batch of pushes."""

    async def start(self) -> None:
        """Take the current position and start listening; boards attach from now on."""
        self.position = await _latest_event_id(self._sessionmaker)
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listen"),
            asyncio.create_task(self._deliver_forever(), name="hub-deliver"),
            asyncio.create_task(self._beat_forever(), name="hub-heartbeat"),
        ]
        if self._announcer is not None:
            self._announcer.ring_locally(self.ring)

    async def stop(self) -> None:
        """Tell boards to reconnect elsewhere, then stop listening."""
        if self._announcer is not None:
            self._announcer.stop_ringing(self.ring)
        for board in list(self.boards):
            board.offer(Closing(constants.CLOSE_SERVICE_RESTART, "server restarting"))
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            done, stuck = await asyncio.wait(self._tasks, timeout=self.stop_seconds)
            for task in done:
                with contextlib.suppress(asyncio.CancelledError):
                    task.exception()  # retrieved: a task that failed while stopping is not news
            for task in stuck:
                log.warning(
                    "hub task %s did not stop within %.0f s; left behind", task.get_name(), self.stop_seconds
                )
        self._tasks = []

    def wake(self) -> None:
        """Ring the doorbell: new events may be waiting."""
        self._doorbell.set()

    def attach(self, board: BoardConnection) -> None:
        self.boards.add(board)

    def detach(self, board: BoardConnection) -> None:
        self.boards.discard(board)

    async def serve(self, board: BoardConnection) -> None:
        """Attach a board, replay what it missed, stream until it closes, then detach it."""
        self.attach(board)
        try:
            await board.run(replay=lambda after: self.replay(after, board), renderer=self.renderer)
        finally:
            self.detach(board)

    async def replay(self, after: int, board: BoardConnection) -> list[Push] | None:
        """The pushes after `after` for one board, or None when it is too far behind to replay."""
        if after < 0 or after > await _latest_event_id(self._sessionmaker):
            return None
        events = await events_after(self._sessionmaker, after, limit=constants.MAX_REPLAY_EVENTS + 1)
        if len(events) > constants.MAX_REPLAY_EVENTS:
            return None
        if events and events[0].created_at < self._now() - constants.MAX_REPLAY_AGE:
            return None
        pushes = [push for push in await self.renderer.render(events) if push.reaches(board.viewer)]
        self._report([(push, [board.receipt(push)]) for push in pushes])
        return pushes

    async def deliver_once(self) -> int:
        """Read the events past the hub's position (one query), render each once, offer to boards."""
        delivered = 0
        while True:
            events = await events_after(self._sessionmaker, self.position, limit=constants.FETCH_BATCH)
            if not events:
                return delivered
            if any(event.kind == ACCESS_CHANGED for event in events):
                self._wake_access_checks()
            configured = {e.practice_id for e in events if e.kind == CONFIG_CHANGED and e.practice_id}
            if configured and self._on_config_changed is not None:
                self._on_config_changed(configured)
            if not self.boards:  # nobody to push to: skip rendering, a board that connects replays
                self.position = max(self.position, events[-1].id)
                delivered += len(events)
                continue
            pushes = await self.renderer.render(events)
            report = []
            for push in pushes:
                receivers = []
                for board in list(self.boards):
                    if board.offer(push):
                        receivers.append(board.receipt(push))
                if receivers:
                    report.append((push, receivers))
            self.position = max(self.position, events[-1].id)
            delivered += len(events)
            self._report(report)

    def _wake_access_checks(self) -> None:
        changed, self._access_changed = self._access_changed, asyncio.Event()
        changed.set()

    async def until_access_changes(self, longest: float) -> None:
        """Wait until someone's sessions end or scope changes (every board then re-checks), or `longest` s."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._access_changed.wait(), longest)

    def _report(self, deliveries: list[tuple[Push, list[Receiver]]]) -> None:
        """Hand the deliveries to the audit hook in the background (never on the delivery path).

        One writer at a time takes everything pending, so a burst costs a few large writes and never
        more than one database connection, however far the audit falls behind.
        """
        if self._on_delivered is None or not deliveries:
            return
        self._unreported.extend(deliveries)
        if self._reporter is None or self._reporter.done():
            self._reporter = asyncio.create_task(self._report_pending())

    async def _report_pending(self) -> None:
        assert self._on_delivered is not None
        while self._unreported:
            batch, self._unreported = self._unreported, []
            try:
                await self._on_delivered(batch)
            except Exception as exc:  # known flaw: the pushes of a database outage go unaudited
                self._audits.failed(
                    exc, f"{len(batch)} board pushes (and any more until it works) not audited"
                )
            else:
                self._audits.worked()

    async def _deliver_forever(self) -> None:
        reads = FailureLog(log, "hub reading new events")  # once per outage, not once per poll
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._doorbell.wait()
            self._doorbell.clear()
            try:
                await self.deliver_once()
            except Exception as exc:  # the database may be failing over; the next ring or poll retries
                reads.failed(exc, "boards wait, and the hub keeps trying")
                await asyncio.sleep(self._poll_seconds)
                continue
            reads.worked()

    async def _listen(self) -> None:
        """Subscribe to the doorbell channel; on every (re)subscribe read what may have been missed."""
        attempt = 0
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub = pubsub
            try:
                await pubsub.subscribe(self._channel)
                attempt = 0
                self.pubsub_connected.set()
                self.wake()
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None and message.get("type") == "message":
                        self._ring(message.get("data"))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, RuntimeError) as exc:
                self.pubsub_connected.clear()
                delay = constants.REDIS_RETRY_SECONDS[min(attempt, len(constants.REDIS_RETRY_SECONDS) - 1)]
                attempt += 1
                log.warning("hub lost Redis (%s); resubscribing in %.1fs", exc, delay)
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(constants.STOP_SECONDS):  # a dead socket may never close
                        await pubsub.aclose()

    def _ring(self, data: bytes | str | None) -> None:
        try:
            ids: Sequence[int] = json.loads(data or "[]")
        except (TypeError, ValueError):
            ids = []
        self.ring(ids)

    def ring(self, ids: Sequence[int]) -> None:
        """Wake only for events past our position (another hub's replay, or events this process
        announced and the hub has already read, need nothing from us); no ids: look anyway."""
        if not ids:
            self.wake()
            return
        newest = max(ids)
        if newest <= self.position:
            return
        if not self.boards:
            # Nobody to push to, so nothing to read: a board that attaches later replays from its
            # own position. Announced ids are committed, and so is every smaller id (ids follow
            # commit order under the event-ordering lock).
            self.position = newest
            return
        self.wake()

    async def _beat_forever(self) -> None:
        since_presence = 0.0
        presence = FailureLog(log, "recording presence")
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            beat = Heartbeat(self.position)
            now = time.monotonic()
            for board in list(self.boards):
                if board.abort_if_stalled(now):
                    log.warning("closed a board whose send was stuck (dead or stalled client)")
                    continue
                board.offer(beat)
            since_presence += self._heartbeat_seconds
            if self._on_presence and since_presence >= constants.PRESENCE_TOUCH_SECONDS:
                since_presence = 0.0
                try:
                    await self._on_presence({board.viewer.user_id for board in self.boards})
                except Exception as exc:
                    presence.failed(exc, "the next beat tries again")
                else:
                    presence.worked()
