"""Webhook to board: latency from sending a signed form webhook to its fragment arriving on live boards.

Starts one web process (`uvicorn --factory leadrouter.runtime:create_web_app`, compression off) on
a private database, connects N boards as websocket clients (signed-in managers of the bench
practice), sends signed webhooks at each rate for a few seconds, and prints p50/p95/p99 over every
(lead, board) arrival, plus the benchmark client's own CPU use (one process plays all boards and the
sender, so a saturated client inflates the figures).

    .venv/bin/python bench/board_bench.py [--boards 100] [--rates 25,50,100] [--seconds 5] [--big 500]
                                         [--async-commit]

It first times bare one-row commits on the same database (the disk's share of every figure below);
--async-commit is a diagnostic that stops commits waiting for the disk, never the product's setting.

Uses DATABASE_URL / REDIS_URL when set, else the local default servers, else embedded ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import asyncpg
import click
import numpy as np
from harness import (
    commit_latency,
    describe_commits,
    inquiry_payload,
    no_collector_pauses,
    private_services,
    process_cpu_seconds,
)
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.typing import Origin
from websockets.uri import parse_uri

from connectors.forms.signature import sign_delivery
from leadrouter.web_process import start_web_process, wait_until_ready

REPO = Path(__file__).resolve().parent.parent
WARMUP_LEADS = 20
"""Leads sent before timing: the first requests pay connection set-up and template compilation."""
DRAIN_SECONDS = 3.0
"""Time allowed after the last webhook for late fragments before counting what is missing."""
NAME = re.compile(r'class="lead-name" id="name-[^"]+">\w+ Bench(\d+)<')


async def _seed(boards: int) -> tuple[str, str, list[str]]:
    """The bench practice: one location, a form source, `boards` signed-in managers and the pooled
    scoring model the product trains on first start.

    Returns (form key, signing secret, session tokens).
    """
    from leadrouter.model_training import ensure_pooled_model
    from leadrouter.runtime import build_runtime
    from router.auth import hash_password, open_session
    from router.form_sources import create_form_source
    from router.models import Location, Practice, StaffLocation, StaffUser

    runtime = build_runtime()
    domain = runtime.domain
    tokens = []
    try:
        async with domain.sessionmaker() as session, session.begin():
            practice = Practice(
                id=uuid.uuid4(), slug="bench", name="Bench Dental", time_zone="America/Chicago"
            )
            session.add(practice)
            await session.flush()
            location = Location(
                id=uuid.uuid4(),
                practice_id=practice.id,
                slug="main",
                name="Main Office",
                time_zone="America/Chicago",
                zip="78701",
                latitude=30.27,
                longitude=-97.74,
            )
            session.add(location)
            _, secret = await create_form_source(
                session, domain, practice_id=practice.id, key="bench-form", name="Bench form"
            )
            password = hash_password("bench-password-1")
            users = [
                StaffUser(
                    id=uuid.uuid4(),
                    email=f"board{i}@bench.example",
                    display_name=f"Board {i}",
                    password_hash=password,
                    role="manager" if i else "front_desk",
                    practice_id=practice.id,
                )
                for i in range(boards + 1)
            ]
            session.add_all(users)
            await session.flush()
            for user in users:
                session.add(StaffLocation(user_id=user.id, location_id=location.id))
            for user in users[1:]:
                tokens.append(
                    await open_session(
                        session,
                        user,
                        settings=domain.settings.security,
                        now=domain.clock.now(),
                        ip=None,
                        user_agent="bench",
                    )
                )
        await ensure_pooled_model(domain)  # leads are scored and explained, as in the product
    finally:
        await runtime.close()
    return "bench-form", secret, tokens


class _BoardSocket(asyncio.Protocol):
    """One board's connection, driven by websockets' sans-I/O client protocol.

    No task, queue or future per message: each arrival is stamped as its bytes reach the process and
    kept as it is; the lead number is read out of the markup after the run. The client shares the
    machine's two cores with the server it measures, so its own cost per arrival is kept small.
    """

    def __init__(
        self, url: str, origin: str, cookie: str, keep: Callable[[tuple[float, bytes]], None]
    ) -> None:
        self.protocol = ClientProtocol(parse_uri(url), origin=Origin(origin), max_size=None)
        self._request = self.protocol.connect()
        self._request.headers["Cookie"] = cookie
        self._keep = keep
        self._partial: list[bytes] = []
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.protocol.send_request(self._request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self.opened.set_exception(self.protocol.handshake_exc)
                else:
                    self.opened.set_result(None)
            elif event.opcode in (Opcode.TEXT, Opcode.CONT):
                self._partial.append(event.data)
                if event.fin:
                    self._keep((now, b"".join(self._partial)))
                    self._partial.clear()
        self._flush()  # pongs, and the close handshake

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.protocol.send_close()
            self._flush()
            self.transport.close()


class Boards:
    """N websocket clients; records when each bench lead's fragment reaches each board."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        self.sockets: list[_BoardSocket] = []

    async def open(self, ws_url: str, origin: str, tokens: list[str], after: int) -> None:
        """Connect like a board page does: live from the position of the snapshot it just rendered."""
        loop = asyncio.get_running_loop()
        address = parse_uri(ws_url)

        async def one(token: str) -> None:
            _, socket = await loop.create_connection(
                lambda: _BoardSocket(
                    f"{ws_url}?after={after}", origin, f"lr_session={token}", self.received.append
                ),
                address.host,
                address.port,
            )
            await asyncio.wait_for(socket.opened, 30)
            self.sockets.append(socket)

        for start in range(0, len(tokens), 50):  # the server accepts handshakes fast, but not 500 at once
            await asyncio.gather(*(one(token) for token in tokens[start : start + 50]))

    def arrivals(self) -> dict[int, list[float]]:
        """Arrival times by lead number, from the created-lead fragments received so far."""
        found: dict[int, list[float]] = {}
        for at, raw in self.received:
            message = raw.decode()
            match = NAME.search(message)
            if match and "lead.created" in message:
                found.setdefault(int(match.group(1)), []).append(at)
        return found

    async def close(self) -> None:
        for socket in self.sockets:
            socket.close()


ANSWERED: list[float] = []
"""Milliseconds from sending each webhook to its 201 answer (the intake's share of the latency)."""
SCORED: list[bool] = []
"""Whether each answer carried a score (the model scored and explained the lead before storing it)."""


async def _drive(
    http: aiohttp.ClientSession, url: str, secret: str, *, first: int, count: int, rate: float
) -> dict[int, float]:
    """Send `count` signed webhooks at `rate` per second; returns each lead's send time."""
    sent: dict[int, float] = {}
    start = time.perf_counter()
    pending = []

    async def send(seq: int) -> None:
        body = json.dumps(inquiry_payload(seq)).encode()
        headers = sign_delivery(body, secret=secret, webhook_id=f"msg_{uuid.uuid4().hex}")
        headers["content-type"] = "application/json"
        sent[seq] = time.perf_counter()
        async with http.post(url, data=body, headers=headers) as response:
            answer = await response.read()
        ANSWERED.append((time.perf_counter() - sent[seq]) * 1000)
        if response.status != 201:
            raise RuntimeError(f"webhook answered {response.status}: {answer[:200]!r}")
        SCORED.append(json.loads(answer)["score"] is not None)

    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(send(first + i)))
    await asyncio.gather(*pending)
    return sent


async def _run_case(
    boards: Boards,
    http: aiohttp.ClientSession,
    url: str,
    secret: str,
    *,
    first: int,
    rate: float,
    seconds: float,
    n: int,
    web_pid: int,
) -> dict[str, float]:
    count = int(rate * seconds)
    ANSWERED.clear()
    SCORED.clear()
    cpu0, wall0, web0 = time.process_time(), time.perf_counter(), process_cpu_seconds(web_pid)
    sent = await _drive(http, url, secret, first=first, count=count, rate=rate)
    await asyncio.sleep(DRAIN_SECONDS)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    web = process_cpu_seconds(web_pid) - web0
    arrivals = boards.arrivals()
    boards.received.clear()
    samples = [(arrival - sent[seq]) * 1000 for seq in sent for arrival in arrivals.get(seq, [])]
    expected = count * n
    p50, p95, p99 = np.percentile(samples, [50, 95, 99]) if samples else (float("nan"),) * 3
    answered = float(np.percentile(ANSWERED, 50))
    return {
        "leads": count,
        "received": len(samples),
        "expected": expected,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "client_cpu": cpu / wall,
        "web_cpu_per_lead": web * 1000 / count,
        "answered_p50": answered,
        "scored": sum(SCORED),
    }


async def _latest_event_id(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT coalesce(max(id), 0) FROM domain_events"))
    finally:
        await connection.close()


async def _bench(
    base_url: str,
    dsn: str,
    secret: str,
    tokens: list[str],
    rates: list[float],
    seconds: float,
    web_pid: int,
) -> list[dict[str, float]]:
    boards = Boards()
    after = await _latest_event_id(dsn)
    await boards.open(base_url.replace("http://", "ws://") + "/board/ws", base_url, tokens, after)
    await asyncio.sleep(0.5)
    url = f"{base_url}/webhooks/forms/bench-form"
    results = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=30)
    ) as http:
        seq = 1_000_000 * len(tokens)
        await _drive(http, url, secret, first=seq, count=WARMUP_LEADS, rate=20)
        await asyncio.sleep(1)
        for rate in rates:
            seq += 100_000
            result = await _run_case(
                boards,
                http,
                url,
                secret,
                first=seq,
                rate=rate,
                seconds=seconds,
                n=len(tokens),
                web_pid=web_pid,
            )
            results.append({"boards": len(tokens), "rate": rate, **result})
            print(_row(results[-1]), flush=True)
    await boards.close()
    return results


def _row(r: dict[str, float]) -> str:
    return (
        f"{int(r['boards']):>6} boards {r['rate']:>5.0f} leads/s  {int(r['leads']):>4} leads  "
        f"p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
        f"(webhook answered p50 {r['answered_p50']:5.1f} ms)  "
        f"arrivals {int(r['received'])}/{int(r['expected'])}  scored {int(r['scored'])}/{int(r['leads'])}  "
        f"client CPU {100 * r['client_cpu']:.0f}% of a core  "
        f"web CPU {r['web_cpu_per_lead']:.1f} ms a lead"
    )


@click.command()
@click.option("--boards", default=100, show_default=True, help="Connected boards for the rate sweep.")
@click.option("--rates", default="25,50,100", show_default=True, help="Webhooks per second, comma-separated.")
@click.option("--seconds", default=5.0, show_default=True, help="Sending time per rate.")
@click.option(
    "--big", default=500, show_default=True, help="Boards of the large case (at the highest rate); 0 skips."
)
@click.option("--port", default=18765, show_default=True)
@click.option("--workers", default=1, show_default=True, help="uvicorn web processes sharing the port.")
@click.option(
    "--async-commit",
    is_flag=True,
    help="Diagnostic: commits stop waiting for the disk (synchronous_commit=off on the bench database).",
)
def main(
    boards: int, rates: str, seconds: float, big: int, port: int, workers: int, async_commit: bool
) -> None:
    """Measure webhook-to-board latency with N connected boards."""
    rate_list = [float(r) for r in rates.split(",") if r.strip()]
    with contextlib.ExitStack() as stack:
        services = private_services(stack, synchronous_commit=not async_commit)
        print(describe_commits(asyncio.run(commit_latency(services.dsn)), synchronous=not async_commit))
        env = {**services.env, "LEADROUTER_SECURE_COOKIES": "0", "LEADROUTER_DB_POOL_SIZE": "20"}
        os.environ.update(env)
        process = None
        try:
            most = max(boards, big)
            _, secret, tokens = asyncio.run(_seed(most))
            process = start_web_process(port, env, workers=workers)
            wait_until_ready(f"http://127.0.0.1:{port}", process, timeout=60)
            base = f"http://127.0.0.1:{port}"
            print(
                f"{workers} web process(es), {os.cpu_count()} CPUs, permessage-deflate off; "
                "latency = webhook sent -> fragment on a board"
            )
            dsn = services.dsn
            with no_collector_pauses():
                asyncio.run(_bench(base, dsn, secret, tokens[:boards], rate_list, seconds, process.pid))
                if big:
                    asyncio.run(
                        _bench(base, dsn, secret, tokens[:big], [max(rate_list)], seconds, process.pid)
                    )
            usage = resource.getrusage(resource.RUSAGE_SELF)
            print(f"benchmark client total CPU: user {usage.ru_utime:.1f}s system {usage.ru_stime:.1f}s")
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=15)


if __name__ == "__main__":
    main()
