"""The audit chain against its own database: the app's role cannot rewrite it, and the owner is caught.

The application connects as a role that does not own the tables (created here, named per run since
roles are cluster-wide). The tables' owner can go around the triggers, but without the chain's key
and the exported heads outside the database, rewriting, truncating, deleting the newest rows and
forging rows are all reported by `verify_chain`.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from router.core.clock import sessions_on_clock
from router.core.db import grant_app_privileges, make_engine, make_sessionmaker
from router.core.models import AuditRecord
from router.privacy import audit
from router.privacy.audit_chain import HeadSink, export_head, read_heads, verify_chain
from tests.conftest import RUN_ID

pytestmark = pytest.mark.integration


def key_of(domain) -> bytes:  # type: ignore[no-untyped-def]
    return audit.chain_key(domain.settings.security.audit_key)


async def write_and_seal(domain, count: int = 6) -> None:  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session, session.begin():
        for n in range(count):
            audit.record(session, actor=audit.Actor.system("test"), action=f"test.{n}", practice_id=None)
    await audit.seal_pending(domain.sessionmaker, key=key_of(domain))


async def verify(domain, heads=None):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return await verify_chain(session, key=key_of(domain), heads=heads)


async def as_owner(runtime, *statements: str) -> None:  # type: ignore[no-untyped-def]
    """Someone with the owner's (here: a superuser's) rights, going around the triggers."""
    async with runtime.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            await connection.execute(text(statement))
        await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


@pytest.fixture
async def app_role(runtime, domain, service_urls):  # type: ignore[no-untyped-def]
    """A sessionmaker connected as a per-run role with exactly the app's grants."""
    database_url, _ = service_urls
    role = f"lr_app_{RUN_ID}_{secrets.token_hex(3)}"
    async with runtime.engine.begin() as connection:
        await connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    await grant_app_privileges(database_url, role)
    engine = make_engine(make_url(database_url).set(username=role, password=None).render_as_string(False))
    try:
        yield sessions_on_clock(make_sessionmaker(engine), lambda: domain.clock)
    finally:
        await engine.dispose()
        async with runtime.engine.begin() as connection:
            await connection.execute(text(f'DROP OWNED BY "{role}"'))
            await connection.execute(text(f'DROP ROLE "{role}"'))


async def test_the_app_role_appends_and_seals_but_cannot_alter_the_log(app_role, domain):
    async with app_role() as session, session.begin():
        audit.record(session, actor=audit.Actor.system("test"), action="test.app", practice_id=None)
    assert await audit.seal_pending(app_role, key=key_of(domain)) == 1
    refused = {
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only": "owner",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate": "owner",
        "TRUNCATE audit_log": "permission denied",
        "DELETE FROM audit_log": "permission denied",
        "UPDATE audit_log SET actor_id = 'someone-else'": "permission denied",
        "UPDATE audit_log SET row_hash = '\\x00'": "cannot be edited",
        "DELETE FROM consent_records": "permission denied",
        "DROP TABLE audit_log": "owner",
    }
    for statement, reason in refused.items():
        with pytest.raises(DBAPIError, match=reason):
            async with app_role() as session, session.begin():
                await session.execute(text(statement))
    assert (await verify(domain)).ok


async def test_truncate_is_refused_even_for_the_owner_while_the_trigger_stands(runtime, domain):
    await write_and_seal(domain)
    with pytest.raises(DBAPIError, match="TRUNCATE is refused"):
        async with runtime.engine.begin() as connection:
            await connection.execute(text("TRUNCATE audit_log"))


async def test_rewriting_a_row_and_recomputing_the_chain_without_the_key_is_detected(runtime, domain):
    await write_and_seal(domain)
    async with domain.sessionmaker() as session:
        rows = (await session.scalars(select(AuditRecord).order_by(AuditRecord.chain_seq))).all()
    rows[2].actor_id = "someone-else"
    prev = bytes(rows[1].row_hash)
    statements = []
    for row in rows[2:]:  # recompute every later link, as the unkeyed chain allowed
        new_hash = hashlib.sha256(prev + audit._canonical(row)).digest()
        statements.append(
            f"UPDATE audit_log SET actor_id = '{row.actor_id}', prev_hash = '\\x{prev.hex()}', "
            f"row_hash = '\\x{new_hash.hex()}' WHERE id = {row.id}"
        )
        prev = new_hash
    await as_owner(runtime, *statements)
    report = await verify(domain)
    assert not report.ok
    assert any("was edited or forged" in problem for problem in report.problems)


async def test_a_forged_row_at_the_end_is_detected(runtime, domain):
    await write_and_seal(domain)
    async with domain.sessionmaker() as session:
        head = await session.scalar(select(AuditRecord).order_by(AuditRecord.chain_seq.desc()).limit(1))
    forged = AuditRecord(
        id=head.id + 100,
        occurred_at=head.occurred_at,
        actor_type="user",
        actor_id="nobody",
        action="lead.read",
        practice_id=None,
        lead_id=None,
        ip=None,
        details={},
    )
    guessed = hashlib.sha256(bytes(head.row_hash) + audit._canonical(forged)).digest()
    await as_owner(
        runtime,
        "INSERT INTO audit_log (id, occurred_at, actor_type, actor_id, action, details, chain_seq, "
        "prev_hash, row_hash) OVERRIDING SYSTEM VALUE VALUES "
        f"({forged.id}, '{head.occurred_at.isoformat()}', "
        f"'user', 'nobody', 'lead.read', '{{}}', {head.chain_seq + 1}, '\\x{bytes(head.row_hash).hex()}', "
        f"'\\x{guessed.hex()}')",
    )
    report = await verify(domain)
    assert any(f"seq {head.chain_seq + 1}) was edited or forged" in problem for problem in report.problems)


async def test_deleting_the_newest_rows_is_caught_by_the_exported_head(runtime, domain, tmp_path):
    sink = HeadSink(str(tmp_path / "heads.jsonl"))
    await write_and_seal(domain)
    exported = await export_head(domain.sessionmaker, sink)
    assert exported is not None and await export_head(domain.sessionmaker, sink) is None  # unchanged
    assert (await verify(domain, read_heads(sink.path))).ok
    await as_owner(runtime, f"DELETE FROM audit_log WHERE chain_seq >= {exported.seq - 1}")
    assert (await verify(domain)).ok  # the chain alone cannot tell: its end simply moved
    report = await verify(domain, read_heads(sink.path))
    assert any(f"exported head seq {exported.seq}" in p and "missing" in p for p in report.problems)


async def test_truncating_and_refilling_the_log_is_caught_by_the_exported_heads(runtime, domain, tmp_path):
    sink = HeadSink(str(tmp_path / "heads.jsonl"))
    await write_and_seal(domain, 4)
    await export_head(domain.sessionmaker, sink)
    async with runtime.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
        await connection.execute(text("TRUNCATE audit_log RESTART IDENTITY"))
        await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate"))
    await write_and_seal(domain, 6)  # a fresh chain that is valid in itself
    assert (await verify(domain)).ok
    report = await verify(domain, read_heads(sink.path))
    assert any("exported head seq 4" in p and "differs" in p for p in report.problems)


async def test_the_unkeyed_part_before_the_marker_verifies_as_sha256_and_a_moved_marker_is_refused(
    runtime, domain
):
    # Rows sealed before migration 0010: plain SHA-256 links, then the marker, then keyed links.
    async with domain.sessionmaker() as session, session.begin():
        for n in range(3):
            audit.record(session, actor=audit.Actor.system("old"), action=f"old.{n}", practice_id=None)
    async with domain.sessionmaker() as session, session.begin():
        prev = audit.GENESIS_HASH
        for seq, row in enumerate(
            (await session.scalars(select(AuditRecord).order_by(AuditRecord.id))).all(), 1
        ):
            row.chain_seq, row.prev_hash = seq, prev
            row.row_hash = prev = audit.legacy_chain_hash(prev, row)
        audit.record(
            session,
            actor=audit.Actor.system("migration"),
            action=audit.CHAIN_KEYED_ACTION,
            practice_id=None,
            details={"legacy_until_seq": 3},
        )
    await write_and_seal(domain, 2)
    report = await verify(domain)
    assert report.ok and report.legacy == 3
    await as_owner(
        runtime,
        "UPDATE audit_log SET details = '{\"legacy_until_seq\": 6}' WHERE action = 'audit.chain_keyed'",
    )
    report = await verify(domain)
    assert not report.ok
