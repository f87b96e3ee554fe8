"""Heuristic and Shapley credit on a small set of paths computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from attribution import (
    AggregatedPaths,
    aggregate_journeys,
    first_touch,
    last_touch,
    linear,
    position_based,
    shapley,
    time_decay,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def paths() -> AggregatedPaths:
    """Four paths, 4 conversions, 5 nulls; A > A > B keeps its repeated touch."""
    return AggregatedPaths(
        paths=(("A", "B", "C"), ("B",), ("C", "A"), ("A", "A", "B")),
        conversions=[2, 1, 0, 1],
        nulls=[1, 0, 3, 1],
        values=[300.0, 50.0, 0.0, 100.0],
    )


def test_first_touch_credits_the_opening_channel(paths: AggregatedPaths) -> None:
    assert first_touch(paths) == {"A": 3.0, "B": 1.0, "C": 0.0}


def test_last_touch_credits_the_closing_channel(paths: AggregatedPaths) -> None:
    assert last_touch(paths) == {"A": 0.0, "B": 2.0, "C": 2.0}


def test_linear_splits_equally_over_recorded_touches(paths: AggregatedPaths) -> None:
    # A>B>C x2: 2/3 each; B x1: 1; A>A>B x1: A 2/3, B 1/3.
    assert linear(paths) == pytest.approx({"A": 4 / 3, "B": 2.0, "C": 2 / 3})


def test_position_based_is_40_20_40(paths: AggregatedPaths) -> None:
    # A>B>C x2: .4/.2/.4 -> A .8, B .4, C .8; B: 1; A>A>B: A .4 + .2, B .4.
    assert position_based(paths) == pytest.approx({"A": 1.4, "B": 1.8, "C": 0.8})


def test_position_based_single_and_two_touch_paths() -> None:
    paths = AggregatedPaths(paths=(("A",), ("B", "C")), conversions=[1, 1], nulls=[0, 0])
    assert position_based(paths) == pytest.approx({"A": 1.0, "B": 0.5, "C": 0.5})


def test_time_decay_over_positions_halves_each_step(paths: AggregatedPaths) -> None:
    # Half-life 1 step: weights 1/4, 1/2, 1 over three touches, normalised to 1/7, 2/7, 4/7.
    # A>B>C x2: A 2/7, B 4/7, C 8/7; B: 1; A>A>B: A 1/7 + 2/7, B 4/7.
    assert time_decay(paths, half_life=1.0) == pytest.approx({"A": 5 / 7, "B": 15 / 7, "C": 8 / 7})


def test_time_decay_uses_touch_times_when_given() -> None:
    journeys = AggregatedPaths.one_row_per_journey([["A", "B"], ["C"]], [True, True])
    # A two days before B with a two-day half-life: weights 1/2 and 1 -> A 1/3, B 2/3.
    credit = time_decay(journeys, half_life=2.0, touch_times=[[0.0, 2.0], [5.0]])
    assert credit == pytest.approx({"A": 1 / 3, "B": 2 / 3, "C": 1.0})


def test_time_decay_rejects_misaligned_touch_times(paths: AggregatedPaths) -> None:
    with pytest.raises(ValueError, match="touch times"):
        time_decay(paths, touch_times=[[0.0]] * 4)
    with pytest.raises(ValueError, match="positive"):
        time_decay(paths, half_life=0)


def test_shapley_shares_each_conversion_among_distinct_channels(paths: AggregatedPaths) -> None:
    # A>B>C x2: 2/3 each; B: 1; A>A>B: distinct {A, B}, 1/2 each.
    assert shapley(paths) == pytest.approx({"A": 7 / 6, "B": 13 / 6, "C": 2 / 3})


@pytest.mark.parametrize("model", [first_touch, last_touch, linear, time_decay, position_based, shapley])
def test_every_model_credits_exactly_the_conversions_and_value(paths: AggregatedPaths, model) -> None:
    assert sum(model(paths).values()) == pytest.approx(4.0)
    assert sum(model(paths, basis="value").values()) == pytest.approx(450.0)


def test_value_basis_credits_value(paths: AggregatedPaths) -> None:
    assert first_touch(paths, basis="value") == {"A": 400.0, "B": 50.0, "C": 0.0}


def test_value_basis_without_values_is_refused() -> None:
    paths = AggregatedPaths(paths=(("A",),), conversions=[1], nulls=[0])
    with pytest.raises(ValueError, match="no conversion value"):
        linear(paths, basis="value")


def test_zero_conversions_give_zero_credit_everywhere() -> None:
    paths = AggregatedPaths(paths=(("A", "B"), ("B",)), conversions=[0, 0], nulls=[3, 1])
    for model in (first_touch, last_touch, linear, time_decay, position_based, shapley):
        assert model(paths) == {"A": 0.0, "B": 0.0}


def test_aggregating_journeys_changes_no_model() -> None:
    rng = np.random.default_rng(3)
    channels = np.array(["google_ads", "email", "phone", "direct"])
    journeys = [list(rng.choice(channels, size=length)) for length in rng.integers(1, 5, size=2_000)]
    converted = rng.random(2_000) < 0.3
    values = rng.uniform(50, 500, size=2_000)
    aggregated = aggregate_journeys(journeys, converted, values)
    one_per_journey = AggregatedPaths.one_row_per_journey(journeys, converted, values)
    assert len(aggregated) < len(one_per_journey)
    for model in (first_touch, last_touch, linear, time_decay, position_based, shapley):
        for basis in ("conversions", "value"):
            assert model(aggregated, basis=basis) == pytest.approx(model(one_per_journey, basis=basis))
