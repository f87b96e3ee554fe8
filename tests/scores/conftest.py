"""Small trained models for registry, serving and webhook tests (a few thousand leads, few trees)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from leadrouter.model_training import History, simulated_history, train
from scoring.training import TrainingResult

SMALL_TREES = {"n_estimators": 40, "max_depth": 3}
"""Enough trees for meaningful reasons, few enough to train in well under a second."""

STUMP = {"n_estimators": 1, "max_depth": 1}
"""One split: a deliberately worse challenger."""

TRAINED_AT = datetime(2025, 11, 1, 3, 0, tzinfo=UTC)
"""When the test models say they were trained (the end of their simulated history)."""


@pytest.fixture(scope="session")
def small_history() -> History:
    """About 3,000 simulated leads over ten months (one inquiry per office per day)."""
    return simulated_history(months=10, seed=5, end=datetime(2025, 11, 1, tzinfo=UTC), leads_per_day=1.0)


def calibrated_on_its_holdout(result: TrainingResult) -> TrainingResult:
    """The same model with its Platt scaling refitted on its own holdout (calibration slope exactly 1 there).

    A 400-lead holdout's calibration slope is noise (2.5 for this small model); tests of the promotion
    mechanics must not depend on it. The rule's slope bound itself is tested in tests/scoring.
    """
    import numpy as np

    from scoring.evaluation import logistic_fit
    from scoring.features import feature_matrix
    from scoring.recalibration import raw_margins

    margins = raw_margins(result.onnx_bytes, feature_matrix(result.holdout_inputs))
    slope, intercept = result.calibration
    a, b = logistic_fit(slope * margins + intercept, np.asarray(result.holdout_labels))
    return dataclasses.replace(result, calibration=(a * slope, a * intercept + b))


@pytest.fixture(scope="session")
def champion_result(small_history: History) -> TrainingResult:
    return calibrated_on_its_holdout(
        train(small_history, seed=1, xgboost_params=SMALL_TREES, trained_at=TRAINED_AT)
    )


@pytest.fixture(scope="session")
def weak_result(small_history: History) -> TrainingResult:
    return train(small_history, seed=1, xgboost_params=STUMP, trained_at=TRAINED_AT)


@pytest.fixture(scope="session")
def twin_result(champion_result: TrainingResult) -> TrainingResult:
    """The champion's exact model under another version name: an equal challenger."""
    return dataclasses.replace(champion_result, version=champion_result.version + "-twin")


@pytest.fixture
async def served(runtime, domain):  # type: ignore[no-untyped-def]
    """The process's scorer, emptied after the test so no model leaks into other tests."""
    yield runtime.scorer
    for key in list(runtime.scorer.registry.versions()):
        runtime.scorer.registry.remove(key)
