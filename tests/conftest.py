"""Test servers, a fresh database per run, and the app wired as in production.

Servers: DATABASE_URL / REDIS_URL when set; else the local defaults when they answer; else
embedded ones. Each run creates its own database (dropped at the end) and its own Redis key
prefix, so concurrent runs never collide. The environment is set before the app is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from leadrouter.embedded import resolve_endpoints
from tests.budgets import DurationReport, kind_of

pytest_plugins = [
    "tests.fixtures.live",
    "tests.fixtures.patients",
    "tests.fixtures.screens",
    "tests.fixtures.browser",
    "tests.fixtures.outbox",
]

REPO = Path(__file__).resolve().parent.parent
RUN_ID = secrets.token_hex(4)
# Tests run on the built-in development keys, which `leadrouter web` and `worker` refuse without this.
os.environ["LEADROUTER_DEV"] = "1"


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def service_urls() -> Iterator[tuple[str, str]]:
    """(database URL of this run's own database, Redis URL); the database is dropped afterwards."""
    with contextlib.ExitStack() as stack:
        endpoints = resolve_endpoints(
            os.environ, REPO / "var" / "test-services", stack, prefer_local_defaults=True
        )
        database = f"lr_test_{RUN_ID}"
        admin_dsn = _asyncpg_dsn(endpoints.database_url, "postgres")

        async def create() -> None:
            connection = await asyncpg.connect(admin_dsn)
            try:
                await connection.execute(f'CREATE DATABASE "{database}"')
            finally:
                await connection.close()

        async def drop() -> None:
            connection = await asyncpg.connect(admin_dsn)
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            finally:
                await connection.close()

        asyncio.run(create())
        database_url = (
            make_url(endpoints.database_url).set(database=database).render_as_string(hide_password=False)
        )
        os.environ["DATABASE_URL"] = database_url
        os.environ["REDIS_URL"] = endpoints.redis_url
        os.environ["LEADROUTER_REDIS_PREFIX"] = f"lrtest:{RUN_ID}"
        os.environ["LEADROUTER_SECURE_COOKIES"] = "0"
        os.environ["LEADROUTER_AUDIT_HEAD_FILE"] = str(
            REPO / "var" / "test-services" / f"audit-heads-{RUN_ID}.jsonl"
        )
        from router.core.db import upgrade

        upgrade(database_url)
        try:
            yield database_url, endpoints.redis_url
        finally:
            asyncio.run(drop())


@pytest.fixture(scope="session")
def settings(service_urls: tuple[str, str]):  # type: ignore[no-untyped-def]
    from router.core.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
async def process_runtime(settings):  # type: ignore[no-untyped-def]
    """The connections every test shares (engine, Redis, lead-score models), built once."""
    from leadrouter.runtime import build_runtime

    runtime = build_runtime(settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def runtime(process_runtime):  # type: ignore[no-untyped-def]
    """The shared connections with this test's own Domain: its clock and caches are the test's alone."""
    from router.core.cache import TtlCache
    from router.core.clock import Clock
    from router.phones.texts import RuleCheckedSmsSender

    own = dataclasses.replace(process_runtime.domain, clock=Clock(), lookups=TtlCache())
    if isinstance(own.sms, RuleCheckedSmsSender):
        own.sms = RuleCheckedSmsSender(own)
    return dataclasses.replace(process_runtime, domain=own)


TABLES_TO_KEEP = {"alembic_version"}
EMPTYING_LOCK_TIMEOUT = "20s"
_LOCK_HOLDERS = """
    SELECT pid, state, now() - xact_start AS open_for, left(query, 300) AS last_query
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
"""
"""Sessions of this database inside a transaction (what a blocked TRUNCATE waits for)."""


@pytest.fixture
async def domain(runtime) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """This test's own domain (see `runtime`), with every table emptied and the Redis prefix cleared
    after the test."""
    from arq.constants import job_key_prefix

    from router.core.models import Base

    yield runtime.domain
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in TABLES_TO_KEEP)
    try:
        async with runtime.engine.begin() as connection:
            # A session the test left open would make TRUNCATE wait for ever: fail instead, naming it.
            await connection.execute(text(f"SET LOCAL lock_timeout = '{EMPTYING_LOCK_TIMEOUT}'"))
            # The audit log refuses TRUNCATE by trigger; the tests' superuser empties it as a replica.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await connection.execute(text("ALTER SEQUENCE domain_events_id_seq RESTART"))
    except DBAPIError as exc:
        if "lock timeout" not in str(exc):
            raise
        async with runtime.engine.connect() as connection:
            holders = (await connection.execute(text(_LOCK_HOLDERS))).all()
        raise AssertionError(f"the test left sessions holding table locks: {holders}") from exc
    prefix = runtime.settings.redis.prefix
    # Only this run's keys: arq names a job's key by its id alone, outside our prefix, so the jobs
    # are found through this run's queue; deleting every `arq:*` key would break a concurrent run.
    queued = await runtime.redis.zrange(runtime.settings.redis.queue_name, 0, -1)
    if queued:
        await runtime.redis.delete(*(job_key_prefix + job.decode() for job in queued))
    keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await runtime.redis.delete(*keys)


@pytest.fixture
async def client(runtime, domain):  # type: ignore[no-untyped-def]
    """An HTTP client on the real app (same wiring as production, real servers behind it)."""
    import httpx

    from leadrouter.runtime import build_web_app

    app = build_web_app(runtime)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        test_client.domain = domain  # for tests.factories.sign_in's second step
        yield test_client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


_DURATIONS = DurationReport()
_STARTED = time.monotonic()


SLOW_KINDS_FIRST = ("faults", "browser", "fuzz")
"""Run order: the longest kinds start first, so parallel workers finish together (docs/testing.md)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow kinds first; within a kind, tests keep the order they were collected in."""
    rank = {kind: index for index, kind in enumerate(SLOW_KINDS_FIRST)}
    items.sort(key=lambda item: rank.get(kind_of(item.keywords), len(rank)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each test's time toward its kind (tests/budgets.py)."""
    _DURATIONS.add(kind_of(report.keywords), report.when, report.duration)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Time by kind of test, beside each kind's budget (docs/testing.md)."""
    terminalreporter.section("time by kind of test")
    for line in _DURATIONS.lines(time.monotonic() - _STARTED):
        terminalreporter.write_line(line)
