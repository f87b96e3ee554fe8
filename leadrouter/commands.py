"""Helpers every `leadrouter` subcommand module shares (kept apart so no command module imports cli.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")


def require_urls() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        raise click.ClickException(
            "DATABASE_URL and REDIS_URL must be set (`leadrouter run` starts embedded servers instead)"
        )


def with_runtime(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run an async action with the process runtime, closing it afterwards."""
    require_urls()
    from leadrouter.runtime import build_runtime

    async def main() -> T:
        runtime = build_runtime()
        try:
            return await action(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


def with_domain(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run an async action with the process's domain (database, keys, ports), closing it afterwards."""
    return with_runtime(lambda runtime: action(runtime.domain))


def refuse_development_secrets(process: str) -> None:
    """`web` and `worker` stop here when a built-in development key is in use outside LEADROUTER_DEV=1."""
    from router.core.settings import Settings

    security = Settings().security
    built_in = security.development_secrets()
    if built_in and not security.dev_mode:
        raise click.ClickException(
            f"refusing to start {process}: {', '.join(built_in)} "
            f"{'is' if len(built_in) == 1 else 'are'} still the published development "
            "value; set real secrets (docs/deployment.md#secrets), or LEADROUTER_DEV=1 for a demo "
            "without patient data"
        )


def warn_if_app_owns_tables() -> None:
    """Say at start when the app connects as the tables' owner (the audit log's guarantees are weaker)."""
    import logging

    from router.core.settings import Settings

    if Settings().database.app_owns_tables:
        logging.getLogger("leadrouter").warning(
            "LEADROUTER_MIGRATION_DATABASE_URL is not set: the app connects as the tables' owner, so "
            "the audit log is tamper-evident only against people without that role "
            "(docs/security.md#the-audit-log)"
        )
