"""Alembic revisions upgrade from empty and downgrade to base cleanly."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from router.core.db import downgrade, upgrade

pytestmark = pytest.mark.integration


def test_upgrade_from_empty_downgrade_to_base_and_again(service_urls):
    database_url, _ = service_urls
    name = f"lr_migrations_{secrets.token_hex(4)}"
    admin = make_url(database_url).set(drivername="postgresql", database="postgres").render_as_string(False)
    target = make_url(database_url).set(database=name).render_as_string(False)

    async def admin_sql(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def tables() -> set[str]:
        connection = await asyncpg.connect(
            make_url(target).set(drivername="postgresql").render_as_string(False)
        )
        try:
            rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            functions = await connection.fetch("SELECT proname FROM pg_proc WHERE proname LIKE '%_guard'")
            return {r["tablename"] for r in rows} | {f["proname"] for f in functions}
        finally:
            await connection.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(target)
        created = asyncio.run(tables())
        assert {"leads", "audit_log", "domain_events", "audit_log_guard"} <= created
        downgrade(target, "base")
        assert asyncio.run(tables()) == {"alembic_version"}
        upgrade(target)
        assert asyncio.run(tables()) == created
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_0010_binds_old_phi_to_column_and_row_and_marks_the_unkeyed_chain(service_urls):
    import base64
    import os
    import uuid

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from router.core.crypto import FieldCipher
    from router.core.phi_columns import LEAD_FIRST_NAME
    from router.core.settings import Settings

    database_url, _ = service_urls
    name = f"lr_migrations_{secrets.token_hex(4)}"
    admin = make_url(database_url).set(drivername="postgresql", database="postgres").render_as_string(False)
    target = make_url(database_url).set(database=name).render_as_string(False)
    dsn = make_url(target).set(drivername="postgresql").render_as_string(False)
    spec = Settings().security.phi_keys
    key_id, _, encoded = spec.split(",")[0].partition(":")
    key = base64.b64decode(encoded)
    nonce = os.urandom(12)
    legacy = b"\x01" + key_id.encode() + b"." + nonce + AESGCM(key).encrypt(nonce, b"Ana", b"lead")
    lead_id, practice_id = uuid.uuid4(), uuid.uuid4()

    async def run(sql: str, *args, fetch: bool = False, url: str = dsn):  # type: ignore[no-untyped-def]
        connection = await asyncpg.connect(url)
        try:
            return await (connection.fetch if fetch else connection.execute)(sql, *args)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"', url=admin))
    try:
        upgrade(target, "0009_roles_and_break_glass")
        asyncio.run(
            run(
                "INSERT INTO practices (id, slug, name, time_zone, settings)"
                " VALUES ($1, 'p', 'P', 'UTC', '{}')",
                practice_id,
            )
        )
        asyncio.run(
            run(
                "INSERT INTO leads (id, practice_id, first_name_enc, source_kind, source_channel, status,"
                " stage, score_reasons, score_pooled, received_at, escalation_level, overflow,"
                " last_activity_at, touch_count) VALUES ($1, $2, $3, 'form', 'direct', 'open', 'lead',"
                " '[]', false, now(), 0, false, now(), 1)",
                lead_id,
                practice_id,
                legacy,
            )
        )
        asyncio.run(
            run(
                "INSERT INTO audit_log (occurred_at, actor_type, actor_id, action, details, chain_seq,"
                " prev_hash, row_hash) VALUES (now(), 'system', 't', 'x', '{}', 1, '\\x00', '\\x01')"
            )
        )
        upgrade(target)
        [row] = asyncio.run(run("SELECT first_name_enc FROM leads", fetch=True))
        cipher = FieldCipher.from_config(spec)
        assert cipher.open(row["first_name_enc"], column=LEAD_FIRST_NAME, row_id=lead_id) == "Ana"
        marker = asyncio.run(
            run("SELECT details FROM audit_log WHERE action = 'audit.chain_keyed'", fetch=True)
        )
        assert '"legacy_until_seq": 1' in marker[0]["details"]
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', url=admin))
