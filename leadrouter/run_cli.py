"""`leadrouter run`: the whole product on one machine, quiet, with a progress bar and a start panel."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadrouter.commands import with_runtime
from leadrouter.supervisor import Supervisor

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / "var"
STARTUP_TIMEOUT_SECONDS = 60
"""The web process needs a few seconds to import the model stack; a minute means it failed."""
QUIET_LOG_LEVEL = "WARNING"
"""What the demo's processes log unless -v: problems only, not a line per job tick or request."""
FIRST_LOGINS = (
    ("front_desk", "the live board: leads arrive with a sound and a countdown"),
    ("manager", "response times, attribution and models, and the board of every location"),
    ("practice_admin", "the whole practice"),
    ("overflow_agent", "the overflow queue across practices"),
    ("platform_operator", "practices and call centers; patient data only through emergency access"),
)
"""One login per role for the start panel, with what that person sees first."""

console = Console()


def _steps(progress: Progress, total: int) -> Callable[[str], None]:
    """A function that advances the first-start bar by one named step."""
    task = progress.add_task("starting", total=total)

    def step(description: str) -> None:
        progress.update(task, description=description)
        progress.advance(task)

    return step


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--per-minute", default=4.0, show_default=True, type=float, help="Simulated inquiries a minute."
)
@click.option("--no-simulator", is_flag=True, help="Do not post simulated inquiries.")
@click.option("-v", "--verbose", is_flag=True, help="Show every process's log (job ticks, requests).")
def run_command(host: str, port: int, per_minute: float, no_simulator: bool, verbose: bool) -> None:
    """Start everything: servers (embedded unless URLs are set), schema, demo data, web, worker, simulator."""
    import logging

    if not verbose:
        os.environ["LEADROUTER_LOG_LEVEL"] = QUIET_LOG_LEVEL
        logging.getLogger().setLevel(QUIET_LOG_LEVEL)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console, transient=True,
        )  # fmt: skip
        with progress:
            step = _steps(progress, total=6)
            summary, base_url = _start(stack, step, host=host, port=port)
        _print_panel(base_url, summary, seconds=time.monotonic() - started)
        try:
            _simulate(base_url, per_minute, no_simulator)
        except KeyboardInterrupt:
            console.print("\nstopping…")


def _start(
    stack: contextlib.ExitStack, step: Callable[[str], None], *, host: str, port: int
) -> tuple[Any, ...]:
    from leadrouter.embedded import resolve_endpoints

    step("Starting PostgreSQL and Redis")
    endpoints = resolve_endpoints(os.environ, DATA_DIR, stack, prefer_local_defaults=False)
    env = dict(
        os.environ, DATABASE_URL=endpoints.database_url, REDIS_URL=endpoints.redis_url, LEADROUTER_DEV="1"
    )
    public_url = env.setdefault("LEADROUTER_PUBLIC_URL", f"http://{host}:{port}")
    if public_url.startswith("http://"):
        env.setdefault("LEADROUTER_SECURE_COOKIES", "0")
    os.environ.update(env)
    from leadrouter.demo import seed_demo
    from leadrouter.history_seed import seed_demo_history
    from leadrouter.model_training import ensure_pooled_model
    from router.core.db import upgrade

    step("Bringing the database schema up to date")
    owner_url = os.environ.get("LEADROUTER_MIGRATION_DATABASE_URL") or endpoints.database_url
    upgrade(owner_url)
    if owner_url != endpoints.database_url:
        from router.core.db import grant_app_role, role_of

        grant_app_role(owner_url, role_of(endpoints.database_url))
    step("Creating the demo practices and staff")
    summary = with_runtime(lambda runtime: seed_demo(runtime.domain))
    step("Training the starter lead-score model (first start only)")
    with_runtime(lambda runtime: ensure_pooled_model(runtime.domain))
    step("Seeding six months of demo history (first start only)")
    with_runtime(lambda runtime: seed_demo_history(runtime.domain))
    step("Starting the web app, the worker and the demo practice's PMS")
    pms_command = _demo_pms(DATA_DIR)
    command = [sys.executable, "-m", "leadrouter.cli"]
    children = Supervisor(
        {
            "web": [*command, "web", "--host", host, "--port", str(port)],
            "worker": [*command, "worker"],
            **({"pms": pms_command} if pms_command else {}),
        },
        env=env,
    )
    children.start()
    stack.callback(children.stop)
    base_url = f"http://{host}:{port}"
    _wait_for_health(base_url, children)
    children.watch_in_background()  # from now on a child that dies is started again
    return summary, base_url


def _demo_pms(data_dir: Path) -> list[str] | None:
    """The demo PMS's command line, after pointing the demo practice at it (None: no demo practice)."""
    import json

    from leadrouter.demo_pms import connect_demo_pms
    from leadrouter.server_process import free_ports

    (pms_port,) = free_ports(1)
    base_url = f"http://127.0.0.1:{pms_port}/fhir"
    seed = with_runtime(lambda runtime: connect_demo_pms(runtime.domain, base_url))
    if not seed:
        return None
    seed_file = data_dir / "demo-pms.json"
    seed_file.parent.mkdir(parents=True, exist_ok=True)
    seed_file.write_text(json.dumps(seed))
    return [
        sys.executable,
        "-m",
        "connectors.pms.fhir_demo",
        "--port",
        str(pms_port),
        "--seed",
        str(seed_file),
    ]


def _print_panel(base_url: str, summary: Any, *, seconds: float) -> None:
    from leadrouter.demo import DEMO_PASSWORD

    first = {}
    for email, role, where in summary.logins:
        first.setdefault(role, (email, where))
    logins = Table.grid(padding=(0, 2))
    logins.add_column(no_wrap=True)  # a sign-in email must stay whole, even in a narrow terminal
    logins.add_column()
    logins.add_column()
    for role, sees in FIRST_LOGINS:
        if role in first:
            email, where = first[role]
            logins.add_row(f"[bold]{email}[/]", f"{role.replace('_', ' ')} · {where}", sees)
    body = Table.grid(padding=(0, 0))
    body.add_row(f"Open [bold cyan]{base_url}[/] and sign in (password [bold]{DEMO_PASSWORD}[/]):")
    body.add_row(logins)
    body.add_row("")
    body.add_row(
        "Try first: sign in as the front desk, turn the sound on, and watch a simulated inquiry arrive;\n"
        "claim it, then open it. Sign in as the manager for response times (/dashboard)."
    )
    secrets = getattr(summary, "authenticator_secrets", {})
    if secrets:
        body.add_row("")
        body.add_row(
            "Managers, practice admins and the operator also type a code from an authenticator app;\n"
            "add these keys to one (or `oathtool --totp -b KEY`):"
        )
        keys = Table.grid(padding=(0, 2))
        keys.add_column(no_wrap=True)
        keys.add_column(no_wrap=True)
        for email, secret in secrets.items():
            keys.add_row(email, secret)
        body.add_row(keys)
    built_in = _development_secrets()
    if built_in:
        body.add_row("")
        body.add_row(
            f"[bold yellow]DEVELOPMENT MODE[/] [yellow]built-in secrets in use ({', '.join(built_in)}):\n"
            "they are published in the source; never let real patient data in\n"
            "(docs/deployment.md#secrets).[/]"
        )
    console.print(
        Panel(
            body,
            title=f"Lead Router is running (ready in {seconds:.0f} s)",
            subtitle="Ctrl-C stops everything",
        )
    )


def _development_secrets() -> list[str]:
    from router.core.settings import Settings

    return list(Settings().security.development_secrets())


def _simulate(base_url: str, per_minute: float, no_simulator: bool) -> None:
    if no_simulator:
        while True:
            time.sleep(1)
    from leadrouter.live_demo import run_live_demo

    with console.status(
        f"Simulator: about {per_minute:g} signed inquiries a minute to {base_url}/webhooks/…"
    ):
        with_runtime(lambda runtime: run_live_demo(runtime.domain, base_url=base_url, per_minute=per_minute))


def _wait_for_health(base_url: str, children: Supervisor) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if children.any_exited():
            raise click.ClickException("the web or worker process exited during start-up; see its log above")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.3)
    raise click.ClickException(f"the web app did not become ready within {STARTUP_TIMEOUT_SECONDS} s")
