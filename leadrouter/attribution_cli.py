"""Attribution in the product from the command line: export paths, run, import spend, seed history, sites."""

from __future__ import annotations

import json
import pathlib
import sys
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from leadrouter.commands import with_runtime

console = Console(stderr=True)
"""Status lines go to stderr so stdout carries only data (a path file, JSON)."""


async def _practice_id(session: Any, slug: str) -> uuid.UUID:
    from router.core.models import Practice

    found = await session.scalar(select(Practice.id).where(Practice.slug == slug))
    if found is None:
        raise click.ClickException(f"no practice {slug!r}")
    return found


def _day(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from exc


@click.command("attribution-export")
@click.argument("practice")
@click.option("--since", default=None, help="First day (YYYY-MM-DD, UTC) of touches; default 180 days ago.")
@click.option("--until", default=None, help="Day after the last (YYYY-MM-DD, UTC); default now.")
@click.option("--stage", default=None, help="Conversion funnel stage; default the practice's setting.")
@click.option("--run", "run_id", type=click.UUID, default=None, help="Use a stored run's window and stage.")
def export_command(
    practice: str, since: str | None, until: str | None, stage: str | None, run_id: uuid.UUID | None
) -> None:
    """Print PRACTICE's journeys as an aggregated path file (CSV) for `leadrouter attribution`."""
    from leadrouter.attribution_engine import export_paths
    from router.core.models import AttributionRun, Practice
    from router.marketing.attribution_runs import DEFAULT_WINDOW_DAYS
    from router.marketing.journeys import load_journeys
    from router.practices.settings import PracticeSettings

    async def action(runtime: Any) -> tuple[int, int]:
        async with runtime.domain.sessionmaker() as session:
            practice_id = await _practice_id(session, practice)
            now = runtime.domain.clock.now()
            start = _day(since) or now - timedelta(days=DEFAULT_WINDOW_DAYS)
            end = _day(until) or now
            chosen = (
                stage
                or PracticeSettings.from_json(
                    (await session.get(Practice, practice_id)).settings
                ).attribution_conversion_stage
            )
            if run_id is not None:
                run = await session.get(AttributionRun, run_id)
                if run is None or run.practice_id != practice_id:
                    raise click.ClickException(f"no run {run_id} of {practice}")
                start, end, chosen = run.window_start, run.window_end, run.conversion_stage
            journeys = await load_journeys(
                session, practice_id, start=start, end=end, conversion_stage=chosen
            )
        if not journeys.journeys:
            raise click.ClickException("no journeys in that window")
        return export_paths(journeys, sys.stdout), len(journeys.journeys)

    paths, journeys = with_runtime(action)
    console.print(f"{journeys:,} journeys as {paths:,} distinct paths")


@click.command("attribution-run")
@click.argument("practice")
@click.option("--enqueue", is_flag=True, help="Hand the run to the worker instead of running it here.")
@click.option("--order", type=click.IntRange(1, 3), default=1, show_default=True, help="Markov order.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored results as JSON.")
def run_command(practice: str, enqueue: bool, order: int, as_json: bool) -> None:
    """Run attribution for PRACTICE now (stored like the nightly run) and print the credit table."""
    from router.core.models import AttributionRun
    from router.marketing.attribution_runs import enqueue_run, execute_run, request_run

    async def action(runtime: Any) -> AttributionRun | None:
        domain = runtime.domain
        async with domain.transaction() as session:
            practice_id = await _practice_id(session, practice)
            run, created = await request_run(
                session, practice_id, requested_by="cli", now=domain.clock.now(), order=order
            )
        if enqueue or not created:
            await enqueue_run(runtime.redis, domain.settings.redis.queue_name, run.id)
            console.print(f"run {run.id} {'queued' if created else 'already pending'} for the worker")
            return None
        await execute_run(domain, run.id)
        async with domain.sessionmaker() as session:
            return await session.get(AttributionRun, run.id)

    run = with_runtime(action)
    if run is None:
        return
    if run.status != "done":
        raise click.ClickException(f"run {run.id} failed: {run.error}")
    if as_json:
        click.echo(json.dumps(run.results["report"]))
        return
    table = Table(title=f"Run {run.id}: {run.journeys:,} journeys, {run.conversions:,.0f} conversions")
    for heading in (
        "channel",
        "last touch",
        "data-driven",
        "shapley",
        "primary",
        "contributing",
        "cost/booking",
    ):
        table.add_column(heading, justify="left" if heading == "channel" else "right")
    for row in run.results["channels"]:
        cpa = row["cpa_markov"]
        table.add_row(
            row["channel"],
            f"{row['last_touch']:,.1f}",
            f"{row['markov']:,.1f}",
            f"{row['shapley']:,.1f}",
            f"{row['primary']:,.0f}",
            f"{row['contributing']:,.0f}",
            "—" if cpa is None else f"${cpa:,.0f}",
        )
    Console().print(table)
    console.print(f"read {run.read_seconds:.2f} s (PostgreSQL), computed {run.compute_seconds:.2f} s")


@click.group("spend")
def spend_group() -> None:
    """Ad-platform spend (CSV exports: date, channel, campaign, spend, impressions, clicks)."""


@spend_group.command("import")
@click.argument("practice")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
def spend_import(practice: str, file: pathlib.Path) -> None:
    """Import FILE's rows for PRACTICE; bad rows are reported by line, a re-import replaces."""
    from router.marketing.spend import SpendFileError, import_spend

    text = file.read_text(encoding="utf-8-sig")

    async def action(runtime: Any) -> tuple[int, list[Any]]:
        async with runtime.domain.transaction() as session:
            practice_id = await _practice_id(session, practice)
            return await import_spend(session, practice_id, text, now=runtime.domain.clock.now())

    try:
        written, problems = with_runtime(action)
    except SpendFileError as error:
        raise click.ClickException(str(error)) from error
    for problem in problems:
        console.print(f"[yellow]skipped[/] {problem}")
    console.print(f"{written} day/campaign row(s) stored; {len(problems)} problem(s)")


@click.command("seed-history")
@click.argument("practice")
@click.option("--months", type=click.IntRange(1, 24), default=6, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--run/--no-run", "run_after", default=True, help="Run attribution on it afterwards.")
def seed_history_command(practice: str, months: int, seed: int, run_after: bool) -> None:
    """Write simulated past leads, journeys, outcomes and spend for a demo PRACTICE (idempotent)."""
    from leadrouter.history_seed import seed_history
    from router.marketing.attribution_runs import execute_run, request_run

    async def action(runtime: Any) -> Any:
        domain = runtime.domain
        try:
            summary = await seed_history(domain, practice, months=months, seed=seed)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
        if summary.created and run_after:
            async with domain.transaction() as session:
                practice_id = await _practice_id(session, practice)
                run, _ = await request_run(session, practice_id, requested_by="seed", now=domain.clock.now())
            await execute_run(domain, run.id)
        return summary

    summary = with_runtime(action)
    if summary.created:
        console.print(f"{summary.leads:,} leads and {summary.touchpoints:,} touchpoints written")
    else:
        console.print("history already there; nothing written")
    console.print(f"{summary.spend_rows:,} spend rows upserted; tracking site key {summary.site_key}")


@click.group("tracking-site")
def tracking_site_group() -> None:
    """Websites that run the first-party journey script (/t.js)."""


@tracking_site_group.command("add")
@click.argument("practice")
@click.option("--origin", "origins", multiple=True, required=True, help="e.g. https://www.example-dental.com")
@click.option(
    "--public-url", envvar="LEADROUTER_PUBLIC_URL", default="http://127.0.0.1:8000", show_default=True
)
def tracking_site_add(practice: str, origins: tuple[str, ...], public_url: str) -> None:
    """Create a site key for PRACTICE's website(s) and print the snippet to paste."""
    from router.marketing.tracking import create_tracking_site

    async def action(runtime: Any) -> str:
        async with runtime.domain.transaction() as session:
            practice_id = await _practice_id(session, practice)
            try:
                site = await create_tracking_site(session, practice_id, list(origins))
            except ValueError as error:
                raise click.ClickException(str(error)) from error
            return site.key

    key = with_runtime(action)
    click.echo(f'<script async src="{public_url.rstrip("/")}/t.js" data-site="{key}"></script>')


COMMANDS = [
    export_command,
    run_command,
    spend_group,
    seed_history_command,
    tracking_site_group,
]
"""Registered on the `leadrouter` group by the composition root."""
