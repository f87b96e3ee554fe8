"""`leadrouter attribution PATHS_FILE [--sep SEP] [--order K] [--json]`: credit from an aggregated path file.

The composition root registers `attribution_command`; this module only reads the file, runs the
models and prints. `--json` prints exactly one JSON object (see `attribution.report`); skipped rows
go to stderr so stdout stays parseable.
"""

from __future__ import annotations

import json
import pathlib

import click
from rich.console import Console
from rich.table import Table

from attribution.pathfile import DEFAULT_SEPARATOR, PathFileError, RowProblem, read_path_file
from attribution.report import MODELS, AttributionReport, attribute

_MODEL_HEADINGS = {
    "markov": "Markov",
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position",
    "shapley": "Shapley",
}


def _credit_table(report: AttributionReport) -> Table:
    """Credited conversions per channel under every model, with a totals row."""
    table = Table(title="Credited conversions by channel", show_footer=True)
    table.add_column("Channel", footer="Total")
    table.add_column("Removal effect", justify="right")
    for model in MODELS:
        total = sum(report.credits[model].values())
        table.add_column(_MODEL_HEADINGS[model], justify="right", footer=f"{total:,.2f}")
    by_markov = sorted(report.channels, key=lambda channel: -report.credits["markov"][channel])
    for channel in by_markov:
        table.add_row(
            channel,
            f"{report.markov.removal_effects[channel]:.4f}",
            *(f"{report.credits[model][channel]:,.2f}" for model in MODELS),
        )
    return table


def _roles_table(report: AttributionReport) -> Table:
    """The managers' view: conversions where each channel was primary or only contributed."""
    table = Table(
        title="Primary or contributing channel",
        caption="primary: the channel on the path with the highest removal effect",
    )
    for heading in ("Channel", "Primary", "Contributing", "Primary share"):
        table.add_column(heading, justify="left" if heading == "Channel" else "right")
    for role in sorted(report.roles, key=lambda role: -role.primary):
        table.add_row(
            role.channel, f"{role.primary:,.0f}", f"{role.contributing:,.0f}", f"{role.primary_share:.1%}"
        )
    return table


def _print_report(report: AttributionReport, skipped: tuple[RowProblem, ...]) -> None:
    """Readable tables and a short summary for a person at a terminal."""
    console = Console()
    console.print(_credit_table(report))
    console.print(_roles_table(report))
    paths = report.paths
    console.print(
        f"{len(paths):,} distinct paths, {paths.total_conversions + paths.total_nulls:,.0f} journeys, "
        f"{report.total_conversions:,.0f} conversions; "
        f"P(conversion) = {report.p_conversion:.4f} (order-{report.markov.order} Markov, repeats "
        f"{'collapsed' if report.markov.collapse_repeats else 'kept'})."
    )
    if paths.total_value is not None:
        console.print(f"Conversion value {paths.total_value:,.2f}; value credit is in the --json extras.")
    console.print(f"{report.multi_touch_share:.1%} of conversions took 3 or more touchpoints.")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if skipped:
        console.print(f"[yellow]{len(skipped)} row(s) skipped[/yellow] (listed on stderr).")


@click.command("attribution")
@click.argument(
    "paths_file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=pathlib.Path)
)
@click.option(
    "--sep",
    default=DEFAULT_SEPARATOR,
    show_default=True,
    help="Separator between channels in the path column.",
)
@click.option(
    "--order",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Markov chain order: how many past channels a state remembers (2 or 3 for higher order).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def attribution_command(paths_file: pathlib.Path, sep: str, order: int, as_json: bool) -> None:
    """Credit conversions to channels from an aggregated path file (Markov removal effects and heuristics).

    PATHS_FILE is a CSV with columns path, total_conversions, optional total_conversion_value,
    total_null.
    """
    try:
        path_file = read_path_file(paths_file, sep=sep)
        report = attribute(path_file.paths, order=order)
    except (PathFileError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    for problem in path_file.skipped:
        click.echo(f"skipped {problem}", err=True)
    if as_json:
        document = report.to_json_dict()
        document["extras"]["skipped_rows"] = [
            {"line": problem.line, "reason": problem.reason} for problem in path_file.skipped
        ]
        click.echo(json.dumps(document))
    else:
        _print_report(report, path_file.skipped)
