"""Individual patient journeys aggregated into distinct paths: the fast way in for millions of journeys.

Each journey is encoded once as a string key (channels joined by an ASCII unit separator, which no
channel name contains), keys are numbered with one dict pass, and outcomes are summed with
`numpy.bincount`. Models then run on the few thousand distinct paths instead of every journey:
1,000,000 journeys aggregate in well under a second on one core.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attribution.paths import AggregatedPaths

_KEY_SEPARATOR = "\x1f"
"""ASCII unit separator: cannot appear in a channel name typed by a person or sent by an ad platform."""


def aggregate_journeys(
    journeys: Sequence[Sequence[str]],
    converted: Sequence[bool] | np.ndarray,
    values: Sequence[float] | np.ndarray | None = None,
) -> AggregatedPaths:
    """Journeys (channel sequences, converted flags, optional values) summed per distinct path."""
    outcome = np.asarray(converted, dtype=bool).reshape(-1)
    if len(outcome) != len(journeys):
        raise ValueError(f"{len(journeys)} journeys but {len(outcome)} converted flags")
    keys = [_KEY_SEPARATOR.join(journey) for journey in journeys]
    empty = [index for index, key in enumerate(keys) if not key]
    if empty:
        raise ValueError(f"{len(empty)} journeys have no touchpoint, e.g. at index {empty[:5]}")
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(key, len(index)) for key in keys), dtype=np.int64, count=len(keys))
    size = len(index)
    journeys_per_path = np.bincount(codes, minlength=size).astype(np.float64)
    conversions = np.bincount(codes, weights=outcome.astype(np.float64), minlength=size)
    path_values = None
    if values is not None:
        amounts = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(amounts) != len(outcome):
            raise ValueError(f"{len(outcome)} journeys but {len(amounts)} values")
        # Only a converted journey has a conversion value; anything else recorded on a null is ignored.
        path_values = np.bincount(codes, weights=np.where(outcome, amounts, 0.0), minlength=size)
    return AggregatedPaths(
        paths=tuple(tuple(key.split(_KEY_SEPARATOR)) for key in index),
        conversions=conversions,
        nulls=journeys_per_path - conversions,
        values=path_values,
    )
