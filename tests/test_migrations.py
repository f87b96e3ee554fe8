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
