"""Webhook to board: latency from sending a signed form webhook to its fragment arriving on live boards.

Starts one web process (`uvicorn --factory leadrouter.runtime:create_web_app`, compression off) on
a private database, connects N boards as websocket clients (signed-in managers of the bench
practice), sends signed webhooks at each rate for a few seconds, and prints p50/p95/p99 over every
(lead, board) arrival, plus the benchmark client's own CPU use (one process plays all boards and the
sender, so a saturated client inflates the figures).

    .venv/bin/python bench/board_bench.py [--boards 100] [--rates 25,50,100] [--seconds 5] [--big 500]
                                         [--async-commit] [--no-bare] [--busy 0.4] [--no-results]

Beside its figures it measures the floors of the same run: bare one-row commits on the same database
(the disk's share of every figure below), a CPU calibration (a fixed pure-Python workload, before and
after), and the bare broadcast: the product's own fragment sent to the same number of sockets by a
minimal Litestar app (bench/bare_broadcast.py) under the same uvicorn settings, at the same rates, with
this same client. Each case is then reported as ratios to those floors (p99 / bare p99, web CPU a lead /
bare CPU a broadcast, p99 / commit p99, web CPU / calibration) and the run is written to bench/results/.
--async-commit is a diagnostic that stops commits waiting for the disk, never the product's setting;
--busy keeps another process busy for that fraction of a core (issue 22's slow-phase emulation).

Uses DATABASE_URL / REDIS_URL when set, else the local default servers, else embedded ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import asyncpg
import click
import numpy as np
from bare_broadcast import FRAGMENT_ENV
from harness import (
    CpuCalibration,
    busy_neighbour,
    commit_latency,
    describe_commits,
    free_port,
    inquiry_payload,
    no_collector_pauses,
    private_services,
    process_cpu_seconds,
    result_options,
    wide_console,
)
from records import RunRecord, format_ratio, ratio
from rich.progress import Progress
from rich.table import Table
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.typing import Origin
from websockets.uri import parse_uri

from connectors.forms.signature import sign_delivery
from leadrouter.web_process import start_web_process, wait_until_ready
from router.core.clock import Clock

REPO = Path(__file__).resolve().parent.parent
WARMUP_LEADS = 20
"""Leads sent before timing: the first requests pay connection set-up and template compilation."""
DRAIN_SECONDS = 3.0
"""Time allowed after the last webhook for late fragments before counting what is missing."""
NAME = re.compile(r'class="lead-name" id="name-[^"]+">(?:<a href="[^"]*">)?\w+ Bench(\d+)<')


async def _seed(boards: int) -> tuple[str, str, list[str]]:
    """The bench practice: one location, a form source, `boards` signed-in managers and the pooled
    scoring model the product trains on first start.

    Returns (form key, signing secret, session tokens).
    """
    from leadrouter.model_training import ensure_pooled_model
    from leadrouter.runtime import build_runtime
    from router.core.models import Location, Practice, StaffLocation, StaffUser
    from router.intake.form_sources import create_form_source
    from router.privacy.auth import hash_password, open_session

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
        self.fragment: str | None = None
        """The first created-lead fragment seen: what the bare broadcast floor sends."""

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
                self.fragment = self.fragment or message
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
        headers = sign_delivery(body, secret=secret, webhook_id=f"msg_{uuid.uuid4().hex}", at=Clock().now())
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
    dsn: str | None,
    secret: str,
    tokens: list[str],
    rates: list[float],
    seconds: float,
    web_pid: int,
    boards: Boards,
    on_case: Callable[[dict[str, float]], None],
) -> list[dict[str, float]]:
    """Connect the boards (live from the latest event; `dsn` None: a server without an event log), then
    one case per rate."""
    after = await _latest_event_id(dsn) if dsn else 0
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
            on_case(results[-1])
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


def _measure(
    base_url: str,
    dsn: str | None,
    secret: str,
    tokens: list[str],
    groups: list[tuple[int, list[float]]],
    seconds: float,
    web_pid: int,
    on_case: Callable[[dict[str, float]], None],
) -> tuple[list[dict[str, float]], str | None]:
    """Every (boards, rates) group against one server; returns the cases and a fragment it sent."""
    results: list[dict[str, float]] = []
    fragment = None
    for count, rates in groups:
        boards = Boards()
        results += asyncio.run(
            _bench(base_url, dsn, secret, tokens[:count], rates, seconds, web_pid, boards, on_case)
        )
        fragment = fragment or boards.fragment
    return results, fragment


def _bare_broadcast(
    fragment: str,
    secret: str,
    tokens: list[str],
    groups: list[tuple[int, list[float]]],
    seconds: float,
    on_case: Callable[[dict[str, float]], None],
) -> list[dict[str, float]]:
    """The same cases against bench/bare_broadcast.py: the product's fragment, sent by a minimal app."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fragment.html"
        path.write_text(fragment, encoding="utf-8")
        port = free_port()
        process = start_web_process(
            port, {FRAGMENT_ENV: str(path)}, factory="bench.bare_broadcast:create_app"
        )
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", process, timeout=60)
            results, _ = _measure(
                f"http://127.0.0.1:{port}", None, secret, tokens, groups, seconds, process.pid, on_case
            )
        finally:
            process.terminate()
            process.wait(timeout=15)
    return results


def _case_name(case: dict[str, float]) -> str:
    return f"{int(case['boards'])} boards, {case['rate']:g}/s"


def _figures(case: dict[str, float]) -> dict[str, float | None]:
    return {
        "leads": case["leads"],
        "received": case["received"],
        "expected": case["expected"],
        "scored": case["scored"],
        "p50_ms": case["p50"],
        "p95_ms": case["p95"],
        "p99_ms": case["p99"],
        "answered_p50_ms": case["answered_p50"],
        "client_cpu_share": case["client_cpu"],
        "web_cpu_ms_per_lead": case["web_cpu_per_lead"],
    }


def _ratios(
    case: dict[str, float], bare: dict[str, float] | None, *, commit_p99_ms: float, calibration_ms: float
) -> dict[str, float | None]:
    return {
        "p99_per_bare_p99": ratio(case["p99"], bare["p99"]) if bare else None,
        "web_cpu_per_bare_cpu": ratio(case["web_cpu_per_lead"], bare["web_cpu_per_lead"]) if bare else None,
        "p99_per_commit_p99": ratio(case["p99"], commit_p99_ms),
        "web_cpu_per_calibration": ratio(case["web_cpu_per_lead"], calibration_ms),
    }


def _bare_floor(bare: dict[str, float], calibration_ms: float) -> dict[str, object]:
    """One bare broadcast case as the run file keeps it."""
    return {
        "phase": _case_name(bare),
        "p50_ms": bare["p50"],
        "p95_ms": bare["p95"],
        "p99_ms": bare["p99"],
        "cpu_ms_per_broadcast": bare["web_cpu_per_lead"],
        "cpu_per_calibration": ratio(bare["web_cpu_per_lead"], calibration_ms),
        "client_cpu_share": bare["client_cpu"],
        "received": bare["received"],
        "expected": bare["expected"],
    }


def _table(record: RunRecord, bare_cases: dict[str, dict[str, float]]) -> Table:
    table = Table(
        title="Webhook to fragment on live boards, against the floors of the same run",
        caption=(
            "bare: the same fragment to the same sockets by a minimal Litestar app "
            "(bench/bare_broadcast.py); commit: the commit probe's p99; cal: the CPU calibration"
        ),
    )
    for column in (
        "case",
        "p50 ms",
        "p99 ms",
        "bare p99",
        "p99/bare",
        "p99/commit",
        "web CPU ms/lead",
        "bare CPU ms",
        "CPU/bare",
        "CPU/cal",
        "arrivals",
    ):
        table.add_column(column, justify="right")
    for entry in record.phases:
        figures, ratios = entry["figures"], entry["ratios"]
        bare = bare_cases.get(entry["phase"])
        table.add_row(
            entry["phase"],
            _ms(figures["p50_ms"]),
            _ms(figures["p99_ms"]),
            _ms(bare["p99"]) if bare else "-",
            format_ratio(ratios["p99_per_bare_p99"]),
            format_ratio(ratios["p99_per_commit_p99"]),
            _ms(figures["web_cpu_ms_per_lead"]),
            _ms(bare["web_cpu_per_lead"]) if bare else "-",
            format_ratio(ratios["web_cpu_per_bare_cpu"]),
            format_ratio(ratios["web_cpu_per_calibration"]),
            f"{int(figures['received'])}/{int(figures['expected'])}",
        )
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _summary(record: RunRecord) -> str:
    """Each case against its floors, in a line."""
    return record.summary(
        [
            f"{entry['phase']}: p99 {_ms(entry['figures']['p99_ms'])} ms = "
            f"{format_ratio(entry['ratios']['p99_per_bare_p99'])} the bare broadcast, "
            f"{format_ratio(entry['ratios']['p99_per_commit_p99'])} the commit probe; "
            f"web CPU {_ms(entry['figures']['web_cpu_ms_per_lead'])} ms a lead = "
            f"{format_ratio(entry['ratios']['web_cpu_per_bare_cpu'])} the bare broadcast, "
            f"{format_ratio(entry['ratios']['web_cpu_per_calibration'])} the calibration"
            for entry in record.phases
        ]
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
@click.option(
    "--bare/--no-bare",
    default=True,
    show_default=True,
    help="Also measure the bare broadcast floor (one process, the same cases; doubles the run's time).",
)
@result_options
def main(
    boards: int,
    rates: str,
    seconds: float,
    big: int,
    port: int,
    workers: int,
    async_commit: bool,
    bare: bool,
    busy: float,
    results: bool,
    results_dir: Path,
) -> None:
    """Measure webhook-to-board latency with N connected boards."""
    console = wide_console()
    rate_list = [float(r) for r in rates.split(",") if r.strip()]
    groups = [(boards, rate_list)] + ([(big, [max(rate_list)])] if big else [])
    record = RunRecord(
        "board",
        options={
            "boards": boards,
            "rates": rates,
            "seconds": seconds,
            "big": big,
            "workers": workers,
            "async_commit": async_commit,
        },
        busy_neighbour=busy,
    )
    with contextlib.ExitStack() as stack:
        services = private_services(stack, synchronous_commit=not async_commit)
        # The floors are measured under the same conditions as the figures, the neighbour included.
        stack.enter_context(busy_neighbour(busy))
        commits = asyncio.run(commit_latency(services.dsn))
        print(describe_commits(commits, synchronous=not async_commit))
        calibration = CpuCalibration().measure()
        print(calibration.describe())
        env = {**services.env, "LEADROUTER_SECURE_COOKIES": "0", "LEADROUTER_DB_POOL_SIZE": "20"}
        os.environ.update(env)
        process = None
        # Redrawn only between cases (auto_refresh off): no drawing thread competes with the timed client.
        progress = stack.enter_context(Progress(console=console, auto_refresh=False))
        cases = sum(len(group_rates) for _, group_rates in groups)
        task = progress.add_task("product", total=cases * (2 if bare else 1))

        def on_case(case: dict[str, float]) -> None:
            progress.console.print(_row(case), soft_wrap=True)
            progress.advance(task)
            progress.refresh()

        try:
            most = max(boards, big)
            _, secret, tokens = asyncio.run(_seed(most))
            process = start_web_process(port, env, workers=workers)
            wait_until_ready(f"http://127.0.0.1:{port}", process, timeout=60)
            base = f"http://127.0.0.1:{port}"
            progress.console.print(
                f"{workers} web process(es), {os.cpu_count()} CPUs, permessage-deflate off; "
                "latency = webhook sent -> fragment on a board"
            )
            with no_collector_pauses():
                product, fragment = _measure(
                    base, services.dsn, secret, tokens, groups, seconds, process.pid, on_case
                )
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=15)
        bare_cases: dict[str, dict[str, float]] = {}
        if bare and fragment:
            progress.update(task, description="bare broadcast")
            progress.console.print(
                f"bare broadcast floor: the same {len(fragment.encode()):,}-byte fragment, one process"
            )
            with no_collector_pauses():
                floor = _bare_broadcast(fragment, secret, tokens, groups, seconds, on_case)
            bare_cases = {_case_name(case): case for case in floor}
        progress.stop()
        calibration.measure()  # again after the run: a drift of the machine's speed shows in the range
        print(calibration.describe())
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"benchmark client total CPU: user {usage.ru_utime:.1f}s system {usage.ru_stime:.1f}s")

    record.floors = {
        "commit_probe": commits,
        "cpu_calibration": calibration.as_floor(),
        "bare_broadcast": [_bare_floor(case, calibration.ms) for case in bare_cases.values()],
        "fragment_bytes": len(fragment.encode()) if fragment else None,
    }
    for case in product:
        name = _case_name(case)
        record.add_phase(
            name,
            _figures(case),
            _ratios(case, bare_cases.get(name), commit_p99_ms=commits["p99"], calibration_ms=calibration.ms),
        )
    console.print(_table(record, bare_cases))
    console.print(_summary(record))
    if workers > 1:
        console.print("[yellow]the bare broadcast floor is one process; the product ran with more")
    if results:
        console.print(f"results: {record.write(REPO, results_dir)}")


if __name__ == "__main__":
    main()
