"""The benchmarks' runs from bench/results/: the latest of each, the trend of its ratios, and a chart.

    .venv/bin/python bench/trend.py                       # every benchmark: latest run, last 10 runs
    .venv/bin/python bench/trend.py --benchmark board --phase "100 boards, 100/s" --last 30
    .venv/bin/python bench/trend.py --chart var/bench-trend.png

The ratios (a figure over a floor measured in the same run) are what compares across days: a slow day
moves the floors and the figures together, slower code moves only the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import wide_console
from records import RESULTS, format_ratio, read_runs, series

KEY_FIGURES = {
    "webhook": ("p99_ms", "leads_per_s", "web_cpu_ms_per_lead"),
    "board": ("p99_ms", "web_cpu_ms_per_lead"),
    "scoring": ("p50_us", "p99_us"),
    "attribution": ("seconds",),
}
"""The figures shown beside the ratios in the trend, per benchmark (every figure is in the files)."""
SHORT_NAMES = (
    ("web_cpu_ms_per_lead", "web CPU ms/lead"),
    ("_per_", "/"),
    ("web_cpu", "CPU"),
    ("commit_p99", "commit"),
    ("bare_p99", "bare"),
    ("bare_cpu", "bare"),
    ("calibration", "cal"),
    ("per_", "/"),
    ("_", " "),
)
"""How a stored name reads as a column: p99_per_commit_p99 -> p99/commit, web_cpu_per_calibration ->
CPU/cal (the benchmarks' own tables use the same words)."""


def label(name: str) -> str:
    for long, short in SHORT_NAMES:
        name = name.replace(long, short)
    return name


def _floors_cell(run: dict) -> str:
    floors = run["floors"]
    parts = [f"cal {floors['cpu_calibration']['ms']:.1f} ms"]
    if "commit_probe" in floors:
        parts.append(f"commit p99 {floors['commit_probe']['p99']:.1f} ms")
    bare = [case["cpu_ms_per_broadcast"] for case in floors.get("bare_broadcast", [])]
    if bare:
        spread = f"{min(bare):.2f}" if min(bare) == max(bare) else f"{min(bare):.2f}-{max(bare):.2f}"
        parts.append(f"bare CPU {spread} ms")
    return ", ".join(parts)


def _run_cell(run: dict) -> str:
    commit = (run["commit"] or "?")[:8] + ("+" if run["dirty"] else "")
    busy = f", busy {run['busy_neighbour']:.0%}" if run["busy_neighbour"] else ""
    return f"{run['started'][:16].replace('T', ' ')} {commit}{busy}"


def _value(value: float | None) -> str:
    """Counts whole, small figures to three digits (0.031 s), larger ones to a tenth."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"


def latest_table(run: dict) -> Table:
    """Every phase of one run: its figures and its ratios."""
    figure_names = list(dict.fromkeys(name for entry in run["phases"] for name in entry["figures"]))
    ratio_names = list(dict.fromkeys(name for entry in run["phases"] for name in entry["ratios"]))
    machine = run["machine"]
    table = Table(
        title=f"Latest {run['benchmark']} run: {_run_cell(run)} ({run['file']})",
        caption=(
            f"{machine['cores']} cores, {machine['cpu_model']}, load {machine['load_average']}; "
            f"floors: {_floors_cell(run)}"
        ),
    )
    table.add_column("phase", no_wrap=True)
    for name in figure_names + ratio_names:
        table.add_column(label(name), justify="right")
    for entry in run["phases"]:
        table.add_row(
            entry["phase"],
            *(_value(entry["figures"].get(name)) for name in figure_names),
            *(format_ratio(entry["ratios"].get(name)) for name in ratio_names),
        )
    return table


def trend_table(benchmark: str, runs: list[dict], phase: str | None) -> Table:
    """One row per run and phase (the phases whose name contains `phase`, if given), oldest first."""
    ratio_names = list(
        dict.fromkeys(name for run in runs for entry in run["phases"] for name in entry["ratios"])
    )
    figures = KEY_FIGURES.get(benchmark, ())
    table = Table(title=f"{benchmark}: the last {len(runs)} run(s)")
    for column in ("run", "floors", "phase", *figures, *ratio_names):
        table.add_column(label(column), justify="left" if column in ("run", "phase") else "right")
    for run in runs:
        entries = [entry for entry in run["phases"] if phase is None or phase in entry["phase"]]
        for index, entry in enumerate(entries):
            table.add_row(
                _run_cell(run) if index == 0 else "",
                _floors_cell(run) if index == 0 else "",
                entry["phase"],
                *(_value(entry["figures"].get(name)) for name in figures),
                *(format_ratio(entry["ratios"].get(name)) for name in ratio_names),
                end_section=index == len(entries) - 1,
            )
    return table


def _tick(run: dict) -> str:
    """A run on the chart's axis: when, and a busy neighbour's share if it had one."""
    when = str(run["started"])[5:16].replace("T", " ")
    return f"{when} busy {run['busy_neighbour']:.0%}" if run["busy_neighbour"] else when


def chart(runs_by_benchmark: dict[str, list[dict]], phase: str | None, path: Path) -> None:
    """One row of plots per benchmark, one plot per ratio, one line per phase, over the runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layout = {
        benchmark: list(
            dict.fromkeys(name for run in runs for entry in run["phases"] for name in entry["ratios"])
        )
        for benchmark, runs in runs_by_benchmark.items()
    }
    columns = max(len(names) for names in layout.values())
    figure, axes = plt.subplots(
        len(layout), columns, figsize=(4.2 * columns, 3.2 * len(layout)), squeeze=False
    )
    for row, (benchmark, ratio_names) in enumerate(layout.items()):
        runs = runs_by_benchmark[benchmark]
        order = {str(run["started"]): index for index, run in enumerate(runs)}
        phases = list(dict.fromkeys(entry["phase"] for run in runs for entry in run["phases"]))
        for column in range(columns):
            axis = axes[row][column]
            if column >= len(ratio_names):
                axis.set_visible(False)
                continue
            for name in (p for p in phases if phase is None or phase in p):
                points = series(runs, name, ratio_names[column])
                if points:
                    axis.plot([order[at] for at, _ in points], [v for _, v in points], marker="o", label=name)
            axis.set_title(f"{benchmark}: {label(ratio_names[column])}", fontsize=9)
            axis.set_xticks(range(len(runs)), [_tick(run) for run in runs])
            axis.tick_params(axis="x", labelrotation=45)
            values = [v for name in phases for _, v in series(runs, name, ratio_names[column])]
            if values and min(values) > 0 and max(values) / min(values) > 30:
                axis.set_yscale("log")  # the phases differ by decades (scoring's paths)
            else:
                axis.set_ylim(bottom=0)
            axis.tick_params(labelsize=7)
            axis.grid(alpha=0.3)
            if column == 0:
                axis.legend(fontsize=6)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


@click.command()
@click.option("--benchmark", help="Only this one (webhook, board, scoring, attribution).")
@click.option("--phase", help="Only the phases whose name contains this, e.g. '100/s'.")
@click.option("--last", default=10, show_default=True, help="Runs in the trend table.")
@click.option(
    "--chart", "chart_path", type=click.Path(path_type=Path), help="Also draw the ratios to this PNG."
)
@click.option("--results-dir", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
def main(
    benchmark: str | None, phase: str | None, last: int, chart_path: Path | None, results_dir: Path
) -> None:
    """Print the latest run and the trend of each benchmark; optionally chart the ratios."""
    console = wide_console()
    runs = read_runs(results_dir, benchmark)
    if not runs:
        raise SystemExit(f"no runs in {results_dir}")
    runs_by_benchmark: dict[str, list[dict]] = {}
    for run in runs:
        runs_by_benchmark.setdefault(run["benchmark"], []).append(run)
    for name, of_benchmark in runs_by_benchmark.items():
        console.print(latest_table(of_benchmark[-1]))
        console.print(trend_table(name, of_benchmark[-last:], phase))
    if chart_path:
        chart(runs_by_benchmark, phase, chart_path)
        console.print(f"chart: {chart_path}")


if __name__ == "__main__":
    main()
