"""`leadrouter train` and `leadrouter models ...`: train lead-score versions, compare, promote, inspect."""

from __future__ import annotations

import getpass
import json
import math
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from leadrouter.commands import with_runtime

console = Console()

MODELS_DIR = Path(__file__).resolve().parent.parent / "var" / "models"
"""Where each version's card and plots are written, one folder per version."""

TRAINING_STEPS = 7
"""Progress messages one training emits (simulating/importing + six from `train_models`)."""

_SUMMARY_ROWS = (
    ("ROC AUC", "roc_auc", "{:.3f}"),
    ("accuracy at 0.5", "accuracy", "{:.3f}"),
    ("Brier score (lower is better)", "brier", "{:.4f}"),
    ("top / bottom quartile conversion", "top_bottom_quartile_ratio", "{:.2f}x"),
)


def _cli_actor(by: str | None) -> Any:
    from router.privacy.audit import Actor

    return Actor(type="user", id=f"cli:{by or getpass.getuser()}")


async def _practice(session: Any, slug: str) -> Any:
    from router.core.models import Practice

    practice = await session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise click.ClickException(f"no practice {slug!r}")
    return practice


async def _csv_history(session: Any, practice: Any, path: Path) -> Any:
    """Import a CSV export, printing warnings and each bad line; the good rows train."""
    from leadrouter.model_training import History
    from router.core.models import Location, Provider
    from scoring.history_csv import import_history_csv

    coordinates, providers, zone = [], [], "UTC"
    if practice is not None:
        zone = practice.time_zone
        offices = (await session.scalars(select(Location).where(Location.practice_id == practice.id))).all()
        coordinates = [(o.latitude, o.longitude) for o in offices if o.latitude is not None]
        providers = list(
            (await session.scalars(select(Provider.name).where(Provider.practice_id == practice.id))).all()
        )
    imported = import_history_csv(path, time_zone=zone, locations=coordinates, provider_names=providers)
    for warning in imported.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for line, message in imported.errors:
        console.print(f"[red]line {line}:[/] {message}")
    console.print(f"imported {len(imported.inputs)} leads from {path.name}; {len(imported.errors)} bad lines")
    if not imported.inputs:
        raise click.ClickException(f"no usable rows in {path}")
    return History(imported.inputs, imported.labels, imported.received_at, source=f"CSV {path.name}")


def _summary(metrics: dict) -> Table:
    """XGBoost, the logistic baseline and the true-probability ceiling side by side."""
    table = Table(title="Holdout results (most recent months)")
    table.add_column("metric")
    for name in metrics:
        table.add_column(name.replace("_", " "), justify="right")
    for label, key, pattern in _SUMMARY_ROWS:
        cells = []
        for section in metrics.values():
            value = section.get(key)
            finite = isinstance(value, float | int) and math.isfinite(value)
            cells.append(pattern.format(value) if finite else "n/a")
        table.add_row(label, *cells)
    return table


def _write_card(result: Any, out: Path) -> Path:
    folder = out / result.version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_card.md").write_text(result.card_markdown, encoding="utf-8")
    (folder / "model_card.json").write_text(
        json.dumps(result.card_json, indent=2, default=str), encoding="utf-8"
    )
    for name, png in result.plots.items():
        (folder / name).write_bytes(png)
    return folder


@click.command("train")
@click.option("--practice", "practice_slug", default=None, help="Train this practice's own model.")
@click.option("--pooled", is_flag=True, help="Train the pooled model (the default without --practice).")
@click.option("--months", default=18, show_default=True, help="Months of simulated history.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--promote", is_flag=True, help="Promote it if it beats (or ties) the champion.")
@click.option("--source", type=click.Choice(["simulator", "csv", "product"]), default=None)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="History CSV (implies --source csv); columns in scoring/history_csv.py.",
)
@click.option("--trees", type=int, default=None, help="Number of trees (default: the tuned 300).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=MODELS_DIR, show_default=True
)
def train_command(
    practice_slug: str | None,
    pooled: bool,
    months: int,
    seed: int,
    promote: bool,
    source: str | None,
    csv_path: Path | None,
    trees: int | None,
    out: Path,
) -> None:
    """Train a lead-score model version, write its card and plots, store it (and optionally promote)."""
    if pooled and practice_slug:
        raise click.UsageError("--pooled and --practice exclude each other")
    source = source or ("csv" if csv_path else "simulator")
    if source == "csv" and csv_path is None:
        raise click.UsageError("--source csv needs --csv PATH")
    if source == "product" and not practice_slug:
        raise click.UsageError("--source product needs --practice SLUG")

    async def action(runtime: Any) -> None:
        from leadrouter import model_training
        from router.core.clock import utcnow
        from router.scores.history import product_history

        domain = runtime.domain
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("reading history", total=TRAINING_STEPS)

            def say(message: str) -> None:
                progress.update(task, description=message, advance=1)

            async with domain.sessionmaker() as session:
                practice = await _practice(session, practice_slug) if practice_slug else None
                if source == "csv":
                    assert csv_path is not None
                    history = await _csv_history(session, practice, csv_path)
                elif source == "product":
                    rows = await product_history(session, domain, practice.id)
                    needed = domain.settings.scoring.min_practice_leads
                    if len(rows.inputs) < needed:
                        raise click.ClickException(
                            f"{practice_slug} has {len(rows.inputs)} closed leads; a model of its own "
                            f"needs {needed} (the pooled model serves it meanwhile)"
                        )
                    history = model_training.History(
                        rows.inputs, rows.labels, rows.received_at, source="product outcomes"
                    )
                else:
                    history = model_training.simulated_history(
                        months=months,
                        seed=seed,
                        end=model_training.month_start(utcnow()),
                        practice_slug=practice_slug,
                    )
            say(f"{len(history.inputs)} leads; building features")
            try:
                params = {"n_estimators": trees} if trees else None
                result = model_training.train(history, seed=seed, progress=say, xgboost_params=params)
            except ValueError as error:
                raise click.ClickException(str(error)) from error
        console.print(_summary(result.metrics))
        folder = _write_card(result, out)
        practice_id = practice.id if practice is not None else None
        version = await model_training.store(domain, result, practice_id=practice_id, source=history.source)
        scope = practice_slug or "pooled"
        console.print(f"stored [bold]{version}[/] ({scope}) as a candidate; card and plots in {folder}")
        if promote:
            await _promote(domain, version, force=False, reason=None, by=None)
        else:
            console.print(f"promote it with: leadrouter models promote {version}")

    with_runtime(action)


async def _promote(domain: Any, version: str, *, force: bool, reason: str | None, by: str | None) -> None:
    from router.scores import registry

    try:
        promotion = await registry.promote_and_announce(
            domain, version, actor=_cli_actor(by), force=force, reason=reason
        )
    except registry.PromotionRefused as refused:
        raise click.ClickException(f"not promoted: {refused} (override: --force --reason TEXT)") from None
    except (registry.UnknownModelVersion, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if promotion.champion_auc is not None:
        console.print(
            f"on {version}'s holdout: challenger AUC {promotion.challenger_auc:.4f}, "
            f"champion {promotion.previous_version} {promotion.champion_auc:.4f}"
        )
    note = " (forced, audited)" if promotion.forced else ""
    console.print(f"[green]{version} is now the active model[/]{note}; every process swaps to it")


@click.group("models")
def models_group() -> None:
    """Lead-score model versions: list, show, evaluate, promote."""


@models_group.command("list")
def models_list() -> None:
    """Every stored version, newest first, with its holdout AUC and status."""

    async def action(runtime: Any) -> list[tuple[Any, str]]:
        from router.core.models import Practice
        from router.scores import registry

        async with runtime.domain.sessionmaker() as session:
            rows = await registry.list_versions(session)
            slugs = dict((await session.execute(select(Practice.id, Practice.slug))).all())
        return [(row, slugs.get(row.practice_id, "pooled")) for row in rows]

    table = Table(title="Lead-score model versions")
    table.add_column("version", no_wrap=True)
    for column in ("for", "status", "holdout AUC", "created", "promoted by"):
        table.add_column(column)
    for row, scope in with_runtime(action):
        table.add_row(
            row.version,
            scope,
            row.status,
            f"{row.holdout_auc:.3f}",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            row.promoted_by or "",
        )
    console.print(table)


@models_group.command("show")
@click.argument("version")
def models_show(version: str) -> None:
    """A version's status and model card."""

    async def action(runtime: Any) -> Any:
        from router.scores import registry

        async with runtime.domain.sessionmaker() as session:
            try:
                return await registry.get_version(session, version)
            except registry.UnknownModelVersion:
                raise click.ClickException(f"no model version {version!r}") from None

    row = with_runtime(action)
    scope = "pooled model" if row.practice_id is None else f"practice {row.practice_id}"
    console.print(f"[bold]{row.version}[/]: {row.status}, {scope}, source: {row.card.get('source', '?')}")
    click.echo(row.card_markdown)


@models_group.command("promote")
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote even if it scores worse than the champion.")
@click.option("--reason", default=None, help="Why (required with --force; goes to the audit log).")
@click.option("--by", default=None, help="Who is promoting (default: your login name).")
def models_promote(version: str, force: bool, reason: str | None, by: str | None) -> None:
    """Make VERSION the active model if its holdout AUC is not worse than the champion's on it."""
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT (it is written to the audit log)")
    with_runtime(lambda runtime: _promote(runtime.domain, version, force=force, reason=reason, by=by))


@models_group.command("evaluate")
@click.argument("version")
def models_evaluate(version: str) -> None:
    """VERSION's AUC on the latest stored holdout of its practice (or of the pooled model)."""

    async def action(runtime: Any) -> Any:
        from router.scores import registry

        async with runtime.domain.sessionmaker() as session:
            try:
                return await registry.evaluate_on_latest_holdout(session, version)
            except registry.UnknownModelVersion as error:
                raise click.ClickException(f"unknown: {error}") from None

    evaluation = with_runtime(action)
    console.print(
        f"{evaluation.version}: AUC {evaluation.auc:.4f} on the holdout of {evaluation.holdout_version} "
        f"({evaluation.leads} leads)"
    )


COMMANDS = (train_command, models_group)
"""Registered on the `leadrouter` group by leadrouter/cli.py."""
