"""Single-lead scoring and explanation latency: our serving path against the libraries' own.

One run, one model, the same rows: p50/p99 microseconds per lead for
(a) our path: `feature_vector` + ONNX (onnxruntime, one thread) + calibration,
(b) xgboost's own single-row predict (`inplace_predict`, features prebuilt, so it is flattered),
(c) our explanation (features + TreeSHAP via xgboost pred_contribs + plain words),
(d) shap.TreeExplainer on the same row (features prebuilt).
Targets: (a) p99 < 100 us; (c) within 20 ms.

    .venv/bin/python bench/scoring_bench.py [--rows 2000] [--months 18]
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
import numpy as np
import shap
import xgboost as xgb
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from scoring.features import feature_vector
from scoring.runtime import ModelRuntime
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
def main(rows: int, months: int, seed: int) -> None:
    """Benchmark single-lead scoring and explanation."""
    console = Console()
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

    table = Table(title="single-lead latency, microseconds")
    for column in ("path", "p50", "p99", "target"):
        table.add_column(column, justify="right" if column in ("p50", "p99") else "left")
    for name, samples, target in (
        ("score: features + ONNX (ours)", ours, "p99 < 100"),
        ("score: xgboost inplace_predict (features prebuilt)", native, ""),
        ("explain: features + TreeSHAP + words (ours)", explained, "< 20000"),
        ("explain: shap.TreeExplainer (features prebuilt)", shapped, ""),
    ):
        p50, p99 = _percentiles(samples)
        table.add_row(name, f"{p50:.1f}", f"{p99:.1f}", target)
    console.print(table)


if __name__ == "__main__":
    main()
