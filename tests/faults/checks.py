"""What must hold after every fault: nothing answered 2xx is lost, retries create exactly what is
missing, boards have every event once and in order, overdue leads escalate once, the audit chain
verifies."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select, text, update
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from router.core.models import DomainEvent, Lead, ManagerAlert
from router.privacy import audit
from router.privacy.audit_chain import read_heads, verify_chain
from tests.faults.load import Delivery, Load, person, server_errors
from tests.faults.world import World

MARKER = re.compile(r'<output id="board-position"[^>]*>')


@dataclass
class Outcome:
    """One scenario's line of the table."""

    scenario: str
    requests: int = 0
    ok: int = 0
    lost: int = 0
    duplicates: int = 0
    recover_seconds: float | None = None
    in_flight: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    """First attempts' answers by status ("none": no answer at all)."""
    problems: list[str] = field(default_factory=list)


def first_answers(deliveries: list[Delivery]) -> dict[str, int]:
    return dict(sorted(Counter(str(d.first_status).lower() for d in deliveries).items()))


async def leads_of_practice(world: World) -> int:
    async with world.domain.sessionmaker() as session:
        return int(
            await session.scalar(select(func.count()).where(Lead.practice_id == world.practice.practice.id))
            or 0
        )


async def nothing_lost_or_doubled(world: World, load: Load, http: httpx.AsyncClient, before: int) -> Outcome:
    """Every first-time 2xx lead exists; re-sending the rest (same webhook ids) creates exactly those."""
    outcome = Outcome("", requests=len(load.deliveries))
    answered = [d for d in load.deliveries if d.first_status is not None and 200 <= d.first_status < 300]
    outcome.ok = len(answered)
    outcome.answers = first_answers(load.deliveries)
    ids = [uuid.UUID(d.lead_id) for d in answered if d.lead_id]
    async with world.domain.sessionmaker() as session:
        stored = set((await session.scalars(select(Lead.id).where(Lead.id.in_(ids)))).all())
    outcome.lost = len(set(ids) - stored)
    await load.resend_failures(http)
    outcome.problems += server_errors(load.answers)
    if bare := load.unavailable_without_retry_after:
        outcome.problems.append(f"{bare} answers were 503 without Retry-After")
    for delivery in answered[:10]:  # a retry of a stored one answers the same lead, stores nothing
        first = delivery.lead_id
        await load.post(http, delivery)
        if delivery.lead_id != first:
            outcome.problems.append(f"a retry of {delivery.webhook_id} answered another lead")
    after = await leads_of_practice(world)
    outcome.duplicates = after - before - len(load.deliveries)
    if len({d.lead_id for d in load.deliveries}) != len(load.deliveries):
        outcome.problems.append("two deliveries of different people answered the same lead")
    return outcome


class Board:
    """A board that reconnects after every cut, resuming after the last event id it saw."""

    def __init__(self, world: World, token: str, after: int, *, port: int | None = None) -> None:
        self.world, self.token, self.last = world, token, after
        self.port = port or world.web_port
        """Where it connects: the web process, or a proxy in front of it that a test can cut."""
        self.seen: list[int] = []
        self.connections = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        ws_url = f"ws://127.0.0.1:{self.port}/board/ws"
        while not self._stop:
            try:
                async with connect(
                    f"{ws_url}?after={self.last}",
                    origin=self.world.url,
                    additional_headers={"Cookie": f"lr_session={self.token}"},
                    open_timeout=5,
                    compression=None,
                ) as ws:
                    self.connections += 1
                    async for message in ws:
                        self._take(str(message))
            except (OSError, WebSocketException, TimeoutError):
                pass
            await asyncio.sleep(0.2)

    def _take(self, message: str) -> None:
        tag = MARKER.search(message)
        if not tag:
            return
        data = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0)))
        if "last-event-id" in data and data.get("event-kind") != "heartbeat":
            event_id = int(data["last-event-id"])
            if event_id > self.last:
                self.last = event_id
            self.seen.append(event_id)

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def latest_event(world: World) -> int:
    async with world.domain.sessionmaker() as session:
        return int(await session.scalar(select(func.coalesce(func.max(DomainEvent.id), 0))) or 0)


async def board_has_every_event_once_in_order(world: World, board: Board, start: int) -> list[str]:
    """The board's events after `start`: strictly increasing, and every lead created since is there."""
    async with world.domain.sessionmaker() as session:
        created = set(
            (
                await session.scalars(
                    select(DomainEvent.id).where(DomainEvent.id > start, DomainEvent.kind == "lead.created")
                )
            ).all()
        )
    deadline = time.monotonic() + 20
    while not created <= set(board.seen) and time.monotonic() < deadline:  # noqa: ASYNC110 (polls a list)
        await asyncio.sleep(0.1)
    problems = []
    if missing := created - set(board.seen):
        problems.append(f"the board missed {len(missing)} of {len(created)} new leads")
    if board.seen != sorted(set(board.seen)):
        repeated = [i for i, n in Counter(board.seen).items() if n > 1]
        problems.append(f"the board's events are out of order or repeated ({repeated[:5]})")
    return problems


async def make_overdue(world: World, http: httpx.AsyncClient, count: int) -> list[uuid.UUID]:
    """`count` new leads whose response deadline has just passed."""
    load = Load(world.webhook, world.practice.secret)
    deliveries = [Delivery(f"msg_{uuid.uuid4().hex}", person()) for _ in range(count)]
    for chunk in range(0, count, 25):
        await asyncio.gather(*(load.post(http, d) for d in deliveries[chunk : chunk + 25]))
    load.deliveries = deliveries
    await load.resend_failures(http)  # a busy machine may answer 503 (retry later): the retry is stored once
    ids = [uuid.UUID(d.lead_id) for d in deliveries if d.lead_id]
    async with world.domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead).where(Lead.id.in_(ids)).values(sla_due_at=func.now() - text("interval '1 second'"))
        )
    return ids


async def sweep_now(world: World) -> None:
    """Enqueue one escalation sweep now, as the worker's own cron would."""
    await world.runtime.redis.enqueue_job(
        "cron:sweep_overdue_task",
        _job_id=f"fault-sweep-{uuid.uuid4().hex}",
        _queue_name=world.runtime.settings.redis.queue_name,
    )


async def escalated(world: World, ids: list[uuid.UUID]) -> int:
    async with world.domain.sessionmaker() as session:
        return int(
            await session.scalar(select(func.count()).where(Lead.id.in_(ids), Lead.escalation_level >= 1))
            or 0
        )


async def escalated_exactly_once(world: World, ids: list[uuid.UUID], within: float = 60) -> list[str]:
    deadline = time.monotonic() + within
    next_sweep = 0.0
    while (done := await escalated(world, ids)) < len(ids):
        if time.monotonic() > deadline:
            return [f"{len(ids) - done} of {len(ids)} overdue leads never escalated"]
        if time.monotonic() >= next_sweep:
            await sweep_now(world)
            next_sweep = time.monotonic() + 3.0
        await asyncio.sleep(0.1)
    async with world.domain.sessionmaker() as session:
        alerts = Counter(
            (
                await session.execute(
                    select(ManagerAlert.lead_id, ManagerAlert.level).where(ManagerAlert.lead_id.in_(ids))
                )
            ).all()
        )
        events = Counter(
            (
                await session.scalars(
                    select(DomainEvent.lead_id).where(
                        DomainEvent.lead_id.in_(ids), DomainEvent.kind == "lead.escalated"
                    )
                )
            ).all()
        )
    problems = []
    if twice := [key for key, n in alerts.items() if n > 1]:
        problems.append(f"{len(twice)} alerts recorded twice")
    if [lead for lead, n in events.items() if n > 1]:
        problems.append("a lead escalated twice")
    return problems


async def audit_intact(world: World) -> list[str]:
    key = audit.chain_key(world.runtime.settings.security.audit_key)
    while await audit.seal_pending(world.domain.sessionmaker, key=key):
        pass
    async with world.domain.sessionmaker() as session:
        report = await verify_chain(
            session, key=key, heads=read_heads(world.runtime.settings.security.audit_head_file)
        )
    return [f"audit: {problem}" for problem in report.problems]
