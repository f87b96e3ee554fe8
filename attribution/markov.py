"""Markov-chain attribution: every channel's removal effect, solved exactly from the absorbing chain.

The chain. Every journey starts in `(start)`, walks through channel states and ends absorbed in
`(conversion)` or `(null)`. In a chain of order k a state is the last (up to) k channels touched:
order 2 turns A > B > C into (start) -> [A] -> [A,B] -> [B,C] -> (conversion); early states hold a
shorter history, which is the same as padding the path with start markers. Transition counts come
from the paths weighted by their journeys, probabilities are counts over the state's outflow.

Exact absorption. With Q the transitions among transient states ((start) and the channel states)
and r the one-step probabilities into (conversion), the probability of converting from each state
solves (I - Q) x = r; P(conversion) is x at (start). The system is a scipy.sparse matrix solved by
a sparse direct solver (SuperLU), so orders 2 and 3 with thousands of states stay cheap. No
simulation: results are deterministic and exact up to floating point.

Removal. Removing channel c redirects every transition into a state that contains c to (null);
those states then drop out of the system. The removal effect is 1 - P(conversion without c) /
P(conversion). Credit is the removal effects normalised to sum to 1, times the total conversions
(`credit`) and, when the paths carry conversion value, times the total value (`value_credit`).

Repeated touches. Consecutive touches of one channel (A > A > B) are collapsed by default
(`collapse_repeats=True`, giving A > B): a second touch of the same channel is not a move between
channels, and self-loops would make the chain's state count depend on how often a tracker fires.
With `collapse_repeats=False` they stay, as self-transitions (order 1) or states like [A,A].

Invariants (tested): P(conversion) equals the observed rate conversions / (conversions + nulls),
because the path counts are a conserved flow of the estimated chain; credits sum to the total
conversions; a channel that every converting route of the chain passes through has removal effect
exactly 1 (for order 1: the last touch of every converting path; a channel merely somewhere on every
converting path can score less, since the chain recombines paths it never saw whole). Paths without
any null give P(conversion) = 1 and are flagged (`no_nulls`); zero conversions give zero effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

from attribution.heuristics import Credit
from attribution.paths import AggregatedPaths, Path

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"

_MAX_STATE_KEY = 2**62
"""States are numbered as base-(channels+1) integers of k digits; they must fit in int64."""


@dataclass(frozen=True, eq=False)
class AbsorbingChain:
    """The estimated chain: transient states (channel histories, then (start)) and their transitions."""

    order: int
    channels: tuple[str, ...]
    states: tuple[Path, ...]
    """Channel states, oldest channel first; (start) is the transient state after them."""
    transient: sparse.csr_matrix
    """Q: transition probabilities among transient states, (start) last."""
    to_conversion: np.ndarray
    to_null: np.ndarray
    state_digits: np.ndarray
    """Channel index at each history slot of each state (len(channels) marks an empty slot)."""

    @property
    def start(self) -> int:
        """Index of (start) among the transient states."""
        return len(self.states)

    def states_with(self, channel: str) -> np.ndarray:
        """Mask of the channel states whose history contains the channel."""
        code = self.channels.index(channel)
        return np.any(self.state_digits == code, axis=1)

    def conversion_probability(self, *, without: str | None = None) -> float:
        """P(absorbed in conversion from (start)), optionally with a channel removed."""
        if self.to_conversion.sum() == 0:
            return 0.0
        kept = np.ones(self.start + 1, dtype=bool)
        if without is not None and without in self.channels:
            kept[: self.start] = ~self.states_with(without)
        index = np.flatnonzero(kept)
        reduced = self.transient[index][:, index]
        system = (sparse.identity(len(index), format="csc") - reduced).tocsc()
        absorption = np.atleast_1d(spsolve(system, self.to_conversion[index]))
        return float(absorption[-1])

    def transition_probabilities(self) -> dict[tuple[str, str], float]:
        """Every non-zero transition as {(from, to): probability}, states written as `A>B`."""
        labels = [">".join(state) for state in self.states] + [START]
        table: dict[tuple[str, str], float] = {}
        coo = self.transient.tocoo()
        for source, target, probability in zip(coo.row, coo.col, coo.data, strict=True):
            table[(labels[source], labels[target])] = float(probability)
        for absorbing, column in ((CONVERSION, self.to_conversion), (NULL, self.to_null)):
            for source in np.flatnonzero(column):
                table[(labels[source], absorbing)] = float(column[source])
        return table


def build_chain(paths: AggregatedPaths, *, order: int = 1, collapse_repeats: bool = True) -> AbsorbingChain:
    """The order-k absorbing chain estimated from aggregated paths."""
    if order < 1:
        raise ValueError("the chain order must be at least 1")
    source = (paths.collapsed() if collapse_repeats else paths).with_journeys()
    encoded = source.encoded
    base = len(encoded.channels) + 1
    if base**order >= _MAX_STATE_KEY:
        raise ValueError(f"order {order} is too high for {base - 1} channels")

    # Each touch's state: the channels at lags 0..k-1 as base-`base` digits, empty slots = base - 1.
    keys = np.zeros(len(encoded.codes), dtype=np.int64)
    for lag in range(order):
        lagged = np.full(len(encoded.codes), base - 1, dtype=np.int64)
        reaches_back = np.flatnonzero(encoded.positions >= lag)
        lagged[reaches_back] = encoded.codes[reaches_back - lag]
        keys += lagged * base**lag
    state_keys, state_of_touch = np.unique(keys, return_inverse=True)
    state_of_touch = state_of_touch.reshape(-1)
    state_count = len(state_keys)
    start = state_count
    digits = (state_keys[:, None] // base ** np.arange(order)) % base

    journeys = (source.conversions + source.nulls)[encoded.rows]
    first = encoded.positions == 0
    moves_on = np.flatnonzero(~first)
    origins = np.concatenate([np.full(int(first.sum()), start), state_of_touch[moves_on - 1]])
    targets = np.concatenate([state_of_touch[first], state_of_touch[moves_on]])
    weights = np.concatenate([journeys[first], journeys[moves_on]])
    counts = sparse.coo_matrix((weights, (origins, targets)), shape=(start + 1, start + 1)).tocsr()
    last = encoded.is_last
    conversions = np.bincount(
        state_of_touch[last], weights=source.conversions[encoded.rows[last]], minlength=start + 1
    )
    nulls = np.bincount(state_of_touch[last], weights=source.nulls[encoded.rows[last]], minlength=start + 1)
    outflow = np.asarray(counts.sum(axis=1)).reshape(-1) + conversions + nulls
    inverse = np.divide(1.0, outflow, out=np.zeros_like(outflow), where=outflow > 0)

    states = tuple(
        tuple(encoded.channels[code] for code in reversed(row) if code != base - 1) for row in digits
    )
    return AbsorbingChain(
        order=order,
        channels=encoded.channels,
        states=states,
        transient=sparse.diags(inverse).tocsr() @ counts,
        to_conversion=conversions * inverse,
        to_null=nulls * inverse,
        state_digits=digits,
    )


@dataclass(frozen=True, eq=False)
class MarkovResult:
    """Removal effects and credit of a Markov attribution, with what the data could not support."""

    order: int
    collapse_repeats: bool
    p_conversion: float
    removal_effects: dict[str, float]
    credit: Credit
    value_credit: Credit | None
    no_nulls: bool
    """True when no journey ended without converting: P(conversion) is 1 by construction."""
    warnings: tuple[str, ...]
    chain: AbsorbingChain


def markov_model(paths: AggregatedPaths, *, order: int = 1, collapse_repeats: bool = True) -> MarkovResult:
    """Exact removal-effect attribution from an order-k Markov chain over the paths."""
    chain = build_chain(paths, order=order, collapse_repeats=collapse_repeats)
    p_conversion = chain.conversion_probability()
    removal_effects: dict[str, float] = {}
    for channel in paths.channels:
        if p_conversion <= 0 or channel not in chain.channels:
            removal_effects[channel] = 0.0
            continue
        effect = 1.0 - chain.conversion_probability(without=channel) / p_conversion
        # Removing states can only lose routes; clip round-off so a no-effect channel reads exactly 0.
        removal_effects[channel] = min(effect, 1.0) if effect > 1e-12 else 0.0

    total_effect = sum(removal_effects.values())
    shares = {
        channel: (effect / total_effect if total_effect > 0 else 0.0)
        for channel, effect in removal_effects.items()
    }
    credit = {channel: share * paths.total_conversions for channel, share in shares.items()}
    value_credit = (
        None
        if paths.total_value is None
        else {channel: share * paths.total_value for channel, share in shares.items()}
    )

    warnings: list[str] = []
    no_nulls = paths.total_nulls == 0 and paths.total_conversions > 0
    if no_nulls:
        warnings.append(
            "no journey ended without converting (total_null is 0 everywhere): P(conversion) is 1 and "
            "removal effects only measure how many conversion routes pass through each channel"
        )
    if paths.total_conversions == 0:
        warnings.append("no conversions: removal effects and credits are all 0")
    elif total_effect == 0:
        warnings.append("no channel has a removal effect: credits are all 0")
    return MarkovResult(
        order=order,
        collapse_repeats=collapse_repeats,
        p_conversion=p_conversion,
        removal_effects=removal_effects,
        credit=credit,
        value_credit=value_credit,
        no_nulls=no_nulls,
        warnings=tuple(warnings),
        chain=chain,
    )
