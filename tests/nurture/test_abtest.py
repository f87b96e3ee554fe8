"""A/B verdicts: the issue's cases, a p-value by hand, and the stop rule."""

from __future__ import annotations

import math

import pytest

from router.nurture.abtest import Counts, compare, planned_sample

pytestmark = pytest.mark.unit


def _by_hand(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))  # two-sided: 2 * (1 - Phi(|z|))


def test_120_of_1000_against_135_of_1000_is_no_winner_yet():
    verdict = compare(Counts(120, 1000), Counts(135, 1000))
    assert verdict.status == "no_winner_yet" and verdict.winner is None
    assert verdict.planned_per_variant <= 1000
    assert verdict.p_value == pytest.approx(_by_hand(120, 1000, 135, 1000), rel=1e-9)
    assert verdict.p_value == pytest.approx(0.3146, abs=1e-4)


def test_100_of_1000_against_160_of_1000_declares_b():
    verdict = compare(Counts(100, 1000), Counts(160, 1000))
    assert verdict.status == "winner" and verdict.winner == "B"
    assert verdict.p_value == pytest.approx(_by_hand(100, 1000, 160, 1000), rel=1e-9)
    assert verdict.p_value < 0.001


def test_the_stop_rule_refuses_a_verdict_before_the_planned_sample():
    verdict = compare(Counts(10, 100), Counts(30, 100))  # p < 0.001 already, but 100 < planned
    assert verdict.status == "too_early" and verdict.winner is None and verdict.p_value is None
    assert "100 of the" in verdict.words


def test_the_planned_sample_matches_the_textbook_formula():
    # Cohen's h for 15% vs 10%; each arm's arcsine has variance 1/n, the difference 2/n:
    # n = 2 * ((z_.975 + z_.8) / h)^2 per variant (the unpooled normal formula gives ~686).
    h = 2 * math.asin(math.sqrt(0.15)) - 2 * math.asin(math.sqrt(0.10))
    expected = 2 * ((1.959964 + 0.841621) / h) ** 2
    assert planned_sample(0.10, 0.05) == math.ceil(expected)
