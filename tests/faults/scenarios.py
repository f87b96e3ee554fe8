"""The fault scenarios, each returning its line of the table with any problem found.

A scenario fails unless its fault landed in the window it targets: requests in flight when a server
or process was struck, a sweep part-way done when the worker was killed, requests truly concurrent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from router.core.errors import ActionRefused
from router.core.models import Lead, StaffLocation, StaffUser, Touchpoint
from router.leads.actions import claim_lead
from router.privacy.audit import Actor
from tests.factories import signed, viewer_of
from tests.faults.checks import (
    Board,
    Outcome,
    audit_intact,
    board_has_every_event_once_in_order,
    escalated,
    escalated_exactly_once,
    first_answers,
    latest_event,
    leads_of_practice,
    make_overdue,
    nothing_lost_or_doubled,
    sweep_now,
)
from tests.faults.load import Delivery, Load, peak_concurrency, person, server_errors
from tests.faults.world import World

HTTP_TIMEOUT = httpx.Timeout(15.0)
OVERDUE_PER_SCENARIO = 10
"""Leads past their deadline when the fault strikes: each must escalate exactly once afterwards."""


async def under_load(
    world: World,
    name: str,
    fault: Callable[[], Any],
    *,
    rate: float,
    seconds: float,
    strike_after: float,
    boards: int = 1,
    board_port: int | None = None,
    landed: Callable[[Load, list[Board]], list[str]] | None = None,
) -> Outcome:
    """Inquiries at `rate` a second for `seconds`, `boards` boards watching (through `board_port` when
    given), overdue leads waiting; `fault` strikes after `strike_after` seconds while a request is in
    flight; then every check, and `landed`'s own (did the fault strike what it targets?)."""
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        overdue = await make_overdue(world, http, OVERDUE_PER_SCENARIO)
        before, start_event = await leads_of_practice(world), await latest_event(world)
        token = await world.board_token()
        watching = [Board(world, token, start_event, port=board_port) for _ in range(boards)]
        for board in watching:
            board.start()
        load = Load(world.webhook, world.practice.secret)
        runner = asyncio.create_task(load.run(http, rate=rate, seconds=seconds))
        strike = await load.strike(fault, after=strike_after)
        await runner
        await world.wait_ready()
        await world.runtime.engine.dispose()  # the test's own pooled connections died with the server
        outcome = await nothing_lost_or_doubled(world, load, http, before)
    outcome.scenario, outcome.in_flight = name, strike.in_flight
    outcome.recover_seconds = load.recovered_after(strike)
    if strike.in_flight == 0:
        outcome.problems.append("the fault struck with no request in flight")
    if landed is not None:
        outcome.problems += landed(load, watching)
    for board in watching:
        outcome.problems += await board_has_every_event_once_in_order(world, board, start_event)
        await board.stop()
    outcome.problems += await escalated_exactly_once(world, overdue)
    outcome.problems += await audit_intact(world)
    return outcome


async def postgres_restart(
    world: World, *, rate: float = 25, seconds: float = 6, mode: str = "fast"
) -> Outcome:
    return await under_load(
        world,
        f"PostgreSQL restart ({mode})",
        lambda: world.restart_postgres(mode),
        rate=rate,
        seconds=seconds,
        strike_after=seconds / 3,
    )


async def redis_kill(world: World, *, rate: float = 25, seconds: float = 6, down: float = 2.0) -> Outcome:
    def fault() -> None:
        world.kill_redis()
        time.sleep(down)
        world.start_redis()

    return await under_load(
        world, "Redis SIGKILL and restart", fault, rate=rate, seconds=seconds, strike_after=seconds / 4
    )


async def web_kill(world: World, *, rate: float = 25, seconds: float = 6) -> Outcome:
    async def fault() -> None:
        world.kill(world.web)
        await world.start_web()

    return await under_load(
        world, "web SIGKILL under load", fault, rate=rate, seconds=seconds, strike_after=1.5
    )


async def worker_kill_mid_sweep(world: World, *, overdue: int = 120) -> Outcome:
    """Many overdue leads, one sweep; the worker is killed when part of them escalated."""
    outcome = Outcome("worker SIGKILL mid-sweep", requests=overdue)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        ids = await make_overdue(world, http, overdue)
    outcome.ok = overdue
    started = time.monotonic()
    await sweep_now(world)
    done = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = await escalated(world, ids)
        if done > 0:
            break
        await asyncio.sleep(0.005)
    world.kill(world.worker)
    at_kill = await escalated(world, ids)
    outcome.in_flight = overdue - at_kill
    if not 0 < at_kill < overdue:
        outcome.problems.append(f"the worker was killed with {at_kill} of {overdue} escalated, not mid-sweep")
    world.start_worker()
    await world.wait_worker()
    outcome.problems += await escalated_exactly_once(world, ids)
    outcome.recover_seconds = time.monotonic() - started
    outcome.problems += await audit_intact(world)
    return outcome


async def _post_all(world: World, http: httpx.AsyncClient, deliveries: list[Delivery]) -> list[str]:
    """All at once (released together), then the retries until each is 2xx; any 5xx but 503 is a problem."""
    load = Load(world.webhook, world.practice.secret)
    gate = asyncio.Event()

    async def send(delivery: Delivery) -> None:
        await gate.wait()
        await load.post(http, delivery)

    tasks = [asyncio.create_task(send(d)) for d in deliveries]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*tasks)
    load.deliveries = deliveries
    await load.resend_failures(http)
    return server_errors(load.answers)


def _overlapping(deliveries: list[Delivery]) -> bool:
    """True when many requests were in flight together (the race was real, not a queue)."""
    return peak_concurrency(deliveries) >= min(len(deliveries), 10)


async def identical_deliveries(world: World, *, count: int = 50) -> Outcome:
    """The same delivery (webhook id and body) `count` times at once: one lead, every answer names it."""
    outcome = Outcome(f"{count} identical deliveries", requests=count)
    body, webhook_id = person(), f"msg_{uuid.uuid4().hex}"
    deliveries = [Delivery(webhook_id, body) for _ in range(count)]
    before = await leads_of_practice(world)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        outcome.problems += await _post_all(world, http, deliveries)
    outcome.ok = sum(1 for d in deliveries if d.first_status and 200 <= d.first_status < 300)
    outcome.answers = first_answers(deliveries)
    outcome.duplicates = await leads_of_practice(world) - before - 1
    if len({d.lead_id for d in deliveries}) != 1:
        outcome.problems.append("the answers name different leads")
    if not _overlapping(deliveries):
        outcome.problems.append("the deliveries did not overlap")
    return outcome


async def double_submits(world: World, *, people: int = 20) -> Outcome:
    """Each of `people` submits the same form twice at once (two webhook ids): one open lead each."""
    outcome = Outcome(f"{people} simultaneous double-submits", requests=2 * people)
    bodies = [person() for _ in range(people)]
    deliveries = [Delivery(f"msg_{uuid.uuid4().hex}", body) for body in bodies for _ in range(2)]
    before = await leads_of_practice(world)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        outcome.problems += await _post_all(world, http, deliveries)
    outcome.ok = sum(1 for d in deliveries if d.first_status and 200 <= d.first_status < 300)
    outcome.answers = first_answers(deliveries)
    outcome.duplicates = await leads_of_practice(world) - before - people
    if any(deliveries[2 * n].lead_id != deliveries[2 * n + 1].lead_id for n in range(people)):
        outcome.problems.append("a person's two submissions answered two leads")
    if not _overlapping(deliveries):
        outcome.problems.append("the submissions did not overlap")
    return outcome


async def racing_merges(world: World, *, leads: int = 8, each: int = 4) -> Outcome:
    """For each of `leads` open leads, `each` follow-ups of the same person (merged into it) race
    `each` inquiries of a household member (same phone, another name: new leads pointing at it)."""
    outcome = Outcome("racing merges and household leads", requests=leads * each * 2)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        originals = [Delivery(f"msg_{uuid.uuid4().hex}", person()) for _ in range(leads)]
        outcome.problems += await _post_all(world, http, originals)
        racing = []
        for original in originals:
            for n in range(each):
                again = {**original.body, "message": f"again {n}"}
                kid = {**original.body, "first_name": f"Kid{n}", "email": f"kid{n}-{original.body['email']}"}
                racing += [
                    Delivery(f"msg_{uuid.uuid4().hex}", again),
                    Delivery(f"msg_{uuid.uuid4().hex}", kid),
                ]
        before = await leads_of_practice(world)
        outcome.problems += await _post_all(world, http, racing)
    outcome.ok = sum(1 for d in racing if d.first_status and 200 <= d.first_status < 300)
    outcome.answers = first_answers(racing)
    household = leads * each
    outcome.duplicates = await leads_of_practice(world) - before - household
    merged = [d for d in racing if "message" in d.body and d.body["message"].startswith("again")]
    if any(d.lead_id != o.lead_id for o in originals for d in merged if d.body["phone"] == o.body["phone"]):
        outcome.problems.append("a follow-up was not merged into the person's open lead")
    async with world.domain.sessionmaker() as session:
        pointing = await session.scalar(
            select(func.count()).where(Lead.household_lead_id.in_([uuid.UUID(o.lead_id) for o in originals]))
        )
        touchpoints = await session.scalar(
            select(func.count()).where(Touchpoint.lead_id.in_([uuid.UUID(o.lead_id) for o in originals]))
        )
    if pointing != household:
        outcome.problems.append(f"{pointing} household leads point at the originals, expected {household}")
    if touchpoints is not None and touchpoints < leads * (each + 1):
        outcome.problems.append(f"{touchpoints} touchpoints on the originals, expected {leads * (each + 1)}")
    if not _overlapping(racing):
        outcome.problems.append("the inquiries did not overlap")
    return outcome


async def racing_claims(world: World, *, staff: int = 50) -> Outcome:
    """`staff` people claim the same new lead at the same moment: exactly one wins."""
    outcome = Outcome(f"{staff} racing claims", requests=staff)
    domain, practice = world.domain, world.practice
    template = practice.staff["ana@bright.example"]
    location = next(iter(practice.locations.values()))
    async with domain.sessionmaker() as session, session.begin():
        users = [
            StaffUser(
                id=uuid.uuid4(),
                email=f"desk{n}-{uuid.uuid4().hex[:6]}@bright.example",
                display_name=f"Desk {n}",
                password_hash=template.password_hash,
                role="front_desk",
                practice_id=practice.practice.id,
                availability="busy",
            )
            for n in range(staff)
        ]
        session.add_all(users)
        await session.flush()
        session.add_all(StaffLocation(user_id=user.id, location_id=location.id) for user in users)
    viewers = [await viewer_of(domain, user) for user in users]
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        raw, headers = signed(person(), practice.secret)
        lead_id = uuid.UUID((await http.post(world.webhook, content=raw, headers=headers)).json()["lead_id"])
    gate = asyncio.Event()

    async def claim(viewer: Any) -> bool:
        await gate.wait()
        await claim_lead(domain, viewer, lead_id, actor=Actor("user", str(viewer.user_id)))
        return True  # a lost race raises ActionRefused

    tasks = [asyncio.create_task(claim(v)) for v in viewers]
    await asyncio.sleep(0.05)
    gate.set()
    won = await asyncio.gather(*tasks, return_exceptions=True)
    outcome.ok = sum(1 for w in won if w is True)
    errors = [w for w in won if isinstance(w, BaseException) and not isinstance(w, ActionRefused)]
    async with domain.sessionmaker() as session:
        holder = await session.scalar(select(Lead.claimed_by_user_id).where(Lead.id == lead_id))
    if holder not in {u.id for u in users}:
        outcome.problems.append("nobody holds the lead")
    if outcome.ok != 1:
        outcome.problems.append(f"{outcome.ok} claims won")
    if errors:
        outcome.problems.append(f"{len(errors)} claims failed: {type(errors[0]).__name__}")
    return outcome
