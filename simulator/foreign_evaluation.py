"""How the pooled model and a practice's own model fare on the foreign export (figures for docs/scoring.md).

`python -m simulator.foreign_evaluation [--rows 20000] [--seed 21] [--trees 300]`:

1. writes the foreign export (`simulator.foreign_export`) and imports it with the practice's map;
2. trains the pooled model the product ships with (18 months of the product's simulator);
3. scores the export's holdout (its newest 3 months) with the pooled model, as served to a new
   practice; then recalibrated to the practice's newest 300 and 1,000 closed leads before the holdout;
4. trains the practice's own model on the import, next to the true-probability ceiling.
"""

from __future__ import annotations

import argparse
import csv
import io
from datetime import UTC, datetime
from typing import Any

import numpy as np

from scoring.evaluation import evaluate_probabilities
from scoring.features import feature_matrix
from scoring.history_csv import import_history_csv
from scoring.history_vocabulary import parse_map
from scoring.recalibration import figures, raw_margins, recalibrate
from scoring.training import _months_before, train_models
from simulator.foreign_export import COLUMNS, PRACTICE_MAP, ForeignExport, foreign_export
from simulator.inquiries import PracticeSimulator
from simulator.practices import demo_practices
from simulator.training_data import training_set


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _row(name: str, metrics: dict) -> str:
    return (
        f"| {name} | {metrics['roc_auc']:.3f} | {metrics['mean_prediction']:.3f} | "
        f"{metrics['conversion_rate']:.3f} | {metrics['calibration_slope']:.2f} | {metrics['brier']:.4f} | "
        f"{metrics['top_bottom_quartile_ratio']:.1f}x |"
    )


def _imported(export: ForeignExport) -> Any:
    """The export read as the product reads a practice's file, with the practice's map."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(export.rows)
    practice = next(p for p in demo_practices() if p.slug == "bright-smile")
    return import_history_csv(
        buffer.getvalue(),
        time_zone=practice.time_zone,
        locations=[(loc.latitude, loc.longitude) for loc in practice.locations],
        provider_names=[p.name for p in practice.providers],
        mapping=parse_map(PRACTICE_MAP),
        file_name="foreign_history.csv",
    )


def _pooled(params: dict[str, Any], simulated_now: datetime) -> Any:
    """The pooled model, trained on 18 simulated months as a fresh install's is."""
    simulated = PracticeSimulator(7).history(
        datetime(2025, 1, 1, tzinfo=UTC), simulated_now, leads_per_day=6.0
    )
    history = training_set(simulated)
    return train_models(
        history.inputs,
        history.labels,
        history.received_at,
        seed=7,
        xgboost_params=params,
        trained_at=simulated_now,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--trees", type=int, default=300)
    args = parser.parse_args()
    params = {"n_estimators": args.trees}

    export = foreign_export(args.rows, seed=args.seed)
    imported = _imported(export)
    print("\n".join(imported.report.lines()))
    ids = [export.rows[line - 2]["Lead ID"] for line in imported.lines]
    truth = np.array([export.observable_probability[lead_id] for lead_id in ids])
    y = np.asarray(imported.labels, dtype=bool)
    times = np.array([t.timestamp() for t in imported.received_at])
    holdout = times >= _months_before(max(imported.received_at), 3).timestamp()

    simulated_now = datetime(2026, 7, 1, tzinfo=UTC)
    pooled = _pooled(params, simulated_now)
    features = feature_matrix(imported.inputs)
    margins = raw_margins(pooled.onnx_bytes, features)
    slope, intercept = pooled.calibration
    rows = {
        "pooled (simulator), as served": evaluate_probabilities(
            y[holdout], _sigmoid(slope * margins[holdout] + intercept)
        )
    }
    before_holdout = np.flatnonzero(~holdout)
    for leads in (300, 1000):
        recent = before_holdout[-leads:]
        recal = recalibrate(margins[recent], y[recent], pooled_calibration=pooled.calibration)
        rows[f"pooled, recalibrated on {leads} closed leads"] = evaluate_probabilities(
            y[holdout], _sigmoid(recal.slope * margins[holdout] + recal.intercept)
        )
        print(f"recalibration on {leads}: before {recal.before}\n  after {recal.after}")
    own = train_models(
        imported.inputs,
        imported.labels,
        imported.received_at,
        true_probabilities=truth,
        seed=1,
        xgboost_params=params,
        trained_at=simulated_now,
    )
    rows["own model (XGBoost)"] = own.metrics["xgboost"]
    rows["own model (logistic baseline)"] = own.metrics["logistic"]
    rows["observable probability (best achievable)"] = own.metrics["true_probability"]
    first = imported.received_at[int(np.flatnonzero(holdout)[0])]
    print(f"\nholdout: {int(holdout.sum())} leads from {first:%Y-%m-%d}")
    print("| model | AUC | mean prediction | conversion | calibration slope | Brier | top/bottom quartile |")
    print("|---|---|---|---|---|---|---|")
    for name, metrics in rows.items():
        print(_row(name, metrics))
    fit_window_auc = own.card_json["refit"]["fit_window_auc"]
    print(f"\nown model: fit-window AUC {fit_window_auc:.3f}, ONNX parity {own.parity_max_difference:.1e}")
    whole = figures(y, _sigmoid(slope * margins + intercept))
    print(f"pooled on every imported lead: {whole}")


if __name__ == "__main__":
    main()
