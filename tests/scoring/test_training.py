"""Training on a time split, ONNX parity, the model card and re-evaluation for promotion."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

from scoring.export import ExportParityError, check_parity, onnx_probabilities
from scoring.features import FEATURE_NAMES, feature_matrix
from scoring.training import evaluate_auc

pytestmark = pytest.mark.unit


def test_training_reports_all_models_on_the_holdout(trained):
    for section in ("xgboost", "logistic", "true_probability"):
        metrics = trained.metrics[section]
        for key in (
            "roc_auc",
            "accuracy",
            "brier",
            "reliability",
            "top_bottom_quartile_ratio",
            "lift_by_decile",
        ):
            assert key in metrics
    assert 0.55 < trained.holdout_auc <= 1.0
    assert trained.metrics["true_probability"]["roc_auc"] > 0.6
    assert trained.plots["calibration.png"].startswith(b"\x89PNG") and trained.plots["lift_by_decile.png"]
    assert json.loads(json.dumps(trained.card_json))["feature_names"] == list(FEATURE_NAMES)
    assert trained.version in trained.card_markdown


def test_onnx_agrees_with_xgboost_on_the_holdout(trained):
    booster = xgb.Booster()
    booster.load_model(bytearray(trained.booster_bytes))
    features = feature_matrix(trained.holdout_inputs)
    expected = booster.predict(xgb.DMatrix(features, missing=np.nan))
    np.testing.assert_allclose(onnx_probabilities(trained.onnx_bytes, features), expected, atol=1e-5)
    assert trained.parity_max_difference <= 1e-5


def test_export_is_rejected_when_onnx_disagrees(trained):
    class Disagreeing:
        def predict_proba(self, features):
            probabilities = onnx_probabilities(trained.onnx_bytes, features)
            return np.column_stack([1 - probabilities, np.clip(probabilities + 1e-3, 0, 1)])

    with pytest.raises(ExportParityError, match="rejected"):
        check_parity(trained.onnx_bytes, Disagreeing(), feature_matrix(trained.holdout_inputs))


def test_evaluate_auc_matches_the_training_report(trained):
    auc = evaluate_auc(trained.onnx_bytes, trained.holdout_inputs, trained.holdout_labels)
    assert auc == pytest.approx(trained.holdout_auc, abs=1e-6)  # calibration is monotone: same ranking
