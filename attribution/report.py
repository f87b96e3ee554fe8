"""Every attribution model run over one set of paths, gathered into one report.

The JSON form (`AttributionReport.to_json_dict`) is the contract of `leadrouter attribution --json`:
`p_conversion`, `total_conversions` and `models` with markov, first_touch, last_touch, linear and
shapley credit; everything else (time decay, position based, removal effects, value credit, the
primary/contributing view, warnings) sits under `extras` so the contract's shape never changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attribution.budget import BudgetMove, budget_reallocation, cost_per_acquisition
from attribution.heuristics import (
    DEFAULT_HALF_LIFE,
    Basis,
    Credit,
    first_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from attribution.markov import MarkovResult, markov_model
from attribution.paths import AggregatedPaths
from attribution.shapley import shapley
from attribution.views import ChannelRole, channel_roles, multi_touch_share

CONTRACT_MODELS = ("markov", "first_touch", "last_touch", "linear", "shapley")
"""The models `leadrouter attribution --json` promises under `models`, in that order."""
MODELS = ("markov", "first_touch", "last_touch", "linear", "time_decay", "position_based", "shapley")
"""Every model in the report, data-driven first, in the order tables list them."""
DATA_DRIVEN_MODEL = "markov"


@dataclass(frozen=True, eq=False)
class AttributionReport:
    """Credit per channel under every model, the Markov details and the managers' simplified view."""

    paths: AggregatedPaths
    markov: MarkovResult
    credits: dict[str, Credit]
    """Model name -> channel -> credited conversions, for every name in MODELS."""
    value_credits: dict[str, Credit] | None
    """The same in conversion value, when the paths carry value."""
    roles: tuple[ChannelRole, ...]
    multi_touch_share: float
    half_life: float

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel on any path, sorted by name."""
        return self.paths.channels

    @property
    def p_conversion(self) -> float:
        """The chain's probability that a journey converts."""
        return self.markov.p_conversion

    @property
    def total_conversions(self) -> float:
        """Conversions over all paths: what each model's credits sum to."""
        return self.paths.total_conversions

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the data could not support, in words for a report footer."""
        return self.markov.warnings

    def cost_per_acquisition(self, spend: Mapping[str, float]) -> dict[str, dict[str, float | None]]:
        """Cost per booking per paid channel under every model."""
        return cost_per_acquisition(spend, self.credits)

    def budget_reallocation(self, spend: Mapping[str, float]) -> list[BudgetMove]:
        """Spend share vs data-driven (Markov) credit share per paid channel, with the implied move."""
        return budget_reallocation(spend, self.credits[DATA_DRIVEN_MODEL])

    def to_json_dict(self) -> dict[str, Any]:
        """The `leadrouter attribution --json` object: the contract's keys, extras under `extras`."""
        extras: dict[str, Any] = {
            "time_decay": self.credits["time_decay"],
            "position_based": self.credits["position_based"],
            "removal_effects": self.markov.removal_effects,
            "order": self.markov.order,
            "collapse_repeats": self.markov.collapse_repeats,
            "half_life": self.half_life,
            "no_nulls": self.markov.no_nulls,
            "total_null": self.paths.total_nulls,
            "paths": len(self.paths),
            "multi_touch_share": self.multi_touch_share,
            "primary_view": {
                role.channel: {"primary": role.primary, "contributing": role.contributing}
                for role in self.roles
            },
            "warnings": list(self.warnings),
        }
        if self.value_credits is not None:
            extras["total_conversion_value"] = self.paths.total_value
            extras["markov_value"] = self.value_credits["markov"]
            extras["value_models"] = {
                model: credit for model, credit in self.value_credits.items() if model != "markov"
            }
        return {
            "p_conversion": self.p_conversion,
            "total_conversions": self.total_conversions,
            "models": {model: self.credits[model] for model in CONTRACT_MODELS},
            "extras": extras,
        }


def _heuristic_credits(
    paths: AggregatedPaths,
    *,
    half_life: float,
    touch_times: Sequence[Sequence[float]] | None,
    basis: Basis,
) -> dict[str, Credit]:
    """Every non-Markov model's credit in one basis."""
    return {
        "first_touch": first_touch(paths, basis=basis),
        "last_touch": last_touch(paths, basis=basis),
        "linear": linear(paths, basis=basis),
        "time_decay": time_decay(paths, half_life=half_life, touch_times=touch_times, basis=basis),
        "position_based": position_based(paths, basis=basis),
        "shapley": shapley(paths, basis=basis),
    }


def attribute(
    paths: AggregatedPaths,
    *,
    order: int = 1,
    collapse_repeats: bool = True,
    half_life: float = DEFAULT_HALF_LIFE,
    touch_times: Sequence[Sequence[float]] | None = None,
) -> AttributionReport:
    """Run every model over the paths: Markov of the given order, the heuristics and Shapley."""
    markov = markov_model(paths, order=order, collapse_repeats=collapse_repeats)
    credits = {"markov": markov.credit} | _heuristic_credits(
        paths, half_life=half_life, touch_times=touch_times, basis="conversions"
    )
    value_credits = None
    if markov.value_credit is not None:
        value_credits = {"markov": markov.value_credit} | _heuristic_credits(
            paths, half_life=half_life, touch_times=touch_times, basis="value"
        )
    return AttributionReport(
        paths=paths,
        markov=markov,
        credits={model: credits[model] for model in MODELS},
        value_credits=None if value_credits is None else {model: value_credits[model] for model in MODELS},
        roles=tuple(channel_roles(paths, markov.removal_effects)),
        multi_touch_share=multi_touch_share(paths),
        half_life=half_life,
    )
