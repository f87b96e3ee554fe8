"""The managers' primary/contributing view and the budget reports."""

from __future__ import annotations

import pytest

from attribution import (
    AggregatedPaths,
    budget_reallocation,
    channel_roles,
    cost_per_acquisition,
    multi_touch_share,
    primary_channel,
)

pytestmark = pytest.mark.unit


def test_primary_channel_has_the_highest_removal_effect_ties_to_the_latest_touch() -> None:
    effects = {"A": 0.75, "B": 0.5, "C": 0.5}
    assert primary_channel(("B", "A", "C"), effects) == "A"
    assert primary_channel(("B", "C"), effects) == "C"
    assert primary_channel(("C", "B", "C"), effects) == "C"
    assert primary_channel(("Z",), {}) == "Z"


def test_channel_roles_count_conversions_primary_and_contributing() -> None:
    # Removal effects of the three-path example: A 3/4, B 1/2, C 1/2.
    paths = AggregatedPaths(paths=(("A", "B"), ("A", "C"), ("B",)), conversions=[1, 1, 0], nulls=[0, 1, 1])
    roles = {role.channel: role for role in channel_roles(paths, {"A": 0.75, "B": 0.5, "C": 0.5})}
    assert (roles["A"].primary, roles["A"].contributing) == (2.0, 0.0)
    assert (roles["B"].primary, roles["B"].contributing) == (0.0, 1.0)
    assert (roles["C"].primary, roles["C"].contributing) == (0.0, 1.0)
    assert roles["A"].primary_share == 1.0 and roles["B"].primary_share == 0.0


def test_multi_touch_share_counts_recorded_touches() -> None:
    paths = AggregatedPaths(
        paths=(("A", "B", "C"), ("B",), ("A", "A", "B"), ("C", "A")),
        conversions=[2, 1, 1, 0],
        nulls=[1, 0, 1, 3],
    )
    assert multi_touch_share(paths) == pytest.approx(3 / 4)
    assert multi_touch_share(paths, min_touches=2) == pytest.approx(3 / 4)
    assert multi_touch_share(AggregatedPaths(paths=(("A",),), conversions=[0], nulls=[2])) == 0.0


def test_cost_per_acquisition_per_model_and_paid_channel() -> None:
    costs = cost_per_acquisition(
        {"A": 100.0, "B": 300.0}, {"markov": {"A": 3.0, "B": 1.0, "C": 2.0}, "last_touch": {"A": 4.0}}
    )
    assert costs == {
        "markov": {"A": pytest.approx(100 / 3), "B": 300.0},
        "last_touch": {"A": 25.0, "B": None},
    }


def test_budget_reallocation_moves_spend_towards_credit_share_among_paid_channels() -> None:
    # Paid credit A 3, B 1 (organic C is left out): shares 3/4 and 1/4 of a 400 budget.
    moves = {
        move.channel: move for move in budget_reallocation({"A": 100.0, "B": 300.0}, {"A": 3, "B": 1, "C": 2})
    }
    assert (moves["A"].spend_share, moves["A"].credit_share) == (0.25, 0.75)
    assert moves["A"].suggested_spend == 300.0 and moves["A"].implied_move == 200.0
    assert moves["B"].implied_move == -200.0
    assert sum(move.implied_move for move in moves.values()) == 0.0


def test_budget_without_any_credit_moves_nothing_and_bad_spend_is_refused() -> None:
    moves = budget_reallocation({"A": 100.0, "B": 0.0}, {})
    assert [move.implied_move for move in moves] == [0.0, 0.0]
    with pytest.raises(ValueError, match="non-negative"):
        budget_reallocation({"A": -1.0}, {"A": 1.0})
