"""Database failures, produced by the real PostgreSQL, sorted into retry-now, come-back-later and bugs."""

from __future__ import annotations

import asyncio
import logging
import socket

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from router.core.db_errors import FailureLog, is_lock_conflict, is_unavailable, outcome_unknown, sqlstate

pytestmark = pytest.mark.integration


def dsn(domain) -> str:
    return make_url(domain.settings.database.url).set(drivername="postgresql").render_as_string(False)


async def test_a_deadlock_is_a_lock_conflict_that_a_retry_may_resolve(domain):
    one, two = await asyncpg.connect(dsn(domain)), await asyncpg.connect(dsn(domain))
    try:
        await one.execute("BEGIN; SELECT pg_advisory_xact_lock(1)")
        await two.execute("BEGIN; SELECT pg_advisory_xact_lock(2)")
        results = await asyncio.gather(
            one.execute("SELECT pg_advisory_xact_lock(2)"),
            two.execute("SELECT pg_advisory_xact_lock(1)"),
            return_exceptions=True,
        )
    finally:
        await one.close()
        await two.close()
    [deadlock] = [r for r in results if isinstance(r, Exception)]
    assert sqlstate(deadlock) == "40P01"
    assert is_lock_conflict(deadlock) and is_unavailable(deadlock) and not outcome_unknown(deadlock)


async def test_read_only_and_shutdown_through_sqlalchemy(domain):
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(text("SET TRANSACTION READ ONLY"))
        with pytest.raises(DBAPIError) as read_only:
            await session.execute(text("CREATE TEMP TABLE t (x int)"))
    assert sqlstate(read_only.value) == "25006"
    assert is_unavailable(read_only.value) and not outcome_unknown(read_only.value)
    assert not is_lock_conflict(read_only.value)

    # A fast shutdown ends each connection with admin_shutdown, mid-statement or not.
    victim = await asyncpg.connect(dsn(domain))
    killer = await asyncpg.connect(dsn(domain))
    try:
        running = asyncio.create_task(victim.execute("SELECT pg_sleep(10)"))
        for _ in range(500):  # until the statement runs inside PostgreSQL
            if await killer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'",
                victim.get_server_pid(),
            ):
                break
            await asyncio.sleep(0.01)
        await killer.execute("SELECT pg_terminate_backend($1)", victim.get_server_pid())
        with pytest.raises(Exception) as shut_down:
            await running
    finally:
        await killer.close()
        victim.terminate()
    assert is_unavailable(shut_down.value) and outcome_unknown(shut_down.value)


async def test_an_unreachable_server_and_one_starting_up_are_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError) as refused:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/x", timeout=2)
    assert is_unavailable(refused.value)
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    assert sqlstate(starting) == "57P03" and is_unavailable(starting) and not outcome_unknown(starting)


async def test_a_bug_is_neither(domain):
    async with domain.sessionmaker() as session:
        with pytest.raises(DBAPIError) as bad_sql:
            await session.execute(text("SELECT no_such_column FROM leads"))
    assert sqlstate(bad_sql.value) == "42703"
    assert not is_unavailable(bad_sql.value) and not is_lock_conflict(bad_sql.value)
    assert not is_unavailable(ValueError("nothing to do with the database"))


def test_the_drivers_state_error_after_the_server_vanished_is_unavailability():
    """Found by the fault suite: during PostgreSQL's immediate stop a request met asyncpg's
    InternalClientError (wrapped by SQLAlchemy) and answered 500; it is an outage, so 503."""
    from sqlalchemy.exc import InternalError

    cause = asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress")
    wrapped = InternalError("SELECT 1", {}, cause)
    wrapped.__cause__ = cause
    assert is_unavailable(wrapped) and outcome_unknown(wrapped)


def test_a_failing_background_operation_logs_an_outage_once_without_a_traceback(caplog):
    log = logging.getLogger("leadrouter.test_failure_log")
    reads = FailureLog(log, "hub reading new events")
    with caplog.at_level(logging.WARNING, logger=log.name):
        for _ in range(5):  # polls during one outage
            reads.failed(ConnectionRefusedError(111, "refused"), "boards wait")
        reads.worked()
        reads.worked()
        reads.failed(ValueError("a bug"))
        reads.failed(ValueError("a bug"))
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "hub reading new events paused (database unavailable: ConnectionRefusedError); boards wait",
            False,
        ),
        ("WARNING", "hub reading new events works again after 0 s", False),
        ("ERROR", "hub reading new events failed", True),
    ]
