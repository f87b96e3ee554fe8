"""What the benchmark clients share: the inquiry they send, a measuring loop the garbage collector leaves
alone, and cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from arq.constants import job_key_prefix
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from leadrouter.embedded import resolve_endpoints

REPO = Path(__file__).resolve().parent.parent
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
    from router.db import upgrade

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
