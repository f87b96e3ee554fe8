"""A/B tests within a step: a two-proportion z-test, the sample it needs, and a stop rule.

The sample size comes first: from the control's rate and the smallest lift worth acting on, a power
analysis says how many leads each variant needs (80% power, 5% two-sided). Until both variants have
that many, no winner is declared however good one looks, because peeking at a running test and
stopping at the first p < 0.05 finds "winners" that are noise far more often than 5% of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

ALPHA = 0.05
"""Two-sided: a 1-in-20 chance of calling a winner when the variants are the same."""
POWER = 0.8
"""An 80% chance of finding a lift as large as the minimum effect when it is real."""
DEFAULT_MIN_EFFECT = 0.05
"""Five percentage points of booking rate: smaller lifts need more leads than most practices get."""
DEFAULT_BASELINE = 0.10
"""Assumed booking rate of the control before it has any results."""


@dataclass(frozen=True)
class Counts:
    successes: int
    trials: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class Verdict:
    planned_per_variant: int
    p_value: float | None
    z: float | None
    winner: str | None
    """"A", "B" or None."""
    status: str
    """too_early, no_winner_yet or winner."""
    words: str


def planned_sample(baseline: float, min_effect: float = DEFAULT_MIN_EFFECT) -> int:
    """Leads each variant needs to detect `min_effect` over `baseline` (Cohen's h, normal power)."""
    baseline = min(max(baseline, 0.001), 0.999)
    target = min(baseline + min_effect, 0.999)
    effect = abs(proportion_effectsize(target, baseline))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=ALPHA, power=POWER, ratio=1.0)
    return math.ceil(float(n))


def compare(
    a: Counts, b: Counts, *, min_effect: float = DEFAULT_MIN_EFFECT, baseline: float | None = None
) -> Verdict:
    """Variant A (control) against B; the stop rule refuses a verdict before the planned sample."""
    planned = planned_sample(baseline if baseline is not None else (a.rate or DEFAULT_BASELINE), min_effect)
    if min(a.trials, b.trials) < planned:
        return Verdict(
            planned,
            None,
            None,
            None,
            "too_early",
            f"Too early: {min(a.trials, b.trials):,} of the {planned:,} leads per variant this test needs.",
        )
    z, p_value = proportions_ztest([a.successes, b.successes], [a.trials, b.trials], alternative="two-sided")
    z, p_value = float(z), float(p_value)
    if p_value >= ALPHA:
        return Verdict(
            planned,
            p_value,
            z,
            None,
            "no_winner_yet",
            f"No winner yet: {a.rate:.1%} against {b.rate:.1%} could be chance (p = {p_value:.2f}).",
        )
    winner = "A" if a.rate > b.rate else "B"
    return Verdict(
        planned,
        p_value,
        z,
        winner,
        "winner",
        f"Variant {winner} wins: {a.rate:.1%} against {b.rate:.1%} (p = {p_value:.4f}).",
    )
