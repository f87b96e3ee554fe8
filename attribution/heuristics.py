"""Rule-based attribution: first touch, last touch, linear, time decay and position based.

Each rule gives every touch of a path a weight, the weights of a path summing to 1, and a channel's
credit is the sum over touches of weight x the path's conversions (or conversion value, with
`basis="value"`). Touches are counted as recorded: a repeated touch (A > A > B) is credited twice.
Credits therefore always sum to the total conversions (or value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from attribution.paths import AggregatedPaths

Basis = Literal["conversions", "value"]
Credit = dict[str, float]
"""Conversions (or value) credited to each channel."""

DEFAULT_HALF_LIFE = 7.0
"""Time-decay half-life in the unit of the touch times: 7 days is Google Analytics' long-standing
default. For aggregated paths without times each touch is one step, so 7 is a gentle decay; pass a
smaller half-life (e.g. 1) for a steep one."""

POSITION_FIRST_SHARE = 0.4
POSITION_LAST_SHARE = 0.4
"""The conventional U-shaped 40/20/40 split: first and last touch 40% each, the middle touches share 20%."""


def credit_by_touch(paths: AggregatedPaths, touch_weights: np.ndarray, *, basis: Basis) -> Credit:
    """Channel credit from one weight per touch (weights of a path summing to 1)."""
    encoded = paths.encoded
    amounts = paths.amounts(basis)[encoded.rows] * touch_weights
    totals = np.bincount(encoded.codes, weights=amounts, minlength=len(encoded.channels))
    return {channel: float(total) for channel, total in zip(encoded.channels, totals, strict=True)}


def first_touch(paths: AggregatedPaths, *, basis: Basis = "conversions") -> Credit:
    """All credit to the channel that first brought the patient in."""
    return credit_by_touch(paths, (paths.encoded.positions == 0).astype(np.float64), basis=basis)


def last_touch(paths: AggregatedPaths, *, basis: Basis = "conversions") -> Credit:
    """All credit to the channel touched just before booking."""
    return credit_by_touch(paths, paths.encoded.is_last.astype(np.float64), basis=basis)


def linear(paths: AggregatedPaths, *, basis: Basis = "conversions") -> Credit:
    """Credit split equally over a path's touches."""
    encoded = paths.encoded
    return credit_by_touch(paths, 1.0 / encoded.lengths[encoded.rows], basis=basis)


def _flat_touch_times(paths: AggregatedPaths, touch_times: Sequence[Sequence[float]]) -> np.ndarray:
    """Touch times flattened in touch order, after checking there is one per touch of each path."""
    if len(touch_times) != len(paths):
        raise ValueError(f"{len(paths)} paths but touch times for {len(touch_times)}")
    for row, (path, times) in enumerate(zip(paths.paths, touch_times, strict=True)):
        if len(times) != len(path):
            raise ValueError(f"path {row} has {len(path)} touches but {len(times)} touch times")
    flat = np.fromiter((time for times in touch_times for time in times), dtype=np.float64)
    if not np.all(np.isfinite(flat)):
        raise ValueError("touch times must be finite numbers")
    return flat


def time_decay(
    paths: AggregatedPaths,
    *,
    half_life: float = DEFAULT_HALF_LIFE,
    touch_times: Sequence[Sequence[float]] | None = None,
    basis: Basis = "conversions",
) -> Credit:
    """Credit halving every `half_life` before the path's latest touch; positions are times when none given.

    The weight of a touch at time t is 2 ** (-(t_latest - t) / half_life), normalised within its path;
    measuring from the latest touch rather than the booking changes nothing after normalisation.
    """
    if not half_life > 0:
        raise ValueError("half_life must be positive")
    encoded = paths.encoded
    times = (
        encoded.positions.astype(np.float64) if touch_times is None else _flat_touch_times(paths, touch_times)
    )
    latest = np.full(len(paths), -np.inf)
    np.maximum.at(latest, encoded.rows, times)
    weights = np.exp2(-(latest[encoded.rows] - times) / half_life)
    per_path = np.bincount(encoded.rows, weights=weights, minlength=len(paths))
    return credit_by_touch(paths, weights / per_path[encoded.rows], basis=basis)


def position_based(
    paths: AggregatedPaths,
    *,
    first_share: float = POSITION_FIRST_SHARE,
    last_share: float = POSITION_LAST_SHARE,
    basis: Basis = "conversions",
) -> Credit:
    """U-shaped credit: first and last touch get fixed shares, middle touches split the rest.

    A one-touch path gives that touch everything; a two-touch path splits in the ratio of the first
    and last shares (50/50 by default).
    """
    if first_share < 0 or last_share < 0 or first_share + last_share > 1 or first_share + last_share == 0:
        raise ValueError("first_share and last_share must be non-negative, positive together, at most 1")
    encoded = paths.encoded
    length = encoded.lengths[encoded.rows]
    first = encoded.positions == 0
    last = encoded.is_last
    middle_share = (1.0 - first_share - last_share) / np.maximum(length - 2, 1)
    weights = np.where(first, first_share, np.where(last, last_share, middle_share))
    two = length == 2
    weights[two & first] = first_share / (first_share + last_share)
    weights[two & last] = last_share / (first_share + last_share)
    weights[length == 1] = 1.0
    return credit_by_touch(paths, weights, basis=basis)
