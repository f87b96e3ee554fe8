"""`leadrouter backup`, `leadrouter backup drill` and `leadrouter restore` (docs/reliability.md)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from leadrouter.backup import BackupRefused, restore_backup, take_backup

console = Console()
T = TypeVar("T")


class BarSteps:
    """`Steps` on a rich progress bar: one bar per stage, the finished ones kept full."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, words: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(words, total=max(total, 1))

    def advance(self, count: int = 1) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, completed=min(task.completed + count, task.total or 0))


@contextmanager
def progress_bar() -> Iterator[BarSteps]:
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(), console=console, transient=True,
    )  # fmt: skip
    with progress:
        yield BarSteps(progress)


def _settings() -> Any:
    from router.core.settings import get_settings

    if not os.environ.get("DATABASE_URL"):
        raise click.ClickException("DATABASE_URL must be set (the database to back up or restore into)")
    return get_settings()


def _run(action: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(action())
    except BackupRefused as exc:
        raise click.ClickException(str(exc)) from exc


async def _record_backup(settings: Any, mark: dict[str, Any]) -> None:
    """The status page's "last backup", in the database that was backed up (no Redis needed)."""
    from router.core.db import make_engine, make_sessionmaker
    from router.core.domain import Domain
    from router.ops.marks import BACKUP, record_mark

    engine = make_engine(settings.database.url, pool_size=1)
    try:
        await record_mark(Domain.from_settings(settings, make_sessionmaker(engine)), BACKUP, mark)
    finally:
        await engine.dispose()


def _default_dump(settings: Any) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.ops.backup_dir) / f"leadrouter-{stamp}.dump"


@click.group("backup", invoke_without_command=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Dump file to write."
)
@click.pass_context
def backup_group(ctx: click.Context, out: Path | None) -> None:
    """Back up the database (pg_dump, custom format) with a manifest beside it; `drill` rehearses a restore.

    The file goes to LEADROUTER_BACKUP_DIR/leadrouter-<UTC time>.dump unless --out names one; the
    manifest is the same name plus .json. Keep both, and the PHI keys, apart from the database.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    dump = out or _default_dump(settings)

    async def action() -> Any:
        with progress_bar() as steps:
            result = await take_backup(settings.database.owner_url, dump, steps)
        await _record_backup(settings, result.mark)
        return result

    result = _run(action)
    manifest = result.manifest
    console.print(
        f"[green]backed up[/] {manifest['leads']:,} leads, {manifest['tables']} tables, "
        f"PHI keys {', '.join(sorted(manifest['key_ids'])) or '(none used yet)'}, "
        f"audit chain to link {manifest['audit_chain_seq']:,}: {result.dump} "
        f"({manifest['dump_bytes'] / 1e6:.1f} MB) in {result.seconds:.1f} s"
    )


@backup_group.command("drill")
@click.option(
    "--leads", type=int, default=None, help="Build a scratch database of this many simulated leads first."
)
def drill_command(leads: int | None) -> None:
    """Back up, restore into a fresh database, verify, and print how long each step took.

    Without --leads it rehearses with the configured database; with it, with simulated leads in a
    scratch database. Every database the drill creates is dropped at the end.
    """
    from leadrouter.backup_drill import HIPAA_PROPOSED_RESTORE_HOURS, run_drill

    settings = _settings()

    async def action() -> Any:
        with progress_bar() as steps:
            return await run_drill(settings, steps, leads=leads)

    report = _run(action)
    if report.fill_seconds:
        console.print(f"built {report.leads:,} simulated leads in {report.fill_seconds:.0f} s")
    console.print(
        f"backup {report.backup_seconds:.1f} s ({report.dump_bytes / 1e6:.1f} MB), "
        f"restore {report.restore_seconds:.1f} s, verify {report.verify_seconds:.1f} s "
        f"({report.decrypted} values decrypted, {report.audit_rows:,} audit links checked)"
    )
    for problem in report.problems:
        console.print(f"[red]{problem}[/]")
    if report.problems:
        raise SystemExit(1)
    console.print(
        f"[green]restore drill passed[/]: {report.leads:,} leads recovered and verified in "
        f"{report.recovery_seconds:.1f} s, {report.hipaa_margin:,.0f} times within HIPAA's proposed "
        f"{HIPAA_PROPOSED_RESTORE_HOURS} hours"
    )


@click.command("restore")
@click.argument("dump", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "url",
    default=None,
    help="Database URL to restore into [default: LEADROUTER_MIGRATION_DATABASE_URL, else DATABASE_URL].",
)
def restore_command(dump: Path, url: str | None) -> None:
    """Restore a backup into an empty database, then prove it usable (keys, decryption, audit chain).

    Refused, before anything is written, when the target database is not empty, when the configured
    PHI keys lack one the data was sealed with (named), or when the file differs from its manifest.
    """
    settings = _settings()
    target = url or settings.database.owner_url

    async def action() -> Any:
        with progress_bar() as steps:
            result = await restore_backup(dump, target, settings, steps)
        database = settings.database
        if url is None and not database.app_owns_tables:
            from router.core.db import grant_app_privileges, role_of

            await grant_app_privileges(target, role_of(database.url))
        return result

    result = _run(action)
    console.print(
        f"restored {result.leads:,} leads in {result.seconds:.1f} s; "
        f"verified in {result.verify_seconds:.1f} s: "
        f"{result.decrypted} encrypted values decrypted, {result.audit_rows:,} audit links checked"
    )
    for problem in result.problems:
        console.print(f"[red]{problem}[/]")
    if not result.ok:
        raise SystemExit(1)
    console.print(
        "[green]restore verified[/]; run `leadrouter migrate` if the backup is from an older release"
    )


COMMANDS = [backup_group, restore_command]
