"""Hot-path statements sent to asyncpg directly: where they commit, and the guard on that."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB

from router.core.models import IdempotencyRecord
from router.core.prepared import DatabaseUnavailable, PreparedStatement

pytestmark = pytest.mark.integration

_RESERVE = PreparedStatement(
    text(
        "INSERT INTO idempotency_records (scope, key, request_sha256, status_code, response, created_at)"
        " VALUES ('test', :key, '\\x00', 201, :response, now()) RETURNING key"
    ).bindparams(bindparam("response", type_=JSONB))
)


async def stored(domain, key):
    async with domain.sessionmaker() as other:
        return await other.scalar(select(IdempotencyRecord.response).where(IdempotencyRecord.key == key))


async def test_a_statement_on_a_fresh_session_commits_on_its_own(domain):
    async with domain.sessionmaker() as session:
        rows = await _RESERVE.fetch(session, {"key": "own", "response": {"n": 1}}, own_transaction=True)
        assert rows[0]["key"] == "own"
        assert await stored(domain, "own") == {"n": 1}  # seen by another connection before we close


async def test_after_the_session_began_a_transaction_it_joins_it_and_the_guard_refuses(domain):
    async with domain.sessionmaker() as session:
        await session.execute(text("SELECT 1"))  # the ORM begins a transaction
        with pytest.raises(RuntimeError, match="inside a transaction"):
            await _RESERVE.fetch(session, {"key": "guarded", "response": {}}, own_transaction=True)
        await _RESERVE.fetch(session, {"key": "joined", "response": {}})
        assert await stored(domain, "joined") is None  # not committed yet
        await session.rollback()
    assert await stored(domain, "joined") is None and await stored(domain, "guarded") is None


async def test_a_connection_lost_mid_statement_is_a_clear_outage_and_the_pool_recovers(domain):
    async with domain.sessionmaker() as session:
        pinned = await (await session.connection()).get_raw_connection()
        pid = pinned.driver_connection.get_server_pid()
        async with domain.sessionmaker() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DatabaseUnavailable):
            await _RESERVE.fetch(session, {"key": "lost", "response": {}}, own_transaction=True)
    async with domain.sessionmaker() as session:  # the dead connection was dropped, not pooled again
        rows = await _RESERVE.fetch(session, {"key": "after", "response": {}}, own_transaction=True)
    assert rows[0]["key"] == "after" and await stored(domain, "lost") is None


async def test_values_the_statement_carries_are_sent_and_a_missing_parameter_is_an_error(domain):
    statement = PreparedStatement(
        select(IdempotencyRecord.key).where(
            IdempotencyRecord.scope == "carried", IdempotencyRecord.key == bindparam("key")
        )
    )
    async with domain.sessionmaker() as session:
        await _RESERVE.fetch(session, {"key": "k1", "response": {}}, own_transaction=True)
        await session.execute(text("UPDATE idempotency_records SET scope = 'carried' WHERE key = 'k1'"))
        await session.commit()
        assert [row["key"] for row in await statement.fetch(session, {"key": "k1"})] == ["k1"]
        assert await statement.fetch(session, {"key": "k2"}) == []
        with pytest.raises(KeyError, match="key"):
            await statement.fetch(session, {})
