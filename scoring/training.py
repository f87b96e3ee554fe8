"""Training on a time-based split: XGBoost (exported to ONNX) against a logistic-regression baseline.

Split, oldest to newest: fit window | calibration window (`CALIBRATION_MONTHS`) | holdout (the most
recent `holdout_months`). XGBoost is fitted on the fit window, then a Platt scaling of its margin
(slope and intercept) is fitted on the calibration window, so scores are calibrated on data the
trees did not see and explanations stay additive in log-odds. After that evaluation the served
model is refit on fit + calibration windows with the same settings and keeps that Platt scaling:
it learns from the newest months before the holdout, which the holdout still has not seen. The
logistic baseline is fitted on fit + calibration windows. Everything is reported on the holdout
(the served model's figures, and the fit-window model's AUC on the card), next to the simulator's
true probabilities when given.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from scoring.card import model_card
from scoring.evaluation import calibration_plot, evaluate_probabilities, lift_plot
from scoring.export import check_parity, export_onnx, onnx_probabilities
from scoring.features import CATEGORICAL_FEATURES, FEATURE_NAMES, ScoringInput, feature_matrix

CALIBRATION_MONTHS = 2
"""Months just before the holdout used to fit the Platt calibration: recent, yet unseen by the trees."""

XGBOOST_PARAMS = {
    "n_estimators": 300,
    "max_depth": 4,
    "learning_rate": 0.05,
    "min_child_weight": 5,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "tree_method": "hist",
    "n_jobs": 2,
}
"""Shallow, slow-learning trees: a few thousand leads a month support little depth (tuned by holdout AUC)."""

REFERENCE_SCORES_MAX = 5000
"""Scores kept as the drift reference: enough for stable PSI deciles, small enough for a JSON card."""

_LOGISTIC_CATEGORICAL = (*CATEGORICAL_FEATURES, "hour_local", "weekday_local", "month", "last_dental_visit")
_SKEWED = (
    "pages_visited",
    "time_on_site_seconds",
    "form_completion_seconds",
    "distance_miles",
    "message_length",
)

Progress = Callable[[str], None]


@dataclass(slots=True)
class TrainingResult:
    """A trained model version with everything the registry stores and the card reports."""

    version: str
    onnx_bytes: bytes
    booster_bytes: bytes
    feature_names: tuple[str, ...]
    metrics: dict
    holdout_auc: float
    card_markdown: str
    card_json: dict
    plots: dict[str, bytes]
    base_rate: float
    calibration: tuple[float, float]  # Platt slope and intercept applied to the XGBoost margin
    score_reference_distribution: list[float]
    parity_max_difference: float
    holdout_inputs: list[ScoringInput] = field(repr=False, default_factory=list)
    holdout_labels: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, dtype=bool))


def _months_before(moment: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (day clamped to the month's length)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def logistic_baseline(seed: int):
    """The baseline: one-hot categories, log-scaled counts, missing indicators, L2 logistic regression."""
    index = {name: i for i, name in enumerate(FEATURE_NAMES)}
    categorical = [index[n] for n in _LOGISTIC_CATEGORICAL]
    skewed = [index[n] for n in _SKEWED]
    numeric = [i for i in range(len(FEATURE_NAMES)) if i not in categorical and i not in skewed]
    columns = ColumnTransformer(
        [
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
            (
                "counts",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    FunctionTransformer(np.log1p),
                    StandardScaler(),
                ),
                skewed,
            ),
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            ),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=2000, C=1.0, random_state=seed))


def _platt(margins: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Slope and intercept mapping a margin to calibrated log-odds (near-unregularised logistic fit)."""
    if len(np.unique(labels)) < 2:
        return 1.0, 0.0
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(margins.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def train_models(
    inputs: Sequence[ScoringInput],
    labels: Sequence[bool] | np.ndarray,
    received_at: Sequence[datetime],
    *,
    true_probabilities: Sequence[float] | np.ndarray | None = None,
    holdout_months: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
    xgboost_params: Mapping[str, object] | None = None,
    source: str | None = None,
    trained_at: datetime,
) -> TrainingResult:
    """Train, evaluate, export and document one model version from leads with known outcomes; `source`
    says on the card where the history came from (a practice's file, its outcomes, the simulator)."""
    say = progress or (lambda _message: None)
    say("building features")
    features = feature_matrix(inputs)
    y = np.asarray(labels, dtype=bool)
    latest = max(received_at)
    fit_rows, calibration_rows, holdout_rows = _split(received_at, latest, holdout_months)
    params = {**XGBOOST_PARAMS, **(xgboost_params or {}), "random_state": seed, "eval_metric": "logloss"}
    fitted = _fit(features, y, (fit_rows, calibration_rows, holdout_rows), params, seed, say)
    slope, intercept, train_rows = fitted.slope, fitted.intercept, fitted.train_rows
    sections, fit_window_only = _evaluate(features, y, fitted, true_probabilities, holdout_rows, say)
    booster_bytes = bytes(fitted.booster.save_raw("ubj"))
    version = f"{latest:%Y%m%d}-{hashlib.sha256(booster_bytes).hexdigest()[:8]}"
    reference = _reference_scores(features[train_rows], fitted, seed)
    plots = _plots(sections, f"model {version}")
    card_markdown, card_json = model_card(
        version=version,
        metrics=sections,
        windows=_windows(received_at, fit_rows, calibration_rows, holdout_rows),
        params=params,
        calibration=(slope, intercept),
        parity=fitted.parity,
        base_rate=float(y[train_rows].mean()),
        plots=tuple(plots),
        refit={"fit_window_auc": fit_window_only["roc_auc"], "rows": int(train_rows.sum())},
        source=source,
        trained_at=trained_at,
    )
    say(f"done: version {version}, holdout AUC {sections['xgboost']['roc_auc']:.3f}")
    return TrainingResult(
        version=version,
        onnx_bytes=fitted.onnx_bytes,
        booster_bytes=booster_bytes,
        feature_names=FEATURE_NAMES,
        metrics=sections,
        holdout_auc=sections["xgboost"]["roc_auc"],
        card_markdown=card_markdown,
        card_json=card_json,
        plots=plots,
        base_rate=float(y[train_rows].mean()),
        calibration=(slope, intercept),
        score_reference_distribution=[round(float(s), 3) for s in reference],
        parity_max_difference=fitted.parity,
        holdout_inputs=[inp for inp, keep in zip(inputs, holdout_rows, strict=True) if keep],
        holdout_labels=y[holdout_rows],
    )


@dataclass(frozen=True)
class _Fitted:
    """The served model, its calibration, and what evaluating it needs."""

    model: xgb.XGBClassifier
    booster: xgb.Booster
    slope: float
    intercept: float
    evaluated_margin: np.ndarray
    """Holdout margins of the trees fitted on the fit window alone (before the refit)."""
    train_rows: np.ndarray
    onnx_bytes: bytes
    parity: float
    baseline: Any


def _fit(
    features: np.ndarray,
    y: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    params: dict[str, object],
    seed: int,
    say: Progress,
) -> _Fitted:
    """Fit on the fit window, calibrate on the next, refit on both, export, and fit the baseline."""
    fit_rows, calibration_rows, holdout_rows = rows
    say("fitting XGBoost")
    evaluated = xgb.XGBClassifier(**params).fit(features[fit_rows], y[fit_rows])
    slope, intercept = _platt(
        evaluated.get_booster().predict(xgb.DMatrix(features[calibration_rows]), output_margin=True),
        y[calibration_rows],
    )
    evaluated_margin = evaluated.get_booster().predict(
        xgb.DMatrix(features[holdout_rows]), output_margin=True
    )

    say("refitting on the fit and calibration windows")
    # The served model learns from the calibration months too (the newest leads before the
    # holdout); it keeps the Platt scaling fitted above on margins of leads the trees had not seen.
    train_rows = fit_rows | calibration_rows
    model = xgb.XGBClassifier(**params).fit(features[train_rows], y[train_rows])

    say("exporting to ONNX and checking parity")
    onnx_bytes = export_onnx(model, len(FEATURE_NAMES))
    parity = check_parity(onnx_bytes, model, features[holdout_rows])

    say("fitting the logistic baseline")
    baseline = logistic_baseline(seed).fit(features[train_rows], y[train_rows])
    return _Fitted(
        model,
        model.get_booster(),
        slope,
        intercept,
        evaluated_margin,
        train_rows,
        onnx_bytes,
        parity,
        baseline,
    )


def _plots(sections: dict[str, dict], title: str) -> dict[str, bytes]:
    return {
        "calibration.png": calibration_plot(sections, title=f"Calibration, holdout, {title}"),
        "lift_by_decile.png": lift_plot(sections, title=f"Conversion by score decile, holdout, {title}"),
    }


def _split(
    received_at: Sequence[datetime], latest: datetime, holdout_months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fit, calibration and holdout rows, by time: the holdout is the most recent months."""
    times = np.array([t.timestamp() for t in received_at])
    holdout_start = _months_before(latest, holdout_months).timestamp()
    calibration_start = _months_before(latest, holdout_months + CALIBRATION_MONTHS).timestamp()
    fit_rows = times < calibration_start
    calibration_rows = (times >= calibration_start) & (times < holdout_start)
    holdout_rows = times >= holdout_start
    if min(fit_rows.sum(), calibration_rows.sum(), holdout_rows.sum()) == 0:
        raise ValueError("history too short for a fit, calibration and holdout window; give more months")
    return fit_rows, calibration_rows, holdout_rows


def _evaluate(
    all_features: np.ndarray,
    y: np.ndarray,
    fitted: _Fitted,
    true_probabilities: Sequence[float] | np.ndarray | None,
    rows: np.ndarray,
    say: Progress,
) -> tuple[dict[str, dict], dict]:
    """Each model's holdout metrics (and the simulator's own probability's, when known), and those of
    the trees fitted on the fit window alone."""
    say("evaluating on the holdout")
    features, labels = all_features[rows], y[rows]
    truth = None if true_probabilities is None else np.asarray(true_probabilities, dtype=np.float64)
    margin = fitted.booster.predict(xgb.DMatrix(features), output_margin=True)
    sections = {
        "xgboost": evaluate_probabilities(labels, _sigmoid(fitted.slope * margin + fitted.intercept)),
        "logistic": evaluate_probabilities(labels, fitted.baseline.predict_proba(features)[:, 1]),
    }
    if truth is not None:
        sections["true_probability"] = evaluate_probabilities(labels, truth[rows])
    fit_window_only = evaluate_probabilities(
        labels, _sigmoid(fitted.slope * fitted.evaluated_margin + fitted.intercept)
    )
    return sections, fit_window_only


def _reference_scores(features: np.ndarray, fitted: _Fitted, seed: int) -> np.ndarray:
    """The training scores drift is measured against, sampled down to REFERENCE_SCORES_MAX."""
    margin = fitted.booster.predict(xgb.DMatrix(features), output_margin=True)
    scores = 100.0 * _sigmoid(fitted.slope * margin + fitted.intercept)
    if scores.size > REFERENCE_SCORES_MAX:
        return np.random.default_rng(seed).choice(scores, REFERENCE_SCORES_MAX, replace=False)
    return scores


def _windows(
    received_at: Sequence[datetime], fit: np.ndarray, calibration: np.ndarray, holdout: np.ndarray
) -> dict:
    return {
        name: _window(received_at, rows)
        for name, rows in (("fit", fit), ("calibration", calibration), ("holdout", holdout))
    }


def _window(received_at: Sequence[datetime], rows: np.ndarray) -> dict:
    """First and last timestamps and size of a split window."""
    picked = [t for t, keep in zip(received_at, rows, strict=True) if keep]
    return {"from": min(picked).isoformat(), "to": max(picked).isoformat(), "rows": len(picked)}


def evaluate_auc(
    onnx_bytes: bytes, inputs: Sequence[ScoringInput], labels: Sequence[bool] | np.ndarray
) -> float:
    """ROC AUC of an ONNX model on given leads: champion and challenger compared on the same holdout."""
    y = np.asarray(labels, dtype=bool)
    if not 0 < y.sum() < y.size:
        return math.nan
    return float(roc_auc_score(y, onnx_probabilities(onnx_bytes, feature_matrix(inputs))))
