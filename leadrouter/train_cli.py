"""`leadrouter train` and `leadrouter models ...`: train lead-score versions, compare, promote, inspect."""

from __future__ import annotations

import asyncio
import functools
import getpass
import json
import math
from dataclasses import dataclass
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

TRAINING_STEPS = 8
"""Progress messages one training emits (simulating/importing + seven from `train_models`)."""

_SUMMARY_ROWS = (
    ("ROC AUC", "roc_auc", "{:.3f}"),
    ("accuracy at 0.5", "accuracy", "{:.3f}"),
    ("Brier score (lower is better)", "brier", "{:.4f}"),
    ("calibration slope (1 is ideal)", "calibration_slope", "{:.2f}"),
    ("mean prediction", "mean_prediction", "{:.3f}"),
    ("conversion rate", "conversion_rate", "{:.3f}"),
    ("top / bottom quartile conversion", "top_bottom_quartile_ratio", "{:.2f}x"),
)


def cli_actor(by: str | None) -> Any:
    from router.privacy.audit import Actor

    return Actor(type="user", id=f"cli:{by or getpass.getuser()}")


async def practice_by_slug(session: Any, slug: str) -> Any:
    from router.core.models import Practice

    practice = await session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise click.ClickException(f"no practice {slug!r}")
    return practice


CSV_MAX_BYTES = 1 << 30
"""A file on disk may be large (the upload screen has its own, smaller limit)."""


def _import_map(rules: tuple[str, ...]) -> Any:
    """The practice's map from `--map` values: each a TOML file or one rule (`Header = field`)."""
    from scoring.history_vocabulary import ImportMap, MapError, parse_map

    mapping = ImportMap()
    for rule in rules:
        path = Path(rule)
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else rule
            mapping = mapping.merged(parse_map(text))
        except MapError as error:
            raise click.BadParameter(str(error), param_hint=f"--map {rule!r}") from None
    return mapping


def _print_report(imported: Any) -> None:
    """The grouped report, line by line (file contents are printed as text, never as markup)."""
    for line in imported.report.lines():
        style = "red" if line.startswith("REFUSED") else "green" if line.startswith("OK:") else None
        console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


async def _csv_history(session: Any, practice: Any, path: Path, mapping: Any) -> Any:
    """Read a CSV export through the practice's aliases and map, and print the report."""
    from router.scores.history_import import check_history, history_context
    from web.uploads import UploadRefused, decode_text

    try:
        raw = await asyncio.to_thread(path.read_bytes)
        uploaded = decode_text(raw, file_name=path.name, max_bytes=CSV_MAX_BYTES)
    except UploadRefused as refused:
        raise click.ClickException(f"{path.name}: {refused}") from None
    context = await history_context(session, practice.id if practice is not None else None)
    imported = check_history(uploaded.text, context=context, mapping=mapping, file_name=path.name)
    _print_report(imported)
    return imported


def _decide(imported: Any, *, check: bool, force: bool, reason: str | None) -> list[str]:
    """After the report: stop a check (exit 1 if the import would be refused), refuse, or go ahead."""
    from router.scores.history_import import HistoryRefused, refuse_unless_forced

    if check:
        if imported.report.refusals():
            raise click.exceptions.Exit(1)
        return []
    try:
        forced_over = refuse_unless_forced(imported, force=force, reason=reason)
    except HistoryRefused as refused:
        hint = (
            " Map the values (--map) or, if you are sure, --force --reason TEXT." if refused.forcible else ""
        )
        raise click.ClickException(f"not imported, nothing stored.{hint}") from None
    if forced_over:
        console.print(f"[yellow]forced over {len(forced_over)} refusal(s); the audit log records why[/]")
    return forced_over


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
@click.option("--promote", is_flag=True, help="Promote it if it passes the promotion rule.")
@click.option("--source", type=click.Choice(["simulator", "csv", "product"]), default=None)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="History CSV (implies --source csv); columns in scoring/history_csv.py.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FILE|RULE",
    help="The practice's map: a TOML file, or a rule like 'Lead Source=channel' or "
    "'channel:referral=physician_referral' (repeatable; see docs/scoring.md).",
)
@click.option("--check", is_flag=True, help="Read the whole file and print the report; store nothing.")
@click.option(
    "--force", is_flag=True, help="Import even when the report refuses it (needs --reason; audited)."
)
@click.option("--reason", default=None, help="Why the import is forced (written to the audit log).")
@click.option("--by", default=None, help="Who is forcing it (default: your login name).")
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
    maps: tuple[str, ...],
    check: bool,
    force: bool,
    reason: str | None,
    by: str | None,
    trees: int | None,
    out: Path,
) -> None:
    """Train a lead-score model version, write its card and plots, store it (and optionally promote).

    With --csv, the file is read through column and value aliases and the practice's --map, and a
    report is printed first; a file with too many skipped rows, or whose reading would lose a whole
    channel or treatment, is refused (exit 1, nothing stored) unless --force --reason is given.
    """
    source = _checked_source(
        pooled=pooled,
        practice_slug=practice_slug,
        source=source,
        csv_path=csv_path,
        options=(check, maps, force),
    )
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT (it is written to the audit log)")
    order = _TrainOrder(
        practice_slug=practice_slug,
        months=months,
        seed=seed,
        promote=promote,
        source=source,
        csv_path=csv_path,
        mapping=_import_map(maps),
        check=check,
        force=force,
        reason=reason,
        by=by,
        trees=trees,
        out=out,
    )
    with_runtime(functools.partial(_train, order=order))


def _checked_source(
    *, pooled: bool, practice_slug: str | None, source: str | None, csv_path: Path | None, options: tuple
) -> str:
    """The history source the options ask for; a usage error when they contradict each other."""
    check, maps, force = options
    if pooled and practice_slug:
        raise click.UsageError("--pooled and --practice exclude each other")
    source = source or ("csv" if csv_path else "simulator")
    if source == "csv" and csv_path is None:
        raise click.UsageError("--source csv needs --csv PATH")
    if (check or maps or force) and source != "csv":
        raise click.UsageError("--check, --map and --force apply to --csv imports")
    if source == "product" and not practice_slug:
        raise click.UsageError("--source product needs --practice SLUG")
    return source


@dataclass(frozen=True)
class _TrainOrder:
    """What `leadrouter train` was asked to do."""

    practice_slug: str | None
    months: int
    seed: int
    promote: bool
    source: str
    csv_path: Path | None
    mapping: Any
    check: bool
    force: bool
    reason: str | None
    by: str | None
    trees: int | None
    out: Path


async def _train(runtime: Any, *, order: _TrainOrder) -> None:
    from leadrouter import model_training

    domain = runtime.domain
    imported, forced_over = None, []
    if order.source == "csv":  # the report first, before any progress bar
        assert order.csv_path is not None
        async with domain.sessionmaker() as session:
            practice = await practice_by_slug(session, order.practice_slug) if order.practice_slug else None
            imported = await _csv_history(session, practice, order.csv_path, order.mapping)
        forced_over = _decide(imported, check=order.check, force=order.force, reason=order.reason)
        if order.check:
            return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("reading history", total=TRAINING_STEPS)

        def say(message: str) -> None:
            progress.update(task, description=message, advance=1)

        practice, history = await _history(domain, order, imported)
        say(f"{len(history.inputs)} leads; building features")
        try:
            params = {"n_estimators": order.trees} if order.trees else None
            result = model_training.train(
                history, seed=order.seed, progress=say, xgboost_params=params, trained_at=domain.clock.now()
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    console.print(_summary(result.metrics))
    folder = _write_card(result, order.out)
    practice_id = practice.id if practice is not None else None
    if imported is not None:
        from router.scores.history_import import store_imported_candidate

        version = await store_imported_candidate(
            domain,
            result,
            practice_id=practice_id,
            imported=imported,
            actor=cli_actor(order.by),
            forced_over=forced_over,
            reason=order.reason,
        )
    else:
        version = await model_training.store(domain, result, practice_id=practice_id, source=history.source)
    scope = order.practice_slug or "pooled"
    console.print(f"stored [bold]{version}[/] ({scope}) as a candidate; card and plots in {folder}")
    if order.promote:
        await promote_version(domain, version, force=False, reason=None, by=None)
    else:
        console.print(f"promote it with: leadrouter models promote {version}")


async def _history(domain: Any, order: _TrainOrder, imported: Any) -> tuple[Any, Any]:
    """The practice (None for the pooled model) and the history to train on."""
    from leadrouter import model_training
    from router.scores.history import product_history

    async with domain.sessionmaker() as session:
        practice = await practice_by_slug(session, order.practice_slug) if order.practice_slug else None
        if imported is not None:
            assert order.csv_path is not None
            source = f"CSV {order.csv_path.name}"
            return practice, model_training.History(
                imported.inputs, imported.labels, imported.received_at, source=source
            )
        if order.source == "product":
            rows = await product_history(session, domain, practice.id)
            needed = domain.settings.scoring.min_practice_leads
            if len(rows.inputs) < needed:
                raise click.ClickException(
                    f"{order.practice_slug} has {len(rows.inputs)} closed leads; a model of its own "
                    f"needs {needed} (the pooled model serves it meanwhile)"
                )
            return practice, model_training.History(
                rows.inputs, rows.labels, rows.received_at, source="product outcomes"
            )
    return practice, model_training.simulated_history(
        months=order.months,
        seed=order.seed,
        end=model_training.month_start(domain.clock.now()),
        practice_slug=order.practice_slug,
    )


COMMANDS = (train_command,)
"""Registered on the `leadrouter` group by leadrouter/cli.py."""


async def promote_version(
    domain: Any, version: str, *, force: bool, reason: str | None, by: str | None
) -> None:
    from router.scores import promotion, registry

    try:
        promotion = await promotion.promote_and_announce(
            domain, version, actor=cli_actor(by), force=force, reason=reason
        )
    except promotion.PromotionRefused as refused:
        raise click.ClickException(f"not promoted: {refused} (override: --force --reason TEXT)") from None
    except (registry.UnknownModelVersion, ValueError) as error:
        raise click.ClickException(str(error)) from None
    check = promotion.check
    if check is not None and check.comparison is not None:
        c = check.comparison
        console.print(
            f"on {version}'s holdout ({c.leads} leads): AUC {c.candidate_auc:.4f} vs "
            f"{promotion.compared_with} {c.champion_auc:.4f}, difference {c.difference:+.4f} "
            f"(95% interval {c.low:+.4f} to {c.high:+.4f}); calibration slope {check.calibration_slope:.2f}"
        )
    note = " (forced, audited)" if promotion.forced else ""
    console.print(f"[green]{version} is now the active model[/]{note}; every process swaps to it")
