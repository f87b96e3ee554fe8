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


@audit.command("export-head")
def audit_export_head() -> None:
    """Append the chain's current head to LEADROUTER_AUDIT_HEAD_FILE (and syslog) now."""
    from router.privacy.audit_chain import HeadSink, export_head

    async def action(runtime: Any):  # type: ignore[no-untyped-def]
        security = runtime.settings.security
        return await export_head(
            runtime.domain.sessionmaker, HeadSink(security.audit_head_file, security.audit_head_syslog)
        )

    head = with_runtime(action)
    console.print(f"exported seq {head.seq}" if head else "nothing sealed yet")


@audit.command("seal")
def audit_seal() -> None:
    """Chain every committed, unsealed audit row now (the worker does this every few seconds)."""
    from router.privacy.audit import chain_key, seal_pending

    async def action(runtime: Any) -> int:
        total = 0
        key = chain_key(runtime.settings.security.audit_key)
        while batch := await seal_pending(runtime.domain.sessionmaker, key=key):
            total += batch
        return total

    console.print(f"sealed {with_runtime(action)} rows")


@audit.command("verify")
@click.option(
    "--stale-seconds", default=300, show_default=True, help="Unsealed rows older than this are a problem."
)
@click.option(
    "--heads",
    "heads_file",
    default=None,
    help="File of exported chain heads to check against [default: LEADROUTER_AUDIT_HEAD_FILE].",
)
def audit_verify(stale_seconds: int, heads_file: str | None) -> None:
    """Check the keyed chain and the exported heads; exits 1 when a row was edited, forged or deleted."""
    from datetime import timedelta

    from router.privacy.audit_chain import verify_configured_chain

    async def action(runtime: Any):  # type: ignore[no-untyped-def]
        async with runtime.domain.sessionmaker() as session:
            cutoff = runtime.domain.clock.now() - timedelta(seconds=stale_seconds)
            return await verify_configured_chain(
                session, runtime.settings.security, stale_before=cutoff, heads_file=heads_file
            )

    report = with_runtime(action)
    console.print(
        f"{report.sealed} sealed rows ({report.legacy} from before the chain was keyed), "
        f"{report.unsealed} waiting for the sealer, {report.heads_checked} exported heads checked"
    )
    for problem in report.problems:
        console.print(f"[red]{problem}[/]")
    if not report.ok:
        raise SystemExit(1)
    console.print("[green]audit chain intact[/]")


@click.group()
def patient() -> None:
    """Patients' rights: access requests."""


@patient.command("export")
@click.option("--as", "manager_email", required=True, help="Sign-in email of the manager producing it.")
@click.option("--email", default="", help="The patient's email address.")
@click.option("--phone", default="", help="The patient's phone number.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True)
def patient_export(manager_email: str, email: str, phone: str, out: str) -> None:
    """Everything held about one patient (leads, messages, calls, consents, who viewed them), as JSON."""
    import json

    from sqlalchemy import select

    from router.core.models import StaffUser
    from router.leads.access_request import export_person
    from router.privacy.access import load_viewer
    from router.privacy.audit import Actor

    async def action(runtime: Any) -> dict[str, Any]:
        domain = runtime.domain
        async with domain.sessionmaker() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.email == manager_email.lower()))
            if user is None or not user.is_active:
                raise click.ClickException(f"no active account {manager_email}")
            viewer = await load_viewer(session, user)
        return await export_person(
            domain, viewer, email=email, phone=phone, actor=Actor("user", str(user.id), None, "cli")
        )

    document = json.dumps(with_runtime(action), indent=2, ensure_ascii=False)
    click.open_file(out, "w").write(document + "\n")


@click.group()
def retention() -> None:
    """Purging closed leads' PHI after each practice's retention period."""


@retention.command("purge")
def retention_purge() -> None:
    """Purge now what the worker would purge tonight."""
    from router.leads.retention import purge_expired_phi

    report = with_runtime(lambda runtime: purge_expired_phi(runtime.domain))
    console.print(f"purged the PHI of {report.total} closed leads: {report.purged}")


COMMANDS = [keys, audit, patient, retention]
"""Registered on the `leadrouter` group by leadrouter/cli.py."""
