"""Serving: a loaded model version that scores and explains single leads, and the per-process registry.

A `ModelRuntime` is built completely (ONNX session, booster, checks) before anyone can see it;
`ScorerRegistry.install` then swaps one reference, so a request holds either the old runtime or
the new one, never half of each, and nothing restarts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import xgboost as xgb

from scoring.export import INPUT_NAME, onnx_session
from scoring.features import FEATURE_NAMES, ScoringInput, feature_vector
from scoring.reasons import HIDDEN_FROM_STAFF, describe, joint_reasons, reason_text
from scoring.treeshap import TreeShap

TOP_REASONS = 3
"""Reasons shown on a lead card: enough to act on, few enough to read at a glance."""

POOLED_MODEL_KEY = "pooled"
"""Registry key of the model trained on all practices, used by practices without their own."""

_PROBABILITY_FLOOR = 1e-7
"""Clamp before taking log-odds of an ONNX float32 probability (avoids infinite margins)."""


@dataclass(frozen=True, slots=True)
class Score:
    """A lead's score 0-100 (calibrated probability x 100) and the model version that produced it."""

    value: int
    probability: float
    version: str


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature's push on the score, in plain words and score points."""

    text: str
    points: float
    feature: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a lead scored as it did: base score + sum of contribution points == score."""

    base_score: float
    score: float
    contributions: list[Reason]
    top_reasons: list[str]
    margin: float  # raw XGBoost log-odds, before calibration
    version: str


def _probe_rows(width: int) -> np.ndarray:
    """Feature vectors that take many paths through any model: spread values, zeros, missing ones."""
    rng = np.random.default_rng(0)
    rows = rng.normal(0.0, 10.0, size=(8, width))
    rows[rng.random(rows.shape) < 0.2] = np.nan
    return np.vstack([rows, np.zeros((1, width)), np.full((1, width), np.nan)])


class ModelRuntime:
    """One model version loaded for serving: ONNX for scores, the XGBoost booster for TreeSHAP reasons."""

    def __init__(
        self,
        version: str,
        onnx_bytes: bytes,
        booster_bytes: bytes,
        feature_names: Sequence[str],
        *,
        calibration: tuple[float, float] = (1.0, 0.0),
    ) -> None:
        if tuple(feature_names) != FEATURE_NAMES:
            raise ValueError(f"model {version} was trained on other features than this code builds")
        self.version = version
        self.feature_names = tuple(feature_names)
        self.slope, self.intercept = calibration
        self._session, self._output = onnx_session(onnx_bytes)
        self._booster = xgb.Booster(params={"nthread": 1})
        self._booster.load_model(bytearray(booster_bytes))
        self._lock = threading.Lock()  # xgboost boosters are not documented as thread-safe for predict
        self.tree_shap = TreeShap(self._booster, _probe_rows(len(self.feature_names)))

    @classmethod
    def from_training(cls, result) -> ModelRuntime:
        """A runtime for a `scoring.training.TrainingResult`."""
        return cls(
            result.version,
            result.onnx_bytes,
            result.booster_bytes,
            result.feature_names,
            calibration=result.calibration,
        )

    def raw_probability(self, features: np.ndarray) -> float:
        """The ONNX model's uncalibrated probability for one feature vector."""
        (probabilities,) = self._session.run([self._output], {INPUT_NAME: features.reshape(1, -1)})
        return float(probabilities[0, 1])

    def calibrated(self, margin: float) -> float:
        """Calibrated probability from the model's raw log-odds."""
        return 1.0 / (1.0 + math.exp(-(self.slope * margin + self.intercept)))

    def score(self, inp: ScoringInput) -> Score:
        """Score one lead: features, ONNX, calibration; tens of microseconds."""
        raw = min(
            max(self.raw_probability(feature_vector(inp)), _PROBABILITY_FLOOR), 1.0 - _PROBABILITY_FLOOR
        )
        probability = self.calibrated(math.log(raw / (1.0 - raw)))
        return Score(
            value=min(100, max(0, round(100.0 * probability))), probability=probability, version=self.version
        )

    def shap_values(self, features: np.ndarray) -> tuple[np.ndarray, float]:
        """TreeSHAP contributions (log-odds) per feature and the base value, for one feature vector."""
        return self.tree_shap.values(features)

    def margin(self, features: np.ndarray) -> float:
        """The booster's raw log-odds for one feature vector."""
        matrix = xgb.DMatrix(features.reshape(1, -1), missing=np.nan, nthread=1)
        with self._lock:
            return float(self._booster.predict(matrix, output_margin=True)[0])

    def explain(self, inp: ScoringInput) -> Explanation:
        """Reasons in score points: SHAP log-odds scaled so that base score + points == score exactly."""
        features = feature_vector(inp)
        shap, base_margin = self.shap_values(features)
        margin = base_margin + float(shap.sum())
        calibrated_base = self.slope * base_margin + self.intercept
        calibrated_margin = self.slope * margin + self.intercept
        base_score = 100.0 / (1.0 + math.exp(-calibrated_base))
        score = 100.0 / (1.0 + math.exp(-calibrated_margin))
        span = calibrated_margin - calibrated_base
        # The sigmoid's secant makes points add up exactly; at a zero span, its limit (the slope there).
        per_log_odd = (score - base_score) / span if abs(span) > 1e-9 else score * (1.0 - score / 100.0)
        by_feature = {
            name: Reason(
                text=describe(name, float(features[i])),
                points=float(self.slope * shap[i] * per_log_odd),
                feature=name,
            )
            for i, name in enumerate(self.feature_names)
        }
        values = {name: float(features[i]) for i, name in enumerate(self.feature_names)}
        for first, second, words in joint_reasons(values):
            if first in by_feature and second in by_feature:
                points = by_feature.pop(first).points + by_feature.pop(second).points
                by_feature[f"{first}+{second}"] = Reason(words, points, f"{first}+{second}")
        reasons = sorted(by_feature.values(), key=lambda r: abs(r.points), reverse=True)
        shown = [r for r in reasons if r.feature not in HIDDEN_FROM_STAFF]
        return Explanation(
            base_score=base_score,
            score=score,
            contributions=reasons,
            top_reasons=[reason_text(r.text, r.points) for r in shown[:TOP_REASONS]],
            margin=margin,
            version=self.version,
        )


class ScorerRegistry:
    """The runtimes this process serves, by practice key; swapped whole, never mutated in place."""

    def __init__(self, pooled_key: str = POOLED_MODEL_KEY) -> None:
        self.pooled_key = pooled_key
        self._runtimes: MappingProxyType[str, ModelRuntime] = MappingProxyType({})
        self._install_lock = threading.Lock()  # serialises writers; readers never wait

    def get(self, practice_key: str | None) -> ModelRuntime | None:
        """The practice's own runtime, else the pooled one, else None (score later, never block intake)."""
        runtimes = self._runtimes  # one read of the reference: a consistent snapshot
        return runtimes.get(practice_key or "") or runtimes.get(self.pooled_key)

    def install(self, practice_key: str, runtime: ModelRuntime) -> None:
        """Make `runtime` the one served for `practice_key` (atomic reference replacement)."""
        with self._install_lock:
            self._runtimes = MappingProxyType({**self._runtimes, practice_key: runtime})

    def remove(self, practice_key: str) -> None:
        """Stop serving a practice's own model (it falls back to the pooled one)."""
        with self._install_lock:
            self._runtimes = MappingProxyType({k: v for k, v in self._runtimes.items() if k != practice_key})

    def versions(self) -> dict[str, str]:
        """Practice key -> model version currently served (for health pages and logs)."""
        return {key: runtime.version for key, runtime in self._runtimes.items()}
