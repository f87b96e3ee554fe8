"""Commands for PHI keys and the tamper-evident audit log."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from leadrouter.commands import with_runtime

console = Console()


@click.group()
def keys() -> None:
    """PHI encryption keys."""


@keys.command("generate")
@click.argument("key_id")
def keys_generate(key_id: str) -> None:
    """Print a new `id:base64key` entry for LEADROUTER_PHI_KEYS (put it first to encrypt with it)."""
    from router.core.crypto import generate_key

    console.print(f"{key_id}:{generate_key()}")


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every PHI field under the first key of LEADROUTER_PHI_KEYS."""
    from router.privacy.key_rotation import ENCRYPTED_COLUMNS, rotate_phi_key

    async def action(runtime: Any) -> dict[str, int]:
        with Progress(console=console) as progress:
            task = progress.add_task("re-encrypting", total=len(ENCRYPTED_COLUMNS))
            seen: set[str] = set()

            def advance(column: str, count: int) -> None:
                if column not in seen:
                    seen.add(column)
                    progress.advance(task)
                progress.update(task, description=f"{column}: {count}")

            return await rotate_phi_key(runtime.domain, progress=advance)

    counts = with_runtime(action)
    console.print(f"re-encrypted {sum(counts.values())} values: {counts}")


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("seal")
def audit_seal() -> None:
    """Chain every committed, unsealed audit row now (the worker does this every few seconds)."""
    from router.privacy.audit import seal_pending

    async def action(runtime: Any) -> int:
        total = 0
        while batch := await seal_pending(runtime.domain.sessionmaker):
            total += batch
        return total

    console.print(f"sealed {with_runtime(action)} rows")


@audit.command("verify")
@click.option(
    "--stale-seconds", default=300, show_default=True, help="Unsealed rows older than this are a problem."
)
def audit_verify(stale_seconds: int) -> None:
    """Check the hash chain; exits 1 when a row was edited or deleted."""
    from datetime import timedelta

    from router.privacy.audit import verify_chain

    async def action(runtime: Any):  # type: ignore[no-untyped-def]
        async with runtime.domain.sessionmaker() as session:
            cutoff = runtime.domain.clock.now() - timedelta(seconds=stale_seconds)
            return await verify_chain(session, stale_before=cutoff)

    report = with_runtime(action)
    console.print(f"{report.sealed} sealed rows, {report.unsealed} waiting for the sealer")
    for problem in report.problems:
        console.print(f"[red]{problem}[/]")
    if not report.ok:
        raise SystemExit(1)
    console.print("[green]audit chain intact[/]")


COMMANDS = [keys, audit]
"""Registered on the `leadrouter` group by leadrouter/cli.py."""
