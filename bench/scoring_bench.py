"""Single-lead scoring and explanation latency: our serving path against the libraries' own.

One run, one model, the same rows: p50/p99 microseconds per lead for
(a) our path: `feature_vector` + ONNX (onnxruntime, one thread) + calibration,
(b) xgboost's own single-row predict (`inplace_predict`, features prebuilt, so it is flattered),
(c) our explanation (features + TreeSHAP via xgboost pred_contribs + plain words),
(d) shap.TreeExplainer on the same row (features prebuilt).
Targets: (a) p99 < 100 us; (c) within 20 ms.

Beside them, the CPU calibration of the same run (a fixed pure-Python workload, timed before and after)
and each path's p50/p99 as a ratio to it, so a slow machine can be told from slow code; the run is
written to bench/results/ (see bench/trend.py).

    .venv/bin/python bench/scoring_bench.py [--rows 2000] [--months 18] [--busy 0.4] [--no-results]
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
import numpy as np
import shap
import xgboost as xgb
from harness import REPO, CpuCalibration, busy_neighbour, result_options, wide_console
from records import RunRecord, format_ratio, ratio
from rich.progress import Progress
from rich.table import Table

from scoring.features import feature_vector
from scoring.serving import ModelRuntime
from scoring.training import train_models
from simulator.inquiries import PracticeSimulator
from simulator.training_data import training_set

WARMUP_ROWS = 200
"""Calls before timing starts: first calls pay allocation and cache costs a server pays once."""


def _percentiles(samples_ns: list[int]) -> tuple[float, float]:
    values = np.array(samples_ns) / 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _time_each(rows, call, progress: Progress, label: str) -> list[int]:
    for row in rows[:WARMUP_ROWS]:
        call(row)
    task = progress.add_task(label, total=len(rows))
    samples = []
    clock = time.perf_counter_ns
    for row in rows:
        begin = clock()
        call(row)
        samples.append(clock() - begin)
        progress.advance(task)
    return samples


@click.command()
@click.option("--rows", default=2000, show_default=True, help="Holdout leads timed per path.")
@click.option("--months", default=18, show_default=True, help="Months of simulated history to train on.")
@click.option("--seed", default=42, show_default=True)
@result_options
def main(rows: int, months: int, seed: int, busy: float, results: bool, results_dir: Path) -> None:
    """Benchmark single-lead scoring and explanation."""
    console = wide_console()
    record = RunRecord("scoring", options={"rows": rows, "months": months, "seed": seed}, busy_neighbour=busy)
    end = datetime(2026, 7, 1, tzinfo=UTC)
    year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
    start = datetime(year, month + 1, 1, tzinfo=UTC)
    with console.status("simulating and training"):
        history = training_set(PracticeSimulator(seed).history(start, end))
        result = train_models(
            history.inputs,
            history.labels,
            history.received_at,
            true_probabilities=history.true_probabilities,
            seed=seed,
            trained_at=end,
        )
    runtime = ModelRuntime.from_training(result)
    leads = (result.holdout_inputs * (rows // max(len(result.holdout_inputs), 1) + 1))[:rows]
    features = [feature_vector(lead) for lead in leads]
    booster = xgb.Booster(params={"nthread": 1})
    booster.load_model(bytearray(result.booster_bytes))
    explainer = shap.TreeExplainer(booster)
    console.print(
        f"model {result.version}: {len(history.inputs)} leads, holdout AUC {result.holdout_auc:.3f}, "
        f"{rows} timed rows each"
    )

    with busy_neighbour(busy):
        # Calibrated outside the progress display: its drawing thread would take turns with the workload.
        calibration = CpuCalibration().measure()
        with Progress(console=console) as progress:
            ours = _time_each(leads, runtime.score, progress, "score: features + ONNX")
            native = _time_each(
                features,
                lambda x: booster.inplace_predict(x.reshape(1, -1)),
                progress,
                "score: xgboost inplace_predict",
            )
            explain_rows = leads[: max(rows // 4, 100)]
            explained = _time_each(explain_rows, runtime.explain, progress, "explain: ours")
            shap_rows = features[: max(rows // 4, 100)]
            shapped = _time_each(
                shap_rows,
                lambda x: explainer.shap_values(x.reshape(1, -1)),
                progress,
                "explain: shap.TreeExplainer",
            )
        calibration.measure()  # again after the timing: a drift of the machine's speed shows in the range
    console.print(calibration.describe())
    record.floors = {"cpu_calibration": calibration.as_floor()}
    calibration_us = calibration.ms * 1000

    table = Table(
        title="single-lead latency, microseconds",
        caption=f"/cal: the figure over the CPU calibration of the same run ({calibration.ms:.1f} ms)",
    )
    for column in ("path", "p50", "p99", "p50/cal", "p99/cal", "target"):
        table.add_column(column, justify="left" if column in ("path", "target") else "right")
    for name, samples, target in (
        ("score: features + ONNX (ours)", ours, "p99 < 100"),
        ("score: xgboost inplace_predict (features prebuilt)", native, ""),
        ("explain: features + TreeSHAP + words (ours)", explained, "< 20000"),
        ("explain: shap.TreeExplainer (features prebuilt)", shapped, ""),
    ):
        p50, p99 = _percentiles(samples)
        ratios = {
            "p50_per_calibration": ratio(p50, calibration_us),
            "p99_per_calibration": ratio(p99, calibration_us),
        }
        record.add_phase(name, {"p50_us": p50, "p99_us": p99}, ratios)
        table.add_row(
            name,
            f"{p50:.1f}",
            f"{p99:.1f}",
            *(format_ratio(value) for value in ratios.values()),
            target,
        )
    console.print(table)
    score, explain = record.phases[0], record.phases[2]
    console.print(
        f"[bold]Summary[/]: score p99 {score['figures']['p99_us']:.1f} us (target < 100), explain p99 "
        f"{explain['figures']['p99_us']:,.0f} us (target < 20,000), with a calibration of "
        f"{calibration.ms:.1f} ms" + (f"; another process busy {busy:.0%} of a core" if busy else "")
    )
    if results:
        console.print(f"results: {record.write(REPO, results_dir)}")


if __name__ == "__main__":
    main()
