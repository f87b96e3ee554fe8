"""ONNX export of the XGBoost model, and the parity check that guards it."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import xgboost as xgb
from onnxmltools import convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType

PARITY_TOLERANCE = 1e-5
"""Largest allowed |ONNX - XGBoost| probability on the holdout; float32 trees agree far closer."""

INPUT_NAME = "features"


class ExportParityError(RuntimeError):
    """The ONNX model's probabilities differ from XGBoost's: the export is rejected."""


def export_onnx(model: xgb.XGBClassifier, n_features: int) -> bytes:
    """The classifier as ONNX bytes (the converter needs unnamed features: names live in the model card)."""
    onnx_model = convert_xgboost(model, initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))])
    return onnx_model.SerializeToString()


def session_options() -> ort.SessionOptions:
    """One intra-op thread: single-row scoring gains nothing from threads and web workers share cores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def onnx_session(onnx_bytes: bytes) -> tuple[ort.InferenceSession, str]:
    """An inference session and the name of its probability output."""
    session = ort.InferenceSession(onnx_bytes, session_options(), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    probability_output = next((name for name in outputs if "prob" in name.lower()), outputs[-1])
    return session, probability_output


def onnx_probabilities(onnx_bytes: bytes, features: np.ndarray) -> np.ndarray:
    """Positive-class probabilities of many rows through an ONNX model."""
    session, output = onnx_session(onnx_bytes)
    if len(features) == 0:
        return np.empty(0)
    (probabilities,) = session.run([output], {INPUT_NAME: np.asarray(features, dtype=np.float32)})
    return np.asarray(probabilities)[:, 1].astype(np.float64)


def check_parity(onnx_bytes: bytes, model: xgb.XGBClassifier, features: np.ndarray) -> float:
    """Largest |ONNX - XGBoost| probability on these rows; `ExportParityError` past the tolerance."""
    expected = model.predict_proba(features)[:, 1]
    actual = onnx_probabilities(onnx_bytes, features)
    worst = float(np.max(np.abs(actual - expected))) if len(expected) else 0.0
    if not worst <= PARITY_TOLERANCE:
        raise ExportParityError(
            f"ONNX export rejected: probabilities differ from XGBoost by up to {worst:.2e} "
            f"(> {PARITY_TOLERANCE:.0e}) on {len(expected)} holdout rows"
        )
    return worst
