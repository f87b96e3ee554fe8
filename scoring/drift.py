"""Score drift: has the population of recent scores moved away from what the model was trained on?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PSI_EMPTY_SHARE = 1e-4
"""Share given to an empty bin so the log stays finite (a standard PSI smoothing)."""

PSI_WATCH = 0.1
"""Conventional threshold: PSI under 0.1 is stable; 0.1-0.25 is a shift worth watching."""
PSI_RETRAIN = 0.25
"""Conventional threshold: PSI above 0.25 is a major shift worth retraining."""


def population_stability_index(
    reference_scores: Sequence[float] | np.ndarray,
    recent_scores: Sequence[float] | np.ndarray,
    bins: int = 10,
) -> float:
    """PSI of recent scores against reference scores, on the reference's quantile bins (0 = no shift)."""
    reference = np.asarray(reference_scores, dtype=np.float64)
    recent = np.asarray(recent_scores, dtype=np.float64)
    if reference.size == 0 or recent.size == 0:
        raise ValueError("PSI needs reference and recent scores")
    edges = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1))[1:-1])
    expected = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1)
    actual = np.bincount(np.searchsorted(edges, recent, side="right"), minlength=edges.size + 1)
    expected_share = np.maximum(expected / reference.size, PSI_EMPTY_SHARE)
    actual_share = np.maximum(actual / recent.size, PSI_EMPTY_SHARE)
    return float(np.sum((actual_share - expected_share) * np.log(actual_share / expected_share)))
