"""A small model trained once per test session on simulated history (few trees, a few thousand leads)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scoring.serving import ModelRuntime
from scoring.training import TrainingResult, train_models
from simulator.inquiries import PracticeSimulator
from simulator.training_data import TrainingSet, training_set

SMALL_TREES = {"n_estimators": 40, "max_depth": 3}
"""Enough trees for meaningful explanations, few enough to train in about a second."""

TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)
"""When the test models say they were trained."""


@pytest.fixture(scope="session")
def small_history() -> TrainingSet:
    """About 3,000 simulated leads over ten months."""
    simulator = PracticeSimulator(seed=11)
    inquiries = simulator.history(
        datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC), leads_per_day=2.0
    )
    return training_set(inquiries)


@pytest.fixture(scope="session")
def trained(small_history: TrainingSet) -> TrainingResult:
    return train_models(
        small_history.inputs,
        small_history.labels,
        small_history.received_at,
        true_probabilities=small_history.true_probabilities,
        seed=3,
        xgboost_params=SMALL_TREES,
        trained_at=TRAINED_AT,
    )


@pytest.fixture(scope="session")
def runtime(trained: TrainingResult) -> ModelRuntime:
    return ModelRuntime.from_training(trained)
