"""What the benchmark clients share: the inquiry they send, a measuring loop the garbage collector leaves
alone, cleanup, and the floors measured beside every run (the bare commit, the CPU calibration) that make
figures from different days comparable."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The code measured is this checkout's, not whichever one the virtualenv was installed from (its
# editable install points at one checkout; `python bench/x.py` puts only bench/ on the path).
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402
import click  # noqa: E402
from arq.constants import job_key_prefix  # noqa: E402
from records import RESULTS  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from rich.console import Console  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from leadrouter.embedded import resolve_endpoints  # noqa: E402

# Benchmarks run on the built-in development keys (never real patients), which the processes they
# start (`leadrouter web`, the worker) refuse without this.
os.environ["LEADROUTER_DEV"] = "1"

FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ivy", "Jon"]


def inquiry_payload(n: int) -> dict[str, object]:
    """A realistic web-form inquiry from a distinct person (every delivery makes a new lead): contact
    details, a message, SMS consent and the ad click's tracking, as the scorer and attribution read them.
    The last name is `Bench<n>`, which is how a benchmark finds lead n on a board."""
    rng = random.Random(n)
    return {
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": f"Bench{n}",
        "email": f"bench{n}-{uuid.uuid4().hex[:6]}@example.com",
        "phone": f"(512) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        "zip": rng.choice(["78701", "78745", "78664", "78613"]),
        "treatment_interest": rng.choice(["orthodontics", "implants", "cleaning", "invisalign"]),
        "message": "Do you take Delta Dental? I'd like an appointment next week if possible.",
        "sms_consent": True,
        "sms_consent_text_version": "2026-01",
        "utm_source": "google",
        "utm_medium": "cpc",
        "gclid": secrets.token_hex(8),
        "pages_visited": rng.randint(1, 9),
        "time_on_site_seconds": rng.randint(20, 600),
        "device_type": rng.choice(["mobile", "desktop"]),
        "form_completion_seconds": rng.randint(15, 200),
    }


@dataclass(frozen=True)
class BenchServices:
    """A benchmark's own database (schema applied) and Redis prefix, on the run's servers."""

    database_url: str
    """SQLAlchemy URL of the private database."""
    dsn: str
    """The same database for asyncpg."""
    redis_url: str
    env: dict[str, str]
    """DATABASE_URL, REDIS_URL and LEADROUTER_REDIS_PREFIX for the web process (also set here)."""


def private_services(stack: contextlib.ExitStack, *, synchronous_commit: bool = True) -> BenchServices:
    """Servers from DATABASE_URL / REDIS_URL, else the local defaults, else embedded ones; a fresh
    database migrated to head and a Redis prefix of its own, both removed when `stack` closes (the
    web process must have stopped by then, so that its last jobs are queued and deleted too).

    `synchronous_commit=False` is a diagnostic, never the product's setting: commits on the private
    database stop waiting for the disk, which separates what the code costs from the disk's stalls.
    """
    endpoints = resolve_endpoints(
        os.environ, REPO / "var" / "bench-services", stack, prefer_local_defaults=True
    )
    database = f"lr_bench_{secrets.token_hex(4)}"
    server = make_url(endpoints.database_url)

    async def admin_sql(sql: str) -> None:
        admin = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    prefix = f"lrbench:{database}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{database}"'))
    if not synchronous_commit:
        asyncio.run(admin_sql(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
    stack.callback(lambda: asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')))
    stack.callback(lambda: asyncio.run(drop_queued_jobs(endpoints.redis_url, f"{prefix}:queue")))
    database_url = server.set(database=database).render_as_string(hide_password=False)
    env = {"DATABASE_URL": database_url, "REDIS_URL": endpoints.redis_url, "LEADROUTER_REDIS_PREFIX": prefix}
    os.environ.update(env)
    from router.core.db import upgrade

    upgrade(database_url)
    dsn = server.set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    return BenchServices(database_url, dsn, endpoints.redis_url, env)


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """Keep the client's own full collections out of the figures while timing.

    The client holds what its set-up built (the training model, 500 sockets); one full collection
    of that took 140-350 ms here, and every reply arriving meanwhile was stamped late by that much.
    The timed phases allocate little that lives, so collection is simply switched off during them.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def drop_queued_jobs(redis_url: str, queue_name: str) -> int:
    """Delete every job waiting in `queue_name`, and the queue; returns how many there were.

    arq names a deferred job's key by its id alone, outside our prefix; the queue lists the ids.
    """
    redis = Redis.from_url(redis_url)
    try:
        ids = [job.decode() for job in await redis.zrange(queue_name, 0, -1)]
        for start in range(0, len(ids), 1000):
            await redis.delete(*(job_key_prefix + job for job in ids[start : start + 1000]))
        await redis.delete(queue_name)
        return len(ids)
    finally:
        await redis.aclose()


async def commit_latency(dsn: str, *, rate: float = 100.0, seconds: float = 5.0) -> dict[str, float]:
    """Milliseconds for PostgreSQL to commit one bare row, `rate` times a second (p50, p99, max).

    Every stored lead ends in a commit that waits for the write-ahead log to reach the disk, so this
    is the floor under the intake's latency: no code path can answer faster than its commit, and a
    disk whose flushes stall shows here before it shows in the benchmark's own figures.
    """
    connection = await asyncpg.connect(dsn)
    timings: list[float] = []
    try:
        await connection.execute("CREATE TABLE bench_commit_probe (id bigserial PRIMARY KEY, at timestamptz)")
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            began = time.perf_counter()
            await connection.execute("INSERT INTO bench_commit_probe (at) VALUES (now())")
            timings.append((time.perf_counter() - began) * 1000)
        await connection.execute("DROP TABLE bench_commit_probe")
    finally:
        await connection.close()
    timings.sort()
    return {
        "rate": rate,
        "p50": timings[len(timings) // 2],
        "p99": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "max": timings[-1],
    }


def describe_commits(figures: dict[str, float], *, synchronous: bool) -> str:
    """One line for a benchmark's header."""
    kind = "one-row commit" if synchronous else "one-row commit, synchronous_commit=off (diagnostic)"
    return (
        f"PostgreSQL {kind} at {figures['rate']:.0f}/s: p50 {figures['p50']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms"
    )


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (uvicorn's workers).

    Read from /proc (Linux); 0.0 where it is not available.
    """
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime: fields 14 and 15 of stat
    return own + sum(process_cpu_seconds(int(child)) for child in children)


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


CALIBRATION_ROUNDS = 10_000
"""Rounds of the calibration workload: about 18 ms on this project's 2-core machine when it is quiet, long
enough that the timer's resolution and a single interrupt do not matter, short enough to repeat."""
CALIBRATION_REPETITIONS = 9
"""Timings taken each time the calibration runs; the figure is their median, so a repetition that a
neighbour's burst interrupted does not move it."""


class _Card:
    __slots__ = ("name", "phone", "tags")

    def __init__(self, name: str, phone: str, tags: list[int]) -> None:
        self.name = name
        self.phone = phone
        self.tags = tags

    def label(self) -> str:
        return f"{self.name} ({self.phone})"


def calibration_workload(rounds: int = CALIBRATION_ROUNDS) -> int:
    """A fixed pure-Python workload; returns a checksum (the same for every run, so nothing is skipped).

    It exercises what the web process spends most of its CPU on per lead outside C libraries: the
    interpreter's dispatch, function and method calls, attribute and dict access, small str and list
    objects made and dropped, f-strings, joins and a small sort. No I/O, no randomness, no C-heavy call
    (hashing, JSON, numpy), so its time moves only with the CPU's speed at interpreter work that day
    (clock, caches, a neighbour on the same core) and says nothing about the disk or the network.
    """
    checksum = 0
    for n in range(rounds):
        fields = {"first": "Ana", "last": f"Bench{n}", "phone": str(5125550000 + n), "zip": "78701"}
        card = _Card(" ".join((fields["first"], fields["last"])), fields["phone"], [n % 7, n % 11, n % 13])
        words = card.label().lower().split()
        ordered = sorted(card.tags, reverse=True)
        digits = "".join(ch for ch in card.phone if ch.isdigit())
        size = sum(map(len, fields.values()))
        checksum = (checksum * 31 + len(words) + ordered[0] + len(digits) + size) % 1_000_003
    return checksum


@dataclass
class CpuCalibration:
    """The calibration workload's CPU time (this thread's) and wall time, in ms, over the run.

    Timed before and after a benchmark's measurements, so a machine whose speed drifted during the run
    shows it in the spread. CPU time is the figure ratios use, like the web process's CPU per lead:
    the ratio of the two cancels the machine's speed. Wall time well above CPU time means the core
    was shared while calibrating.
    """

    cpu_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)

    def measure(self, repetitions: int = CALIBRATION_REPETITIONS) -> CpuCalibration:
        collecting = gc.isenabled()
        gc.disable()  # the same work each time, whatever the process holds
        try:
            for _ in range(repetitions):
                wall, cpu = time.perf_counter(), time.thread_time()
                calibration_workload()
                self.cpu_ms.append((time.thread_time() - cpu) * 1000)
                self.wall_ms.append((time.perf_counter() - wall) * 1000)
        finally:
            if collecting:
                gc.enable()
        return self

    @property
    def ms(self) -> float:
        """The median CPU time: the calibration figure."""
        return statistics.median(self.cpu_ms)

    @property
    def core_share(self) -> float:
        """CPU time over wall time while calibrating: below 1, another process shared the core."""
        return sum(self.cpu_ms) / sum(self.wall_ms)

    def as_floor(self) -> dict[str, object]:
        return {
            "ms": self.ms,
            "wall_ms": statistics.median(self.wall_ms),
            "core_share": self.core_share,
            "min_ms": min(self.cpu_ms),
            "max_ms": max(self.cpu_ms),
            "samples_ms": [round(sample, 3) for sample in self.cpu_ms],
            "rounds": CALIBRATION_ROUNDS,
        }

    def describe(self) -> str:
        return (
            f"CPU calibration ({CALIBRATION_ROUNDS:,} rounds of pure Python, median of "
            f"{len(self.cpu_ms)}): {self.ms:.1f} ms CPU (range {min(self.cpu_ms):.1f}-"
            f"{max(self.cpu_ms):.1f}), {statistics.median(self.wall_ms):.1f} ms wall "
            f"(it had {self.core_share:.0%} of a core)"
        )


def wide_console() -> Console:
    """A console whose tables keep their columns when the output goes to a file or a pipe."""
    return Console(width=None if sys.stdout.isatty() else 160)


@contextlib.contextmanager
def busy_neighbour(fraction: float) -> Iterator[None]:
    """Another process keeps `fraction` of one core busy while the block runs (0: nothing started).

    The slow-phase emulation of issue 22: `bench/busy_core.py` spins for `fraction` of every 10 ms
    and sleeps the rest, so the benchmark and its server lose that share of a core, as they do when
    another engineer's test run shares the machine.
    """
    if fraction <= 0:
        yield
        return
    neighbour = subprocess.Popen([sys.executable, str(REPO / "bench" / "busy_core.py"), str(fraction)])
    try:
        yield
    finally:
        neighbour.terminate()
        neighbour.wait(timeout=10)


BUSY_HELP = "Keep another process busy this fraction of a core during the run (issue 22: 0.4)."
RESULTS_HELP = "Write the run to bench/results/ (--no-results: only print)."
RESULTS_DIR_HELP = "Where run files go."


def add_result_arguments(parser: argparse.ArgumentParser) -> None:
    """--busy, --results/--no-results and --results-dir for an argparse command."""
    parser.add_argument("--busy", type=float, default=0.0, help=BUSY_HELP)
    parser.add_argument("--results", action=argparse.BooleanOptionalAction, default=True, help=RESULTS_HELP)
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help=RESULTS_DIR_HELP)


def result_options(command: Callable[..., None]) -> Callable[..., None]:
    """The same options for a click command: `busy`, `results` and `results_dir` parameters."""
    options = (
        click.option("--busy", default=0.0, show_default=True, help=BUSY_HELP),
        click.option("--results/--no-results", default=True, show_default=True, help=RESULTS_HELP),
        click.option(
            "--results-dir", type=click.Path(path_type=Path), default=RESULTS, help=RESULTS_DIR_HELP
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command
