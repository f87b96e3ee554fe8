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
