"""What the benchmark clients share: a measuring loop the garbage collector leaves alone, and cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from arq.constants import job_key_prefix
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from leadrouter.embedded import resolve_endpoints

REPO = Path(__file__).resolve().parent.parent


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


def private_services(stack: contextlib.ExitStack) -> BenchServices:
    """Servers from DATABASE_URL / REDIS_URL, else the local defaults, else embedded ones; a fresh
    database migrated to head and a Redis prefix of its own, both removed when `stack` closes (the
    web process must have stopped by then, so that its last jobs are queued and deleted too)."""
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
