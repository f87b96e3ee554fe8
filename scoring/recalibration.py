"""Recalibrating the pooled model to one practice's own outcomes, and showing what that changed.

The pooled model ranks leads from what many practices (or, on a fresh install, the simulator)
taught it, but its probabilities carry their conversion rates: a practice whose leads convert
less sees every score too high. Once the practice has `MIN_CLOSED_LEADS` closed leads, a Platt
scaling of the pooled model's calibrated log-odds is fitted to them, pulled toward "no change" by
a prior worth `PRIOR_LEADS` leads so a few hundred outcomes cannot overshoot. The ranking (AUC) is
unchanged; the score's meaning moves to the practice's own rate.

Its effect is measured honestly: fitted on the older two thirds of the closed leads, judged on
the newest third; the recalibration then served is refitted on all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from scoring.evaluation import calibration_slope, logistic_fit
from scoring.export import onnx_probabilities

MIN_CLOSED_LEADS = 300
"""Closed leads a practice needs before the pooled model is recalibrated to it: below a few hundred,
the conversion rate alone is uncertain by several points."""

PRIOR_LEADS = 50.0
"""Weight of the "keep the pooled calibration" prior, in leads."""

_CURVATURE_PER_LEAD = 0.2
"""p(1-p) of a typical lead (p near 0.25): one lead's weight in the fit's curvature."""

EVALUATION_SHARE = 1 / 3
"""Newest share of the closed leads held back to measure the effect."""


@dataclass(frozen=True)
class CalibrationFigures:
    """How well probabilities match outcomes on a set of leads."""

    leads: int
    mean_prediction: float
    conversion_rate: float
    brier: float
    log_loss: float
    calibration_slope: float


@dataclass(frozen=True)
class Recalibration:
    """The practice's calibration of the pooled model (applied to its raw margin) and its measured effect."""

    slope: float
    intercept: float
    leads: int
    before: CalibrationFigures  # the pooled calibration, on the newest third
    after: CalibrationFigures  # a recalibration fitted on the older two thirds, on the same leads

    def as_dict(self) -> dict:
        return asdict(self)


def raw_margins(onnx_bytes: bytes, features: np.ndarray) -> np.ndarray:
    """The model's uncalibrated log-odds per lead (from the ONNX probability, clamped like serving)."""
    p = np.clip(onnx_probabilities(onnx_bytes, features), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def figures(labels: np.ndarray, probabilities: np.ndarray) -> CalibrationFigures:
    """Mean prediction vs conversion rate, Brier score, log loss and calibration slope."""
    y = np.asarray(labels, dtype=float)
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-7, 1 - 1e-7)
    return CalibrationFigures(
        leads=int(y.size),
        mean_prediction=float(p.mean()),
        conversion_rate=float(y.mean()),
        brier=float(np.mean((p - y) ** 2)),
        log_loss=float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        calibration_slope=calibration_slope(y.astype(bool), p)[0],
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _fit(pooled_logit: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(a, b) with P = sigmoid(a * pooled_logit + b), shrunk toward (1, 0)."""
    return logistic_fit(
        pooled_logit, labels, prior=(1.0, 0.0), prior_weight=PRIOR_LEADS * _CURVATURE_PER_LEAD
    )


def recalibrate(
    margins: np.ndarray,
    labels: np.ndarray,
    *,
    pooled_calibration: tuple[float, float],
    min_leads: int = MIN_CLOSED_LEADS,
) -> Recalibration:
    """The practice's calibration from its closed leads, oldest first (raw margins of the pooled model)."""
    y = np.asarray(labels, dtype=bool)
    if y.size < max(min_leads, 3) or y.all() or not y.any():
        raise ValueError(f"{y.size} closed leads with both outcomes needed; recalibration needs {min_leads}")
    slope, intercept = pooled_calibration
    logit = slope * np.asarray(margins, dtype=float) + intercept
    held = max(round(y.size * EVALUATION_SHARE), 1)
    a, b = _fit(logit[:-held], y[:-held])
    before = figures(y[-held:], _sigmoid(logit[-held:]))
    after = figures(y[-held:], _sigmoid(a * logit[-held:] + b))
    a, b = _fit(logit, y)
    return Recalibration(
        slope=a * slope, intercept=a * intercept + b, leads=int(y.size), before=before, after=after
    )
