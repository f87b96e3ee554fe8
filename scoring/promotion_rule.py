"""The promotion rule: a paired comparison of candidate and champion on the same holdout leads.

Two AUCs on one 3-month holdout each carry about +/-0.008 of sampling noise, but most of that noise
is shared (the same leads are easy or hard for both models), so the difference is judged by
DeLong's paired test: the 95% interval of AUC(candidate) - AUC(champion) from the two models'
structural components and their covariance (DeLong, DeLong & Clarke-Pearson 1988; the fast
algorithm of Sun & Xu 2014). Deterministic, O(n log n), no resampling.

A candidate is promoted when the interval's lower bound is above `MIN_AUC_DIFFERENCE` (it is, with
95% confidence, not worse by more than 0.01) and its calibration slope on the holdout lies within
`CALIBRATION_SLOPE_RANGE` (its scores mean what they say).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata

from scoring.evaluation import calibration_slope

MIN_AUC_DIFFERENCE = -0.01
"""Lower bound of the 95% interval a candidate must clear: "not worse by more than 0.01 AUC"."""

CALIBRATION_SLOPE_RANGE = (0.9, 1.1)
"""A slope below 0.9 means over-confident scores, above 1.1 timid ones: either misleads the board."""

Z_95 = 1.959963984540054
"""Two-sided 95% normal quantile."""


@dataclass(frozen=True)
class AucComparison:
    """AUCs of two models on the same leads and the 95% interval of their difference."""

    candidate_auc: float
    champion_auc: float
    difference: float
    low: float
    high: float
    leads: int


@dataclass(frozen=True)
class PromotionCheck:
    """The rule applied: the paired AUC comparison, the candidate's calibration slope, and the verdict."""

    comparison: AucComparison | None  # None when there is no champion to compare with
    calibration_slope: float
    promote: bool
    reasons: tuple[str, ...]  # why not, in words (empty when promoted)

    def as_dict(self) -> dict:
        """For the model card (JSON)."""
        return {
            "comparison": asdict(self.comparison) if self.comparison else None,
            "calibration_slope": self.calibration_slope,
            "promote": self.promote,
            "reasons": list(self.reasons),
            "rule": {"min_auc_difference": MIN_AUC_DIFFERENCE, "slope_range": list(CALIBRATION_SLOPE_RANGE)},
        }


def _structural_components(scores: np.ndarray, positives: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUCs and DeLong's V10/V01 components of k score rows whose first `positives` columns are positives."""
    negatives = scores.shape[1] - positives
    all_ranks = rankdata(scores, axis=1)
    positive_ranks = rankdata(scores[:, :positives], axis=1)
    negative_ranks = rankdata(scores[:, positives:], axis=1)
    aucs = all_ranks[:, :positives].sum(axis=1) / positives / negatives - (positives + 1.0) / (
        2.0 * negatives
    )
    v10 = (all_ranks[:, :positives] - positive_ranks) / negatives
    v01 = 1.0 - (all_ranks[:, positives:] - negative_ranks) / positives
    return aucs, v10, v01


def compare_aucs(labels: np.ndarray, candidate: np.ndarray, champion: np.ndarray) -> AucComparison:
    """Paired DeLong comparison of two models' scores on the same leads."""
    y = np.asarray(labels, dtype=bool)
    positives = int(y.sum())
    if positives == 0 or positives == y.size:
        nan = math.nan
        return AucComparison(nan, nan, nan, nan, nan, int(y.size))
    order = np.concatenate([np.flatnonzero(y), np.flatnonzero(~y)])
    scores = np.vstack([np.asarray(candidate, float)[order], np.asarray(champion, float)[order]])
    aucs, v10, v01 = _structural_components(scores, positives)
    covariance = np.cov(v10) / positives + np.cov(v01) / (y.size - positives)
    variance = max(float(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]), 0.0)
    difference = float(aucs[0] - aucs[1])
    half_width = Z_95 * math.sqrt(variance)
    return AucComparison(
        candidate_auc=float(aucs[0]),
        champion_auc=float(aucs[1]),
        difference=difference,
        low=difference - half_width,
        high=difference + half_width,
        leads=int(y.size),
    )


def promotion_check(labels: np.ndarray, candidate: np.ndarray, champion: np.ndarray | None) -> PromotionCheck:
    """The rule on calibrated probabilities of the candidate (and of the champion, when there is one)."""
    slope, _ = calibration_slope(labels, candidate)
    if champion is None:
        return PromotionCheck(None, slope, True, ())
    comparison = compare_aucs(labels, candidate, champion)
    reasons = []
    if not comparison.low > MIN_AUC_DIFFERENCE:  # NaN (a one-class holdout) refuses too
        reasons.append(
            f"AUC difference {comparison.difference:+.4f} (95% interval {comparison.low:+.4f} to "
            f"{comparison.high:+.4f}) may be worse than {MIN_AUC_DIFFERENCE:+.2f}"
        )
    low, high = CALIBRATION_SLOPE_RANGE
    if not low <= slope <= high:
        reasons.append(f"calibration slope {slope:.2f} is outside {low}-{high}")
    return PromotionCheck(comparison, slope, not reasons, tuple(reasons))
