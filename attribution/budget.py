"""Budget reports: what each booking cost per channel under each model, and where the money would move.

Only channels with spend appear: organic search, walk-ins and physician referrals cost nothing to
reallocate. Shares of credit are taken among those paid channels, because the budget can only move
between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def _checked_spend(spend: Mapping[str, float]) -> dict[str, float]:
    """Spend per channel as floats, refusing negative or non-finite amounts."""
    checked = {channel: float(amount) for channel, amount in spend.items()}
    bad = sorted(channel for channel, amount in checked.items() if not 0 <= amount < float("inf"))
    if bad:
        raise ValueError(f"spend must be finite and non-negative; check {', '.join(bad)}")
    return checked


def cost_per_acquisition(
    spend: Mapping[str, float], credits_by_model: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float | None]]:
    """Spend / credited conversions per model and paid channel; None where the model credits nothing."""
    checked = _checked_spend(spend)
    return {
        model: {
            channel: (amount / credit[channel] if credit.get(channel, 0.0) > 0 else None)
            for channel, amount in checked.items()
        }
        for model, credit in credits_by_model.items()
    }


@dataclass(frozen=True)
class BudgetMove:
    """One paid channel's share of spend against its share of data-driven credit."""

    channel: str
    spend: float
    spend_share: float
    credit: float
    credit_share: float
    suggested_spend: float
    """The same total budget divided in proportion to credit (unchanged when nothing is credited)."""

    @property
    def implied_move(self) -> float:
        """Currency to add (positive) or take away (negative) so spend follows credit."""
        return self.suggested_spend - self.spend


def budget_reallocation(spend: Mapping[str, float], credit: Mapping[str, float]) -> list[BudgetMove]:
    """Per paid channel: current share of spend vs share of (data-driven) credit, and the implied move."""
    checked = _checked_spend(spend)
    total_spend = sum(checked.values())
    paid_credit = {channel: max(credit.get(channel, 0.0), 0.0) for channel in checked}
    total_credit = sum(paid_credit.values())
    moves = []
    for channel, amount in checked.items():
        credit_share = paid_credit[channel] / total_credit if total_credit > 0 else 0.0
        moves.append(
            BudgetMove(
                channel=channel,
                spend=amount,
                spend_share=amount / total_spend if total_spend > 0 else 0.0,
                credit=paid_credit[channel],
                credit_share=credit_share,
                # With no credited conversions there is no evidence to move money on.
                suggested_spend=credit_share * total_spend if total_credit > 0 else amount,
            )
        )
    return moves
