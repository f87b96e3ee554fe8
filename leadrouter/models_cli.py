"""The `leadrouter models` commands: list, show, promote, roll back, recalibrate, evaluate."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from leadrouter.commands import with_runtime
from leadrouter.train_cli import cli_actor, practice_by_slug, promote_version

console = Console()


@click.group("models")
def models_group() -> None:
    """Lead-score model versions: list, show, evaluate, promote, roll back."""


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
@click.option("--force", is_flag=True, help="Promote even if it fails the rule.")
@click.option("--reason", default=None, help="Why (required with --force; goes to the audit log).")
@click.option("--by", default=None, help="Who is promoting (default: your login name).")
def models_promote(version: str, force: bool, reason: str | None, by: str | None) -> None:
    """Make VERSION the active model if it passes the rule on its holdout.

    The rule: the 95% interval of AUC(VERSION) - AUC(model now serving) on VERSION's holdout lies
    above -0.01 (DeLong, paired), and VERSION's calibration slope there is within 0.9-1.1.
    """
    if force and not reason:
        raise click.UsageError("--force needs --reason TEXT (it is written to the audit log)")
    with_runtime(lambda runtime: promote_version(runtime.domain, version, force=force, reason=reason, by=by))


@models_group.command("rollback")
@click.option("--practice", "practice_slug", default=None, help="The practice's own model (default: pooled).")
@click.option("--to", "to_version", default=None, help="The version to restore (default: the last retired).")
@click.option("--reason", required=True, help="Why (goes to the audit log).")
@click.option("--by", default=None, help="Who is rolling back (default: your login name).")
def models_rollback(practice_slug: str | None, to_version: str | None, reason: str, by: str | None) -> None:
    """Put an earlier version back in service: always allowed, with a reason, no rule applied."""

    async def action(runtime: Any) -> Any:
        from router.scores import promotion, registry

        domain = runtime.domain
        practice_id = None
        if practice_slug:
            async with domain.sessionmaker() as session:
                practice_id = (await practice_by_slug(session, practice_slug)).id
        try:
            return await promotion.roll_back_and_announce(
                domain, practice_id, actor=cli_actor(by), reason=reason, to_version=to_version
            )
        except (registry.UnknownModelVersion, ValueError) as error:
            raise click.ClickException(str(error)) from None

    rolled = with_runtime(action)
    console.print(
        f"[green]{rolled.version} is the active model again[/] (replacing {rolled.previous_version})"
    )


@models_group.command("recalibrate")
@click.option("--practice", "practice_slug", required=True, help="The practice served by the pooled model.")
@click.option("--force", is_flag=True, help="Refit now, even if recently done or it did not help.")
def models_recalibrate(practice_slug: str, force: bool) -> None:
    """Recalibrate the pooled model to PRACTICE's closed leads (the worker does this daily when due)."""

    async def action(runtime: Any) -> Any:
        from router.scores.pooled_calibration import recalibrate_practice

        async with runtime.domain.sessionmaker() as session:
            practice = await practice_by_slug(session, practice_slug)
        return await recalibrate_practice(runtime.domain, practice.id, actor=cli_actor(None), force=force)

    outcome = with_runtime(action)
    if "skipped" in outcome:
        console.print(f"not recalibrated: {outcome['skipped']}", markup=False)
        return
    before, after = outcome["recalibration"]["before"], outcome["recalibration"]["after"]
    console.print(
        f"[green]{outcome['version']}[/] serves {practice_slug}: on its newest {before['leads']} "
        f"closed leads ({100 * before['conversion_rate']:.1f}% became patients) the mean score moves from "
        f"{100 * before['mean_prediction']:.1f} to {100 * after['mean_prediction']:.1f}, "
        f"Brier {before['brier']:.4f} -> {after['brier']:.4f}"
    )


@models_group.command("evaluate")
@click.argument("version")
def models_evaluate(version: str) -> None:
    """VERSION's AUC on the latest stored holdout of its practice (or of the pooled model)."""

    async def action(runtime: Any) -> Any:
        from router.scores import quality, registry

        async with runtime.domain.sessionmaker() as session:
            try:
                return await quality.evaluate_on_latest_holdout(session, version)
            except registry.UnknownModelVersion as error:
                raise click.ClickException(f"unknown: {error}") from None

    evaluation = with_runtime(action)
    console.print(
        f"{evaluation.version}: AUC {evaluation.auc:.4f} on the holdout of {evaluation.holdout_version} "
        f"({evaluation.leads} leads)"
    )


COMMANDS = (models_group,)
"""Registered on the `leadrouter` group by leadrouter/cli.py."""
