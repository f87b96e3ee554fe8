"""Longer database faults and cut websockets, under load: a PostgreSQL outage of many seconds,
PostgreSQL turned read-only, and boards whose connections are cut mid-stream.

Each runs `scenarios.under_load` (inquiries, boards, overdue leads, then every check) and adds its
own proof that the fault landed: answers that were 503 because of it, boards that really reconnected.
"""

from __future__ import annotations

import asyncio
import time

from tests.faults.checks import Board, Outcome
from tests.faults.load import Load
from tests.faults.scenarios import under_load
from tests.faults.world import World
from tests.tcp_gate import TcpGate

RECOVERY_SECONDS = 4.0
"""Load kept up after a database comes back, so requests answered 2xx after it are seen."""


def answered_503_while_down(load: Load) -> list[str]:
    """The fault must have turned some first attempts away, each with 503 (nothing else but 2xx)."""
    first = [d.first_status for d in load.deliveries]
    problems = []
    if not any(status == 503 for status in first):
        problems.append("no request was answered 503: the fault did not reach the requests")
    if other := sorted({str(s) for s in first if s is None or not (200 <= s < 300 or s == 503)}):
        problems.append(f"first attempts answered {', '.join(other)}, not 2xx or 503")
    return problems


async def postgres_outage(
    world: World, *, down: float = 20.0, rate: float = 8, strike_after: float = 1.5
) -> Outcome:
    """PostgreSQL stopped for `down` seconds, then started, while inquiries arrive and boards watch."""

    def fault() -> None:
        world.stop_postgres("fast")
        time.sleep(down)
        world.start_postgres()

    return await under_load(
        world,
        f"PostgreSQL down {down:.0f} s",
        fault,
        rate=rate,
        seconds=strike_after + down + RECOVERY_SECONDS,
        strike_after=strike_after,
        boards=2,
        landed=lambda load, _: answered_503_while_down(load),
    )


async def postgres_read_only(
    world: World, *, read_only: float = 3.0, rate: float = 15, strike_after: float = 1.5
) -> Outcome:
    """Every new transaction read-only for `read_only` seconds (ALTER SYSTEM and a reload), then writable."""

    async def fault() -> None:
        await world.set_read_only(True)
        try:
            await asyncio.sleep(read_only)
        finally:
            await world.set_read_only(False)

    return await under_load(
        world,
        f"PostgreSQL read-only {read_only:.0f} s",
        fault,
        rate=rate,
        seconds=strike_after + read_only + RECOVERY_SECONDS,
        strike_after=strike_after,
        landed=lambda load, _: answered_503_while_down(load),
    )


async def websocket_cuts(
    world: World, *, boards: int = 3, cuts: int = 3, rate: float = 10, seconds: float = 6
) -> Outcome:
    """Boards connected through a proxy whose every connection is reset `cuts` times mid-stream."""
    gate = TcpGate("127.0.0.1", world.web_port)
    open_at_cut: list[int] = []

    async def fault() -> None:
        for _ in range(cuts):
            open_at_cut.append(gate.open_connections)
            gate.cut()
            await asyncio.sleep(0.05)
            gate.restore()
            await asyncio.sleep(seconds / (cuts + 2))

    def landed(_: Load, watching: list[Board]) -> list[str]:
        problems = []
        if any(n < boards for n in open_at_cut):
            problems.append(f"a cut found fewer than {boards} boards connected ({open_at_cut})")
        if short := [b.connections for b in watching if b.connections < cuts + 1]:
            problems.append(f"boards connected {short} times, not after every one of {cuts} cuts")
        return problems

    try:
        return await under_load(
            world,
            f"websocket cuts ({boards} boards, {cuts} cuts)",
            fault,
            rate=rate,
            seconds=seconds,
            strike_after=1.0,
            boards=boards,
            board_port=gate.port,
            landed=landed,
        )
    finally:
        gate.close()
