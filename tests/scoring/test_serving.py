"""Serving: scores, additive explanations in plain words, and hot swaps under load."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import numpy as np
import pytest
import xgboost as xgb

from scoring.channels import CHANNELS
from scoring.features import FEATURE_NAMES, feature_vector
from scoring.reasons import describe
from scoring.serving import ModelRuntime, ScorerRegistry
from scoring.training import train_models

pytestmark = pytest.mark.unit
_INTERNAL = re.compile(r"_|\bnan\b|\bnone\b|\bnull\b", re.IGNORECASE)

TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_score_is_calibrated_probability_times_100(runtime, trained):
    for inp in trained.holdout_inputs[:50]:
        score = runtime.score(inp)
        assert 0 <= score.value <= 100 and score.value == round(100 * score.probability)
        assert score.version == trained.version


def test_base_score_plus_contributions_equals_the_score(runtime, trained):
    for inp in trained.holdout_inputs[:100]:
        explanation = runtime.explain(inp)
        total = explanation.base_score + sum(r.points for r in explanation.contributions)
        assert total == pytest.approx(explanation.score, abs=1e-6)
        assert explanation.score == pytest.approx(100 * runtime.score(inp).probability, abs=1e-3)


def test_shap_values_plus_base_reproduce_the_margin(runtime, trained):
    for inp in trained.holdout_inputs[:100]:
        features = feature_vector(inp)
        shap, base = runtime.shap_values(features)
        assert base + shap.sum() == pytest.approx(runtime.margin(features), abs=1e-4)


def test_explanations_come_from_shaps_core_and_agree_with_xgboosts_treeshap(runtime, trained):
    assert runtime.tree_shap.direct
    booster = xgb.Booster()
    booster.load_model(bytearray(trained.booster_bytes))
    for inp in trained.holdout_inputs[:50]:
        features = feature_vector(inp)
        shap, base = runtime.shap_values(features)
        matrix = xgb.DMatrix(features.reshape(1, -1), missing=np.nan)
        expected = booster.predict(matrix, pred_contribs=True)[0]
        assert np.allclose(np.append(shap, base), expected, atol=1e-4)


def test_reasons_are_words_a_receptionist_understands(runtime, trained):
    for inp in trained.holdout_inputs[:200]:
        explanation = runtime.explain(inp)
        assert len(explanation.top_reasons) == 3
        for text in [*explanation.top_reasons, *(r.text for r in explanation.contributions)]:
            assert not _INTERNAL.search(text), text
            assert not any(re.search(rf"\b{name}\b", text) for name in FEATURE_NAMES), text
            assert not any(channel in text for channel in CHANNELS if "_" in channel), text
        assert re.fullmatch(r"[^()]+ \([+-]\d+\)", explanation.top_reasons[0])


@pytest.mark.parametrize("feature", FEATURE_NAMES)
def test_every_feature_value_has_plain_words(feature):
    for value in (float("nan"), 0.0, 1.0, 2.0, 3.0, 4.0, 11.0, 23.0, 130.0):
        if (feature in ("weekday_local",) and value > 6) or (feature == "month" and value == 0.0):
            continue
        try:
            text = describe(feature, value)
        except (IndexError, KeyError):
            continue  # a code outside the feature's vocabulary never comes out of feature_vector
        assert text and not _INTERNAL.search(text) and not re.search(rf"\b{feature}\b", text), (feature, text)


def test_registry_falls_back_to_the_pooled_model(runtime):
    registry = ScorerRegistry()
    assert registry.get("bright-smile") is None
    registry.install("pooled", runtime)
    assert registry.get("bright-smile") is runtime
    assert registry.versions() == {"pooled": runtime.version}


def test_hot_swap_never_shows_a_half_loaded_model(runtime, trained, small_history):
    other = ModelRuntime.from_training(
        train_models(
            small_history.inputs,
            small_history.labels,
            small_history.received_at,
            seed=99,
            xgboost_params={"n_estimators": 15, "max_depth": 2},
            trained_at=TRAINED_AT,
        )
    )
    assert other.version != runtime.version
    lead = trained.holdout_inputs[0]
    expected = {r.version: r.score(lead).probability for r in (runtime, other)}
    registry = ScorerRegistry()
    registry.install("bright-smile", runtime)
    seen: list[tuple[str, float]] = []
    stop = threading.Event()

    def score_continuously() -> None:
        while not stop.is_set():
            score = registry.get("bright-smile").score(lead)
            seen.append((score.version, score.probability))

    scorer = threading.Thread(target=score_continuously)
    scorer.start()
    for i in range(200):
        registry.install("bright-smile", other if i % 2 == 0 else runtime)
    stop.set()
    scorer.join()
    assert seen and {version for version, _ in seen} <= set(expected)
    assert all(probability == expected[version] for version, probability in seen)


def _lead(message: str, hour: int, treatment: str | None = None):  # type: ignore[no-untyped-def]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from scoring.features import ScoringInput

    return ScoringInput(
        message=message,
        treatment_interest=treatment,
        channel="google_ads",
        received_at_local=datetime(2025, 10, 7, hour, 15, tzinfo=ZoneInfo("America/Chicago")),
    )


@pytest.mark.parametrize(
    ("lead", "joint", "parts"),
    [
        (
            _lead("Do you take Delta Dental?", 20),
            "evening inquiry with insurance",
            {"hour_local", "message_insurance"},
        ),
        (
            _lead("My tooth broke, it hurts, can I come today?", 11, "emergency"),
            "urgent dental emergency",
            {"message_urgent", "treatment_interest"},
        ),
    ],
)
def test_interactions_are_explained_together(runtime, lead, joint, parts):
    explanation = runtime.explain(lead)
    features = {r.feature for r in explanation.contributions}
    assert not parts & features and any(set(f.split("+")) == parts for f in features)
    assert [r.text for r in explanation.contributions].count(joint) == 1
    total = explanation.base_score + sum(r.points for r in explanation.contributions)
    assert total == pytest.approx(explanation.score, abs=1e-6)  # the pair's points are both parts' points


def test_joint_reasons_need_both_parts():
    from scoring.reasons import joint_reasons

    treatments = {"emergency": 6.0, "cleaning": 1.0}
    assert joint_reasons({"hour_local": 19.0, "message_insurance": 1.0}) == [
        ("hour_local", "message_insurance", "evening inquiry with insurance")
    ]
    assert joint_reasons({"hour_local": 14.0, "message_insurance": 1.0}) == []
    assert joint_reasons({"hour_local": float("nan"), "message_insurance": 1.0}) == []
    assert joint_reasons({"message_urgent": 1.0, "treatment_interest": treatments["cleaning"]}) == []
    assert joint_reasons({"message_urgent": 1.0, "treatment_interest": treatments["emergency"]})[0][2] == (
        "urgent dental emergency"
    )


def test_message_length_is_never_a_reason_staff_see(runtime, trained):
    for inp in trained.holdout_inputs[:300]:
        explanation = runtime.explain(inp)
        assert not any(
            "message" in text and ("short" in text or "detailed" in text) for text in explanation.top_reasons
        )
        assert len(explanation.top_reasons) == 3
