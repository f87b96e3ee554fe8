"""Hot-path benchmark: signed form webhooks into the real stack, latency percentiles and throughput.

Starts `leadrouter web` (uvicorn) on a fresh benchmark database (the servers in DATABASE_URL /
REDIS_URL, else the local defaults, else embedded ones), then:
  1. open-loop phases at fixed rates (Poisson arrivals), recording each webhook's latency;
  2. a closed-loop phase with N concurrent senders, for sustained leads/s;
  3. optionally (--profile) a cProfile of the in-process hot path, to show where the time goes.

    .venv/bin/python bench/webhook_bench.py [--rates 50,100,200] [--seconds 10] [--workers 1] [--profile]
                                           [--async-commit] [--busy 0.4] [--no-results]

Beside its figures it measures the floors of the same run: bare one-row commits on the same database
(the disk's share of every figure below) and a CPU calibration (a fixed pure-Python workload, before and
after), and reports p99 / commit p99 and web CPU a lead / calibration, so that a slow machine can be
told from slow code. Each run is written to bench/results/ (see bench/trend.py).
--async-commit is a diagnostic that stops commits waiting for the disk, never the product's setting;
--busy keeps another process busy for that fraction of a core (issue 22's slow-phase emulation).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import logging
import os
import pstats
import random
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from rich.progress import Progress
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness import (  # noqa: E402 (bench/ itself is on sys.path)
    CpuCalibration,
    add_result_arguments,
    busy_neighbour,
    commit_latency,
    describe_commits,
    free_port,
    inquiry_payload,
    no_collector_pauses,
    private_services,
    process_cpu_seconds,
    wide_console,
)
from records import RunRecord, format_ratio, ratio  # noqa: E402

from connectors.forms.signature import sign_delivery  # noqa: E402
from router.core.clock import Clock  # noqa: E402

console = wide_console()


async def seed(database_url: str) -> tuple[str, str]:
    """A benchmark practice with two offices, four staff and a form source; returns (key, secret)."""
    from leadrouter.runtime import build_runtime
    from router.core.models import Location, Practice
    from router.core.settings import Settings
    from router.intake.form_sources import create_form_source
    from router.privacy.auth import create_user

    runtime = build_runtime(Settings())
    week = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    try:
        async with runtime.domain.sessionmaker() as session, session.begin():
            practice = Practice(
                id=uuid.uuid4(), slug="bench", name="Bench Dental", time_zone="America/Chicago"
            )
            session.add(practice)
            await session.flush()
            offices = [
                Location(
                    id=uuid.uuid4(),
                    practice_id=practice.id,
                    slug=slug,
                    name=slug,
                    time_zone="America/Chicago",
                    zip=zip_code,
                    latitude=lat,
                    longitude=lon,
                    business_hours=week,
                )
                for slug, zip_code, lat, lon in (
                    ("north", "78664", 30.51, -97.67),
                    ("south", "78745", 30.21, -97.80),
                )
            ]
            session.add_all(offices)
            await session.flush()
            for n in range(4):
                await create_user(
                    session,
                    email=f"staff{n}@bench.example",
                    display_name=f"Staff {n}",
                    password="bench-password-1",
                    role="front_desk",
                    practice_id=practice.id,
                    location_ids=[o.id for o in offices],
                )
            _, secret = await create_form_source(
                session, runtime.domain, practice_id=practice.id, key="bench-form", name="Bench form"
            )
        # The product scores every lead: promote the pooled model `leadrouter run` trains on first start.
        from leadrouter.model_training import ensure_pooled_model

        await ensure_pooled_model(runtime.domain)
        return "bench-form", secret
    finally:
        await runtime.close()


def signed_request(n: int, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(inquiry_payload(n)).encode()
    headers = sign_delivery(
        body, secret=secret, webhook_id=f"msg_{n}_{uuid.uuid4().hex[:8]}", at=Clock().now()
    )
    headers["content-type"] = "application/json"
    return body, headers


async def send(
    client: aiohttp.ClientSession,
    n: int,
    secret: str,
    latencies: list[float],
    errors: list[int],
    started: list[float] | None = None,
) -> None:
    """One signed delivery; aiohttp rather than httpx because the client shares the 2 cores."""
    body, headers = signed_request(n, secret)
    start = time.perf_counter()
    try:
        async with client.post("/webhooks/forms/bench-form", data=body, headers=headers) as response:
            await response.read()
            status = response.status
    except aiohttp.ClientError as exc:
        errors.append(0)  # connection-level failure
        if len(errors) == 1:
            console.print(f"[red]first connection failure: {exc!r}")
        return
    latencies.append(time.perf_counter() - start)
    if started is not None:
        started.append(start)
    if status != 201:
        errors.append(status)


async def send_in_process(client: httpx.AsyncClient, n: int, secret: str, errors: list[int]) -> None:
    body, headers = signed_request(n, secret)
    response = await client.post("/webhooks/forms/bench-form", content=body, headers=headers)
    if response.status_code != 201:
        errors.append(response.status_code)


@dataclass
class Phase:
    """One phase's measurements, kept until the calibration after the run gives their ratios."""

    name: str
    latencies: list[float]
    errors: list[int]
    elapsed: float
    client_cpu_s: float
    web_cpu_ms_per_lead: float

    def figures(self) -> dict[str, float | None]:
        return {
            "sent": len(self.latencies),
            "errors": len(self.errors),
            "leads_per_s": len(self.latencies) / self.elapsed,
            "p50_ms": percentile(self.latencies, 0.5),
            "p95_ms": percentile(self.latencies, 0.95),
            "p99_ms": percentile(self.latencies, 0.99),
            "client_cpu_s": self.client_cpu_s,
            "web_cpu_ms_per_lead": self.web_cpu_ms_per_lead,
        }

    def ratios(self, *, commit_p99_ms: float, calibration_ms: float) -> dict[str, float | None]:
        return {
            "p99_per_commit_p99": ratio(percentile(self.latencies, 0.99), commit_p99_ms),
            "web_cpu_per_calibration": ratio(self.web_cpu_ms_per_lead, calibration_ms),
        }

    def row(self, ratios: dict[str, float | None]) -> list[str]:
        """One row of the results table: volume, throughput, latency percentiles, client and web CPU,
        and the ratios to the floors."""
        figures = self.figures()
        return [
            self.name,
            str(len(self.latencies)),
            _errors_cell(self.errors),
            f"{figures['leads_per_s']:.0f}",
            *(f"{figures[key]:.1f}" for key in ("p50_ms", "p95_ms", "p99_ms")),
            f"{self.client_cpu_s:.1f}",
            f"{self.web_cpu_ms_per_lead:.1f}",
            format_ratio(ratios["p99_per_commit_p99"]),
            format_ratio(ratios["web_cpu_per_calibration"]),
        ]


class PhaseClock:
    """The client's and the web process's CPU at a phase's start, to charge the phase with its share."""

    def __init__(self, web_pid: int) -> None:
        self.web_pid = web_pid
        self.cpu = time.process_time()
        self.web_cpu = process_cpu_seconds(web_pid)

    def phase(self, name: str, latencies: list[float], errors: list[int], elapsed: float) -> Phase:
        web_cpu = (process_cpu_seconds(self.web_pid) - self.web_cpu) * 1000 / max(1, len(latencies))
        return Phase(name, latencies, errors, elapsed, time.process_time() - self.cpu, web_cpu)


def _errors_cell(errors: list[int]) -> str:
    """How many failed, by answer (0: the connection failed)."""
    if not errors:
        return "0"
    kinds = Counter(errors)
    return f"{len(errors)} (" + ", ".join(f"{code}: {n}" for code, n in sorted(kinds.items())) + ")"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def open_loop(base: str, secret: str, rate: float, seconds: float, counter: list[int], progress, task):
    """Poisson arrivals at `rate`; returns latencies, errors, elapsed time and each send's moment."""
    latencies: list[float] = []
    errors: list[int] = []
    started: list[float] = []
    rng = random.Random(rate)
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as client:
        pending = set()
        start = time.perf_counter()
        next_at = start
        while next_at - start < seconds:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            counter[0] += 1
            pending.add(asyncio.create_task(send(client, counter[0], secret, latencies, errors, started)))
            next_at += rng.expovariate(rate)
            progress.update(task, completed=min(seconds, time.perf_counter() - start))
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed, [moment - start for moment in started]


def slowest(latencies: list[float], moments: list[float], n: int) -> str:
    """The n slowest deliveries as "at 3.41 s: 48.2 ms": clustered moments point at a stall (the disk,
    a pause) rather than at queueing, which spreads the slow ones over the phase."""
    worst = sorted(zip(latencies, moments, strict=True), reverse=True)[:n]
    return ", ".join(
        f"at {moment:.2f} s: {latency * 1000:.1f} ms" for latency, moment in sorted(worst, key=lambda w: w[1])
    )


async def closed_loop(base: str, secret: str, concurrency: int, seconds: float, counter: list[int]):
    latencies: list[float] = []
    errors: list[int] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as client:
        deadline = time.perf_counter() + seconds

        async def sender() -> None:
            while time.perf_counter() < deadline:
                counter[0] += 1
                await send(client, counter[0], secret, latencies, errors)

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


async def profile_hot_path(secret: str, requests: int) -> str:
    """cProfile of `requests` webhooks through the ASGI app in this process (no network)."""
    from leadrouter.runtime import build_runtime, build_web_app

    runtime = build_runtime()
    app = build_web_app(runtime)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per profiled request
    transport = httpx.ASGITransport(app=app)
    errors: list[int] = []
    profiler = cProfile.Profile()
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for n in range(20):
            await send_in_process(client, 10_000_000 + n, secret, errors)  # warm up
        profiler.enable()
        for n in range(requests):
            await send_in_process(client, 20_000_000 + n, secret, errors)
        profiler.disable()
    await runtime.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(
        r"router|connectors|scoring|web|realtime|litestar/app|sqlalchemy/orm/session", 30
    )
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="50,100,200", help="Open-loop rates in leads/s.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each phase.")
    parser.add_argument("--concurrency", type=int, default=16, help="Senders in the closed-loop phase.")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn web processes.")
    parser.add_argument("--profile", action="store_true", help="Also profile the hot path in-process.")
    parser.add_argument(
        "--slowest", type=int, default=0, help="Also list each open-loop phase's N slowest, by moment."
    )
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="Diagnostic: commits stop waiting for the disk (synchronous_commit=off on the bench database).",
    )
    add_result_arguments(parser)
    args = parser.parse_args()
    record = RunRecord(
        "webhook",
        options={
            key: getattr(args, key) for key in ("rates", "seconds", "concurrency", "workers", "async_commit")
        },
        busy_neighbour=args.busy,
    )

    with contextlib.ExitStack() as stack:
        services = private_services(stack, synchronous_commit=not args.async_commit)
        # The floors are measured under the same conditions as the figures, the neighbour included.
        stack.enter_context(busy_neighbour(args.busy))
        commits = asyncio.run(commit_latency(services.dsn))
        console.print(describe_commits(commits, synchronous=not args.async_commit))
        calibration = CpuCalibration().measure()
        console.print(calibration.describe())
        database_url = services.database_url
        _, secret = asyncio.run(seed(database_url))
        port = free_port()
        log_path = REPO / "var" / "bench-web.log"
        log_path.parent.mkdir(exist_ok=True)
        server_log = stack.enter_context(log_path.open("w"))
        console.print(f"web server log: {log_path}")
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "leadrouter.cli",
                "web",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env={**os.environ, **services.env},
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(web.wait, 30)  # then its last escalation jobs are queued and can be deleted
        stack.callback(web.terminate)
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise SystemExit("the web process did not start")

        counter = [0]
        rates = [float(r) for r in args.rates.split(",") if r]
        phases: list[Phase] = []
        with Progress(console=console) as progress, no_collector_pauses():
            asyncio.run(
                closed_loop(base, secret, 4, 2.0, counter)
            )  # warm-up: connections, caches, JIT-free paths
            for rate in rates:
                task = progress.add_task(f"{rate:g} leads/s", total=args.seconds)
                clock = PhaseClock(web.pid)
                latencies, errors, elapsed, moments = asyncio.run(
                    open_loop(base, secret, rate, args.seconds, counter, progress, task)
                )
                if args.slowest:
                    progress.console.print(
                        f"{rate:g}/s slowest: {slowest(latencies, moments, args.slowest)}", soft_wrap=True
                    )
                phases.append(clock.phase(f"open {rate:g}/s", latencies, errors, elapsed))
            task = progress.add_task(f"closed loop x{args.concurrency}", total=None)
            clock = PhaseClock(web.pid)
            latencies, errors, elapsed = asyncio.run(
                closed_loop(base, secret, args.concurrency, args.seconds, counter)
            )
            progress.update(task, total=1, completed=1)
            phases.append(clock.phase(f"closed x{args.concurrency}", latencies, errors, elapsed))
        calibration.measure()  # again after the run: a drift of the machine's speed shows in the range
        console.print(calibration.describe())
        record.floors = {"commit_probe": commits, "cpu_calibration": calibration.as_floor()}

        table = Table(
            title=f"Webhook to stored lead ({args.workers} web process(es), {os.cpu_count()} cores)",
            caption=(
                f"p99/commit: p99 / the commit probe's p99 ({commits['p99']:.1f} ms); CPU/cal: web CPU a "
                f"lead / the CPU calibration ({calibration.ms:.1f} ms)"
            ),
        )
        for column in (
            "phase",
            "sent",
            "errors",
            "leads/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "client CPU s",
            "web CPU ms/lead",
            "p99/commit",
            "CPU/cal",
        ):
            table.add_column(column, justify="right")
        for phase in phases:
            ratios = phase.ratios(commit_p99_ms=commits["p99"], calibration_ms=calibration.ms)
            record.add_phase(phase.name, phase.figures(), ratios)
            table.add_row(*phase.row(ratios))
        console.print(table)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        console.print(f"benchmark client total CPU: {usage.ru_utime + usage.ru_stime:.1f} s")
        console.print(summary(phases, record))
        if args.results:
            console.print(f"results: {record.write(REPO, args.results_dir)}")
        if args.profile:
            console.print("\n[bold]Where the time goes (cProfile, 300 webhooks in-process, cumulative):[/]")
            print(asyncio.run(profile_hot_path(secret, 300)))


def summary(phases: list[Phase], record: RunRecord) -> str:
    """Each phase against its floors, in a line."""
    lines = []
    for phase, entry in zip(phases, record.phases, strict=True):
        figures, ratios = phase.figures(), entry["ratios"]
        lines.append(
            f"{phase.name}: p99 {figures['p99_ms']:.1f} ms ({format_ratio(ratios['p99_per_commit_p99'])} "
            f"the commit probe), {figures['leads_per_s']:.0f} leads/s, web CPU "
            f"{figures['web_cpu_ms_per_lead']:.2f} ms a lead "
            f"({format_ratio(ratios['web_cpu_per_calibration'])} the calibration)"
        )
    return record.summary(lines)


if __name__ == "__main__":
    main()
