"""The promotion rule: DeLong's paired AUC interval and the calibration slope, on synthetic holdouts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from scoring.evaluation import logistic_fit
from scoring.promotion_rule import CALIBRATION_SLOPE_RANGE, MIN_AUC_DIFFERENCE, compare_aucs, promotion_check

pytestmark = pytest.mark.unit

HOLDOUT_LEADS = 2500
"""About a real 3-month holdout of the pooled model."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture
def holdout() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(outcomes, the champion's log-odds, a random generator): outcomes drawn from the champion."""
    rng = np.random.default_rng(21)
    logit = rng.normal(-1.0, 1.1, HOLDOUT_LEADS)
    return rng.random(HOLDOUT_LEADS) < _sigmoid(logit), logit, rng


def _calibrated(labels: np.ndarray, logit: np.ndarray) -> np.ndarray:
    """Probabilities from log-odds, recalibrated on these outcomes (calibration slope exactly 1)."""
    a, b = logistic_fit(logit, labels)
    return _sigmoid(a * logit + b)


def test_delong_interval_agrees_with_the_paired_bootstrap(holdout):
    labels, logit, rng = holdout
    a, b = logit + rng.normal(0, 0.8, logit.size), logit + rng.normal(0, 0.8, logit.size)
    comparison = compare_aucs(labels, a, b)
    assert comparison.difference == pytest.approx(roc_auc_score(labels, a) - roc_auc_score(labels, b))
    differences = []
    for _ in range(300):
        pick = rng.integers(0, labels.size, labels.size)
        differences.append(roc_auc_score(labels[pick], a[pick]) - roc_auc_score(labels[pick], b[pick]))
    low, high = np.percentile(differences, [2.5, 97.5])
    assert comparison.low == pytest.approx(low, abs=0.004) and comparison.high == pytest.approx(
        high, abs=0.004
    )


def test_the_champion_plus_noise_is_promoted(holdout):
    labels, logit, rng = holdout
    champion = _calibrated(labels, logit)
    candidate = _calibrated(labels, logit + rng.normal(0, 0.1, logit.size))
    check = promotion_check(labels, candidate, champion)
    assert check.promote and not check.reasons
    assert (
        check.comparison.difference < 0 < check.comparison.high and check.comparison.low > MIN_AUC_DIFFERENCE
    )


def test_a_candidate_worse_by_003_auc_is_refused(holdout):
    labels, logit, rng = holdout
    champion = _calibrated(labels, logit)
    candidate = _calibrated(labels, logit + rng.normal(0, 0.6, logit.size))
    check = promotion_check(labels, candidate, champion)
    assert check.comparison.difference == pytest.approx(-0.03, abs=0.006)
    assert not check.promote
    (reason,) = check.reasons  # calibrated: only the AUC refuses it
    assert "95% interval" in reason and "may be worse than -0.01" in reason


def test_a_badly_calibrated_candidate_is_refused_even_when_it_ranks_as_well(holdout):
    labels, logit, _ = holdout
    champion = _calibrated(labels, logit)
    over_confident = _sigmoid(1.5 * logit)  # the same ranking, scores too extreme
    check = promotion_check(labels, over_confident, champion)
    assert check.comparison.difference == pytest.approx(0.0, abs=1e-12)
    assert not check.promote and check.reasons == (
        f"calibration slope {check.calibration_slope:.2f} is outside "
        f"{CALIBRATION_SLOPE_RANGE[0]}-{CALIBRATION_SLOPE_RANGE[1]}",
    )
    assert check.calibration_slope == pytest.approx(1 / 1.5, abs=0.1)


def test_without_a_champion_only_the_slope_is_reported(holdout):
    labels, logit, _ = holdout
    check = promotion_check(labels, _sigmoid(1.5 * logit), None)
    assert check.promote and check.comparison is None and check.calibration_slope < 0.9
    assert check.as_dict()["rule"] == {"min_auc_difference": -0.01, "slope_range": [0.9, 1.1]}
