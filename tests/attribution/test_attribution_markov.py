"""Exact Markov removal effects on cases small enough to check on paper."""

from __future__ import annotations

import numpy as np
import pytest

from attribution import AggregatedPaths, aggregate_journeys, build_chain, markov_model

pytestmark = pytest.mark.unit


@pytest.fixture
def three_paths() -> AggregatedPaths:
    return AggregatedPaths(paths=(("A", "B"), ("A", "C"), ("B",)), conversions=[1, 1, 0], nulls=[0, 1, 1])


def test_three_path_removal_effects_match_the_hand_computation(three_paths: AggregatedPaths) -> None:
    # Journeys: A>B (1 conv), A>C (1 conv, 1 null), B (1 null): 4 journeys, 2 conversions.
    # start->A 3/4, start->B 1/4; A->B 1/3, A->C 2/3; B: conv 1/2, null 1/2; C: conv 1/2, null 1/2.
    # P = 3/4 * (1/3 * 1/2 + 2/3 * 1/2) + 1/4 * 1/2 = 3/8 + 1/8 = 1/2   (= 2 / 4 observed).
    # Without A: only start->B->conv: 1/4 * 1/2 = 1/8          -> removal effect 1 - (1/8)/(1/2) = 3/4.
    # Without B: start->A->C->conv: 3/4 * 2/3 * 1/2 = 1/4      -> removal effect 1/2.
    # Without C: 3/4 * 1/3 * 1/2 + 1/4 * 1/2 = 1/8 + 1/8 = 1/4 -> removal effect 1/2.
    # Credit: effects sum to 7/4, so A 2 * (3/4)/(7/4) = 6/7, B and C 2 * (1/2)/(7/4) = 4/7.
    result = markov_model(three_paths)
    assert result.p_conversion == pytest.approx(0.5)
    assert result.removal_effects == pytest.approx({"A": 0.75, "B": 0.5, "C": 0.5})
    assert result.credit == pytest.approx({"A": 6 / 7, "B": 4 / 7, "C": 4 / 7})
    assert result.value_credit is None
    assert not result.no_nulls and result.warnings == ()


def test_transition_probabilities_are_the_estimated_chain(three_paths: AggregatedPaths) -> None:
    table = build_chain(three_paths).transition_probabilities()
    assert table == pytest.approx(
        {
            ("(start)", "A"): 0.75,
            ("(start)", "B"): 0.25,
            ("A", "B"): 1 / 3,
            ("A", "C"): 2 / 3,
            ("B", "(conversion)"): 0.5,
            ("B", "(null)"): 0.5,
            ("C", "(conversion)"): 0.5,
            ("C", "(null)"): 0.5,
        }
    )


def test_order_two_remembers_where_a_journey_came_from() -> None:
    # A>C converts once, B>C never (one null). Order 1 cannot tell the two C's apart:
    #   P = 1/2 * 1/2 + 1/2 * 1/2 = 1/2; without A or B 1/4 (effect 1/2 each); without C 0 (effect 1).
    # Order 2 states [A], [B], [A,C], [B,C]; [A,C] always converts, [B,C] never:
    #   P = 1/2; without A ([A], [A,C] gone) 0 -> effect 1; without B still 1/2 -> effect 0;
    #   without C ([A,C], [B,C] gone) 0 -> effect 1. Credit: A 1/2, B 0, C 1/2.
    paths = AggregatedPaths(paths=(("A", "C"), ("B", "C")), conversions=[1, 0], nulls=[0, 1])
    first_order = markov_model(paths, order=1)
    assert first_order.removal_effects == pytest.approx({"A": 0.5, "B": 0.5, "C": 1.0})
    second_order = markov_model(paths, order=2)
    assert second_order.p_conversion == pytest.approx(0.5)
    assert second_order.removal_effects == pytest.approx({"A": 1.0, "B": 0.0, "C": 1.0})
    assert second_order.credit == pytest.approx({"A": 0.5, "B": 0.0, "C": 0.5})
    chain = second_order.chain
    assert set(chain.states) == {("A",), ("B",), ("A", "C"), ("B", "C")}
    table = chain.transition_probabilities()
    assert table[("A>C", "(conversion)")] == 1.0
    assert table[("B>C", "(null)")] == 1.0


@pytest.fixture
def mixed_paths() -> AggregatedPaths:
    return AggregatedPaths(
        paths=(("A", "B", "C"), ("B",), ("C", "A"), ("A", "A", "B"), ("B", "C", "A", "B"), ("C", "C")),
        conversions=[2, 1, 0, 1, 3, 2],
        nulls=[1, 0, 3, 1, 2, 5],
        values=[300.0, 50.0, 0.0, 100.0, 90.0, 10.0],
    )


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("collapse_repeats", [True, False])
def test_chain_reproduces_the_observed_conversion_rate(
    mixed_paths: AggregatedPaths, order: int, collapse_repeats: bool
) -> None:
    result = markov_model(mixed_paths, order=order, collapse_repeats=collapse_repeats)
    assert result.p_conversion == pytest.approx(9 / (9 + 12))
    assert sum(result.credit.values()) == pytest.approx(9.0)
    assert sum(result.value_credit.values()) == pytest.approx(550.0)


def test_repeats_are_collapsed_by_default_and_kept_on_request(mixed_paths: AggregatedPaths) -> None:
    collapsed = build_chain(mixed_paths).transition_probabilities()
    assert ("A", "A") not in collapsed and ("C", "C") not in collapsed
    kept = build_chain(mixed_paths, collapse_repeats=False).transition_probabilities()
    assert kept[("A", "A")] > 0 and kept[("C", "C")] > 0
    second_order = build_chain(mixed_paths, order=2, collapse_repeats=False)
    assert ("A", "A") in second_order.states


def test_a_channel_closing_every_converting_path_has_removal_effect_one() -> None:
    paths = AggregatedPaths(paths=(("A", "B"), ("C", "B"), ("C",)), conversions=[3, 1, 0], nulls=[1, 2, 4])
    assert markov_model(paths).removal_effects["B"] == 1.0
    # Order 2 states remember the last two touches, so every converting route passes a state with B.
    assert markov_model(paths, order=2).removal_effects["B"] == 1.0


def test_a_channel_merely_on_every_converting_path_can_score_below_one() -> None:
    # A>B converts, C>B does not; the first-order chain recombines them into start->C->B->conversion,
    # so without A the chain still converts 1/2 * 1/2 = 1/4 of P = 1/2: effect 1/2, not 1.
    paths = AggregatedPaths(paths=(("A", "B"), ("C", "B")), conversions=[1, 0], nulls=[0, 1])
    assert markov_model(paths).removal_effects["A"] == pytest.approx(0.5)
    assert markov_model(paths, order=2).removal_effects["A"] == 1.0


def test_paths_without_nulls_are_flagged_and_still_credited() -> None:
    # start->A 2/3, start->B 1/3; A->B 1; B->conversion 1: P = 1.
    # Without A: 1/3 -> effect 2/3; without B: 0 -> effect 1. Credit 3 * (2/3)/(5/3) = 1.2 and 1.8.
    paths = AggregatedPaths(paths=(("A", "B"), ("B",)), conversions=[2, 1], nulls=[0, 0])
    result = markov_model(paths)
    assert result.p_conversion == pytest.approx(1.0)
    assert result.no_nulls
    assert any("total_null is 0" in warning for warning in result.warnings)
    assert result.removal_effects == pytest.approx({"A": 2 / 3, "B": 1.0})
    assert result.credit == pytest.approx({"A": 1.2, "B": 1.8})


def test_zero_conversions_give_zero_effects_and_a_warning() -> None:
    paths = AggregatedPaths(paths=(("A", "B"), ("B",)), conversions=[0, 0], nulls=[3, 1])
    result = markov_model(paths, order=2)
    assert result.p_conversion == 0.0
    assert result.removal_effects == {"A": 0.0, "B": 0.0}
    assert result.credit == {"A": 0.0, "B": 0.0}
    assert not result.no_nulls
    assert any("no conversions" in warning for warning in result.warnings)


def test_no_paths_at_all_and_rows_without_journeys() -> None:
    assert markov_model(AggregatedPaths(paths=(), conversions=[], nulls=[])).p_conversion == 0.0
    paths = AggregatedPaths(paths=(("A",), ("Z",)), conversions=[1, 0], nulls=[1, 0])
    result = markov_model(paths)
    assert result.p_conversion == pytest.approx(0.5)
    assert result.removal_effects == {"A": 1.0, "Z": 0.0}


def test_order_must_be_positive(three_paths: AggregatedPaths) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        markov_model(three_paths, order=0)


def test_aggregated_journeys_give_the_observed_rate_at_scale() -> None:
    rng = np.random.default_rng(7)
    channels = np.array(["google_ads", "facebook_ads", "organic_search", "email", "direct"])
    lengths = rng.integers(1, 6, size=20_000)
    journeys = [list(rng.choice(channels, size=length)) for length in lengths]
    converted = rng.random(20_000) < 0.1 + 0.05 * lengths
    paths = aggregate_journeys(journeys, converted)
    for order in (1, 2, 3):
        result = markov_model(paths, order=order)
        assert result.p_conversion == pytest.approx(converted.mean())
        assert sum(result.credit.values()) == pytest.approx(converted.sum())
