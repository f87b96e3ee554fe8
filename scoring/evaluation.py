"""How good a set of probabilities is on a holdout: discrimination, calibration and lift, plus PNG plots."""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import brier_score_loss, roc_auc_score

RELIABILITY_BINS = 10
"""Quantile bins of the reliability curve: equal counts per bin keep every point's noise comparable."""


def evaluate_probabilities(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """ROC AUC, accuracy at 0.5, Brier score, reliability curve, top/bottom quartile ratio, decile lift."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probabilities, dtype=np.float64)
    metrics = {
        "n": int(y.size),
        "conversion_rate": float(y.mean()) if y.size else float("nan"),
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
