"""Benchmark: exact first-order Markov and the heuristics on 1,000,000 journeys and a 10,000-path file.

Run: `.venv/bin/python bench/attribution_bench.py [--journeys N] [--paths N] [--seed S] [--no-results]`.

1. Simulate journeys with the shared practice simulator (not timed as part of attribution).
2. End to end from in-memory journeys: aggregate into distinct paths, run every model, build the
   credit table. Target: under 5 s for 1,000,000 journeys on a 2-core machine.
3. A 10,000-path aggregated file (the most travelled paths of step 2, written as CSV): read it back
   and run every model.
4. When the optional GPL `ChannelAttribution` package is importable, its simulation-based
   `markov_model` on the same 10,000 paths, both credit tables side by side and the time ratio.

Each phase is also reported as a ratio to the CPU calibration of the same run (a fixed pure-Python
workload, timed before and after), so a slow machine can be told from slow code; most of attribution's
time is in numpy, so this ratio tracks the machine less closely than the web benchmarks' do. The run is
written to bench/results/ (see bench/trend.py).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import TypeVar

import click
import numpy as np
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Run as a script from anywhere: the repository root holds the attribution and simulator packages.
sys.path.insert(0, str(FilePath(__file__).resolve().parent.parent))

from harness import (
    REPO,
    CpuCalibration,
    busy_neighbour,
    result_options,
    wide_console,
)
from records import RunRecord, format_ratio, ratio

from attribution import (
    MODELS,
    AggregatedPaths,
    AttributionReport,
    aggregate_journeys,
    attribute,
    markov_model,
    read_path_file,
    write_path_file,
)
from simulator.synthetic_journeys import simulate_journeys

TARGET_SECONDS = 5.0
"""The issue's budget for 1,000,000 journeys end to end on a 2-core machine."""

console = wide_console()
Result = TypeVar("Result")


def timed(progress: Progress, label: str, work: Callable[[], Result], timings: dict[str, float]) -> Result:
    """Run one phase under a spinner and record its wall-clock seconds."""
    task = progress.add_task(label, total=None)
    started = time.perf_counter()
    result = work()
    timings[label] = time.perf_counter() - started
    progress.update(task, total=1, completed=1, description=f"{label} [green]{timings[label]:.2f} s")
    return result


def credit_table(title: str, report: AttributionReport) -> Table:
    """Credited conversions per channel under every model, biggest Markov credit first."""
    table = Table(title=title)
    table.add_column("Channel")
    table.add_column("Removal effect", justify="right")
    for model in MODELS:
        table.add_column(model, justify="right")
    for channel in sorted(report.channels, key=lambda channel: -report.credits["markov"][channel]):
        table.add_row(
            channel,
            f"{report.markov.removal_effects[channel]:.4f}",
            *(f"{report.credits[model][channel]:,.1f}" for model in MODELS),
        )
    return table


def top_paths(paths: AggregatedPaths, count: int) -> AggregatedPaths:
    """The `count` paths travelled by the most journeys."""
    journeys = paths.conversions + paths.nulls
    keep = np.sort(np.argsort(-journeys, kind="stable")[:count])
    return AggregatedPaths(
        paths=tuple(paths.paths[row] for row in keep),
        conversions=paths.conversions[keep],
        nulls=paths.nulls[keep],
        values=None if paths.values is None else paths.values[keep],
    )


CA_TOLERANCES = (0.05, 0.005)
"""ChannelAttribution's `conv_par`: its default (0.05), then ten times tighter; its simulation stops
when credits move less than this, so its answer approaches the exact one as the tolerance shrinks."""


def compare_with_channel_attribution(path_file: FilePath) -> None:
    """ChannelAttribution's simulated markov_model against our exact one on the same paths.

    Both are timed on the same in-memory paths (file reading excluded), over the same first-order
    chain. Its answer is a Monte Carlo estimate that stops at a convergence tolerance, so it runs at
    its default tolerance and at a ten times tighter one: ours should be where it converges to.
    """
    try:
        from ChannelAttribution import markov_model as ca_markov_model
    except ImportError:
        console.print(
            "[yellow]ChannelAttribution is not installed[/yellow] (optional, GPL: "
            "`pip install 'ChannelAttribution>=2.1,<3'`); skipping the comparison."
        )
        return
    import pandas as pd

    frame = pd.read_csv(path_file)
    paths = read_path_file(path_file).paths
    our_seconds = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        exact = dict(markov_model(paths, order=1).credit)
        our_seconds = min(our_seconds, time.perf_counter() - started)
    theirs: dict[float, tuple[dict[str, float], float]] = {}
    for tolerance in CA_TOLERANCES:
        started = time.perf_counter()
        try:
            result = ca_markov_model(
                frame,
                "path",
                "total_conversions",
                var_null="total_null",
                order=1,
                conv_par=tolerance,
                verbose=False,
            )
        except Exception as failure:
            console.print(f"[yellow]ChannelAttribution failed ({failure!r}); skipping the comparison.")
            return
        credit = dict(zip(result["channel_name"], result["total_conversions"], strict=True))
        theirs[tolerance] = (credit, time.perf_counter() - started)
    channels = sorted(exact, key=lambda channel: -exact[channel])
    table = Table(title="First-order Markov credit on the same paths")
    table.add_column("Channel")
    table.add_column("ours (exact)", justify="right")
    for tolerance in CA_TOLERANCES:
        table.add_column(f"ChannelAttribution, conv_par {tolerance}", justify="right")
    for channel in channels:
        table.add_row(
            channel,
            f"{exact[channel]:,.1f}",
            *(f"{theirs[t][0].get(channel, 0.0):,.1f}" for t in CA_TOLERANCES),
        )
    console.print(table)
    for tolerance in CA_TOLERANCES:
        credit, seconds = theirs[tolerance]
        worst = max(abs(exact[c] - credit.get(c, 0.0)) / max(credit.get(c, 0.0), 1.0) for c in channels)
        console.print(
            f"conv_par {tolerance}: {seconds * 1000:,.0f} ms, largest difference from ours {worst:.1%} of "
            f"the channel; ours ({our_seconds * 1000:.1f} ms, exact) is {seconds / our_seconds:,.0f}x faster"
        )


@click.command()
@click.option(
    "--journeys", "journey_count", default=1_000_000, show_default=True, help="Journeys to simulate."
)
@click.option(
    "--paths", "path_count", default=10_000, show_default=True, help="Paths in the aggregated file."
)
@click.option("--seed", default=2024, show_default=True, help="Simulator seed.")
@result_options
def main(
    journey_count: int, path_count: int, seed: int, busy: float, results: bool, results_dir: FilePath
) -> None:
    """Time attribution end to end on simulated journeys and on an aggregated path file."""
    timings: dict[str, float] = {}
    record = RunRecord(
        "attribution",
        options={"journeys": journey_count, "paths": path_count, "seed": seed},
        busy_neighbour=busy,
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(busy_neighbour(busy))
        # Calibrated while no progress display runs: its drawing thread would take turns with the workload.
        calibration = CpuCalibration().measure()
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        bar = stack.enter_context(
            Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)
        )
        journeys, converted, values = timed(
            bar,
            f"simulate {journey_count:,} journeys",
            lambda: simulate_journeys(journey_count, seed),
            timings,
        )
        paths = timed(
            bar, "aggregate journeys", lambda: aggregate_journeys(journeys, converted, values), timings
        )
        report = timed(bar, "run every model", lambda: attribute(paths), timings)
        from attribution.frames import credit_frame

        timed(bar, "build the credit table", lambda: credit_frame(report), timings)

        path_file = FilePath(folder) / "paths.csv"
        write_path_file(top_paths(paths, path_count), path_file)
        file_label = f"read {path_count:,}-path file + every model"
        file_report = timed(bar, file_label, lambda: attribute(read_path_file(path_file).paths), timings)

        console.print(
            credit_table(f"{journey_count:,} simulated journeys ({len(paths):,} distinct paths)", report)
        )
        console.print(credit_table(f"{len(file_report.paths):,}-path aggregated file", file_report))
        compare_with_channel_attribution(path_file)
        bar.stop()
        calibration.measure()  # again after the timing: a drift of the machine's speed shows in the range

    end_to_end = (
        timings["aggregate journeys"] + timings["run every model"] + timings["build the credit table"]
    )
    console.print(calibration.describe())
    record.floors = {"cpu_calibration": calibration.as_floor()}
    summary = Table(
        title="Summary", caption=f"/cal: over the CPU calibration of the same run ({calibration.ms:.1f} ms)"
    )
    summary.add_column("phase")
    summary.add_column("seconds", justify="right")
    summary.add_column("/cal", justify="right")
    timings[f"end to end, {journey_count:,} journeys"] = end_to_end
    for label, seconds in timings.items():
        per_calibration = ratio(seconds * 1000, calibration.ms)
        record.add_phase(label, {"seconds": seconds}, {"per_calibration": per_calibration})
        summary.add_row(
            label, f"{seconds:.2f}", format_ratio(per_calibration), end_section=label.startswith("end to end")
        )
    verdict = "[green]within" if end_to_end < TARGET_SECONDS else "[red]over"
    console.print(summary)
    console.print(
        f"End to end {end_to_end:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target[/]. "
        f"P(conversion) {report.p_conversion:.4f} = observed {converted.mean():.4f}; "
        f"{report.multi_touch_share:.1%} of conversions took 3+ touchpoints."
    )
    if results:
        console.print(f"results: {record.write(REPO, results_dir)}")


if __name__ == "__main__":
    main()
