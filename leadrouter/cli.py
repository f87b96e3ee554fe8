"""`leadrouter`: every operation of the product from the command line."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import click
from rich.console import Console

from attribution.cli import attribution_command
from leadrouter.admin_cli import COMMANDS as ADMIN_COMMANDS
from leadrouter.attribution_cli import COMMANDS as ATTRIBUTION_COMMANDS
from leadrouter.backup_cli import COMMANDS as BACKUP_COMMANDS
from leadrouter.channels_cli import COMMANDS as CHANNELS_COMMANDS
from leadrouter.commands import (
    refuse_development_secrets,
    require_urls,
    warn_if_app_owns_tables,
    with_runtime,
)
from leadrouter.logs import log_level
from leadrouter.models_cli import COMMANDS as MODELS_COMMANDS
from leadrouter.phones_cli import phones_group, tracking_number_group
from leadrouter.privacy_cli import COMMANDS as PRIVACY_COMMANDS
from leadrouter.run_cli import run_command
from leadrouter.train_cli import COMMANDS as TRAINING_COMMANDS

console = Console()
T = TypeVar("T")


log = logging.getLogger("leadrouter.cli")


def describe_failure(exc: BaseException) -> str:
    """A failure in one line an operator can act on (the traceback is logged with -v)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import IntegrityError

    from router.core.db_errors import is_unavailable, sqlstate

    if isinstance(exc, IntegrityError):
        detail = getattr(exc.orig, "detail", None) or getattr(exc.orig.__cause__, "detail", None)
        what = "already exists" if sqlstate(exc) == "23505" else "conflicts with what is stored"
        return f"that {what}" + (f": {detail}" if detail else "")
    if is_unavailable(exc):
        return f"PostgreSQL is unavailable ({type(exc).__name__}); is it running, and is DATABASE_URL right?"
    if isinstance(exc, RedisConnectionError):
        return f"Redis is unavailable ({type(exc).__name__}); is it running, and is REDIS_URL right?"
    message = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {message[:300]}"


class OneLineErrors(click.Group):
    """Every failing subcommand ends with one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            log.debug("%s failed", ctx.invoked_subcommand, exc_info=True)
            raise click.ClickException(describe_failure(exc)) from exc


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def cli(verbose: bool) -> None:
    """Real-time patient-acquisition lead router for dental and orthodontic practices."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else log_level(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


cli.add_command(attribution_command, name="attribution")
cli.add_command(run_command)
cli.add_command(tracking_number_group)
cli.add_command(phones_group)
for _command in (
    *ADMIN_COMMANDS,
    *PRIVACY_COMMANDS,
    *TRAINING_COMMANDS,
    *MODELS_COMMANDS,
    *ATTRIBUTION_COMMANDS,
    *BACKUP_COMMANDS,
    *CHANNELS_COMMANDS,
):
    cli.add_command(_command)


@cli.command()
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Downgrade to the revision instead (e.g. base).")
def migrate(revision: str, down: bool) -> None:
    """Bring the database schema up to date (or down with --down), as the tables' owner.

    With LEADROUTER_MIGRATION_DATABASE_URL set, migrations run as that (owner) role and the role of
    DATABASE_URL is then granted what the app needs, and nothing that could alter the audit log.
    """
    require_urls()
    from router.core.db import downgrade, grant_app_role, role_of, upgrade
    from router.core.settings import DatabaseSettings

    database = DatabaseSettings()
    (downgrade if down else upgrade)(database.owner_url, revision)
    console.print(f"[green]schema at {revision}[/]")
    if not down and not database.app_owns_tables and role_of(database.url) != role_of(database.owner_url):
        grant_app_role(database.owner_url, role_of(database.url))
        console.print(f"[green]privileges of the app's role {role_of(database.url)} granted[/]")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Web processes sharing the port.")
def web(host: str, port: int, workers: int) -> None:
    """Serve the web app (Litestar under uvicorn)."""
    require_urls()
    refuse_development_secrets("the web app")
    warn_if_app_owns_tables()
    import uvicorn

    uvicorn.run(
        "leadrouter.runtime:create_web_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws_per_message_deflate=False,
        log_level=log_level().lower(),
        access_log=False,
    )


@cli.command()
@click.option("--burst", is_flag=True, help="Run what is due, then exit.")
def worker(burst: bool) -> None:
    """Run the background worker (arq)."""
    require_urls()
    refuse_development_secrets("the worker")
    warn_if_app_owns_tables()
    from leadrouter.worker import build_worker

    worker = build_worker(burst=burst)
    worker.run()


@cli.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Where the web app answers.")
@click.option("--per-minute", default=4.0, show_default=True, type=float, help="Average inquiries a minute.")
@click.option("--count", type=int, default=None, help="Stop after this many (default: run until Ctrl-C).")
@click.option("--seed", type=int, default=2026, show_default=True)
def simulate(url: str, per_minute: float, count: int | None, seed: int) -> None:
    """Post realistic, signed inquiries from the practice simulator to the running webhook."""
    from leadrouter.live_demo import run_live_demo

    async def action(runtime: Any) -> Any:
        return await run_live_demo(
            runtime.domain, base_url=url, per_minute=per_minute, count=count, seed=seed
        )

    stats = with_runtime(action)
    console.print(f"posted {stats.sent} inquiries; answers {dict(stats.statuses)}; failures {stats.failures}")


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo practices, staff and call center (does nothing if they exist)."""
    from leadrouter.demo import DEMO_PASSWORD, seed_demo

    summary = with_runtime(lambda runtime: seed_demo(runtime.domain))
    console.print(
        ("created" if summary.created else "already there") + f"; password for all: {DEMO_PASSWORD}"
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
