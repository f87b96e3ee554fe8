"""How good a set of probabilities is on a holdout: discrimination, calibration and lift, plus PNG plots."""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import brier_score_loss, roc_auc_score

RELIABILITY_BINS = 10
"""Quantile bins of the reliability curve: equal counts per bin keep every point's noise comparable."""


def logistic_fit(
    x: np.ndarray, y: np.ndarray, *, prior: tuple[float, float] | None = None, prior_weight: float = 0.0
) -> tuple[float, float]:
    """Slope and intercept of P(y) = sigmoid(slope * x + intercept) by Newton's method.

    With `prior_weight` > 0, a Gaussian prior pulls (slope, intercept) toward `prior`, worth about
    that many leads: a few hundred outcomes then move a calibration without overshooting.
    """
    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    centre = np.asarray(prior if prior is not None else (1.0, 0.0), dtype=np.float64)
    params = centre.copy() if prior is not None else np.array([1.0, 0.0])
    design = np.column_stack([x, np.ones_like(x)])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ params)))
        gradient = design.T @ (p - target) + prior_weight * (params - centre)
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design + prior_weight * np.eye(2)
        try:
            step = np.linalg.solve(hessian + 1e-9 * np.eye(2), gradient)
        except np.linalg.LinAlgError:
            break
        params = params - step
        if np.abs(step).max() < 1e-8:
            break
    return float(params[0]), float(params[1])


def calibration_slope(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """Calibration slope and intercept: outcomes regressed on the predicted log-odds (1 and 0 are ideal)."""
    y = np.asarray(labels, dtype=bool)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-6, 1 - 1e-6)
    if y.size == 0 or y.all() or not y.any():
        return float("nan"), float("nan")
    return logistic_fit(np.log(p / (1 - p)), y)


def evaluate_probabilities(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """ROC AUC, accuracy, Brier, calibration slope, mean prediction, reliability, quartile ratio, lift."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probabilities, dtype=np.float64)
    slope, intercept = calibration_slope(y, p)
    metrics = {
        "n": int(y.size),
        "conversion_rate": float(y.mean()) if y.size else float("nan"),
        "mean_prediction": float(p.mean()) if p.size else float("nan"),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "roc_auc": float(roc_auc_score(y, p)) if 0 < y.sum() < y.size else float("nan"),
        "accuracy": float(((p >= 0.5) == y).mean()),
        "brier": float(brier_score_loss(y, p)),
        "reliability": reliability_curve(y, p),
        "lift_by_decile": conversion_by_quantile(y, p, 10),
    }
    quartiles = conversion_by_quantile(y, p, 4)
    bottom, top = quartiles[0], quartiles[-1]
    metrics["top_bottom_quartile_ratio"] = float(top / bottom) if bottom > 0 else float("inf")
    return metrics


def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict]:
    """Mean predicted probability vs observed conversion rate, per quantile bin of the prediction."""
    order = np.argsort(p, kind="stable")
    return [
        {"predicted": float(p[chunk].mean()), "observed": float(y[chunk].mean()), "count": int(chunk.size)}
        for chunk in np.array_split(order, bins)
        if chunk.size
    ]


def conversion_by_quantile(y: np.ndarray, p: np.ndarray, quantiles: int) -> list[float]:
    """Conversion rate per score quantile, lowest scores first (ties broken by order, not merged)."""
    order = np.argsort(p, kind="stable")
    return [
        float(y[chunk].mean()) if chunk.size else float("nan") for chunk in np.array_split(order, quantiles)
    ]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def calibration_plot(sections: Mapping[str, dict], *, title: str) -> bytes:
    """Reliability curves of several models on one chart (PNG), with the diagonal of perfect calibration."""
    figure = Figure(figsize=(5.5, 5))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    for name, metrics in sections.items():
        curve = metrics["reliability"]
        axes.plot([b["predicted"] for b in curve], [b["observed"] for b in curve], marker="o", label=name)
    axes.set(
        xlabel="predicted probability",
        ylabel="observed conversion rate",
        title=title,
        xlim=(0, 1),
        ylim=(0, 1),
    )
    axes.legend(loc="upper left")
    return _png(figure)


def lift_plot(sections: Mapping[str, dict], *, title: str) -> bytes:
    """Conversion rate by score decile for several models (PNG), as grouped bars."""
    figure = Figure(figsize=(7, 4.5))
    axes = figure.add_subplot()
    width = 0.8 / max(len(sections), 1)
    for offset, (name, metrics) in enumerate(sections.items()):
        deciles = metrics["lift_by_decile"]
        axes.bar(
            np.arange(1, len(deciles) + 1) + (offset - (len(sections) - 1) / 2) * width,
            deciles,
            width,
            label=name,
        )
    axes.set(xlabel="score decile (10 = highest scores)", ylabel="conversion rate", title=title)
    axes.set_xticks(range(1, 11))
    axes.legend(loc="upper left")
    return _png(figure)
