"""Engine, sessions and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


CONNECT_TIMEOUT_SECONDS = 3
"""A request waits at most this long for PostgreSQL before answering 503 (webhook senders retry)."""


SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def tls_connect_args(url: str) -> tuple[str, dict[str, Any]]:
    """libpq's `sslmode` (and `sslrootcert`) in a URL, as asyncpg's `ssl` argument.

    `DATABASE_URL=postgresql+asyncpg://app@db.internal/leads?sslmode=verify-full` is how every
    PostgreSQL tool spells TLS; asyncpg takes it as a connect argument instead of a URL parameter.
    """
    parsed = make_url(url)
    query = dict(parsed.query)
    mode = query.pop("sslmode", None)
    root_cert = query.pop("sslrootcert", None)
    if mode is None:
        return url, {}
    if mode not in SSL_MODES:
        raise ValueError(f"sslmode must be one of {', '.join(SSL_MODES)}, not {mode!r}")
    ssl: Any = mode
    if root_cert and mode in ("verify-ca", "verify-full"):
        import ssl as ssl_module

        context = ssl_module.create_default_context(cafile=root_cert)
        context.check_hostname = mode == "verify-full"
        ssl = context
    return parsed.set(query=query).render_as_string(hide_password=False), {"ssl": ssl}


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine without pre-ping: a ping per checkout costs a round trip on every webhook.

    After a PostgreSQL restart the first request that meets a dropped connection answers 503 (senders
    retry) and the pool is started afresh (SQLAlchemy does this on a disconnect, and so does
    router/prepared.py), which is cheaper than pinging every time.
    """
    url, tls = tls_connect_args(url)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_pre_ping=False,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, **tls},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (we publish after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at our revisions and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema to `revision` (runs in its own event loop; call from sync code)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Take the schema back to `revision`."""
    command.downgrade(alembic_config(url), revision)


APP_ROLE_GRANTS = (
    'GRANT USAGE ON SCHEMA public TO "{role}"',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
    'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    # The audit log: insert, and seal (fill the chain columns once); never edit, delete or empty it.
    'REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM "{role}"',
    'GRANT UPDATE (chain_seq, prev_hash, row_hash) ON audit_log TO "{role}"',
    # Consent records are evidence: never deleted by the app (the trigger allows re-encryption only).
    'REVOKE DELETE, TRUNCATE ON consent_records FROM "{role}"',
    'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"',
)
"""What the application's own role may do on tables it does not own (run after every migration)."""


async def grant_app_privileges(owner_url: str, role: str) -> None:
    """Give the application's role (not the tables' owner) exactly the privileges it needs."""
    if not role or '"' in role:
        raise ValueError(f"not a role name: {role!r}")
    url, tls = tls_connect_args(owner_url)
    engine = create_async_engine(url, connect_args=tls)
    try:
        async with engine.begin() as connection:
            for statement in APP_ROLE_GRANTS:
                await connection.exec_driver_sql(statement.format(role=role))
    finally:
        await engine.dispose()


def grant_app_role(owner_url: str, role: str) -> None:
    """`grant_app_privileges` from synchronous code (the migrate command)."""
    import asyncio

    asyncio.run(grant_app_privileges(owner_url, role))


def role_of(url: str) -> str:
    """The user name a database URL connects as."""
    return make_url(url).username or ""
